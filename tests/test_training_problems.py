"""Problems with tests: MBPP, HumanEval and CodeNet from the shared data folder; clear errors without it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from training.problems import ProblemDataError, load_problems, problems_by_id, resolve_data


@pytest.fixture(scope="module")
def data(shared_data: Path) -> Path:
    if not (shared_data / "mbpp" / "mbpp_test.jsonl").is_file():
        pytest.skip(f"MBPP not found under {shared_data}/mbpp")
    return shared_data


def test_mbpp_splits_are_function_problems_with_check_tests(data: Path) -> None:
    sizes = {split: len(load_problems(f"mbpp-{split}", data)) for split in ("train", "validation", "test")}
    assert sizes == {"train": 384, "validation": 90, "test": 500}
    training = load_problems("mbpp", data)
    assert len(training) == 384 + 90  # Code-Optimise's training problems: train + validation
    test = load_problems("mbpp-test", data)
    assert not {p.id for p in training} & {p.id for p in test}
    for problem in test:
        assert problem.kind == "function" and problem.source == "mbpp-test" and problem.group == "mbpp"
        assert problem.id.startswith("mbpp/")
        assert re.search(rf"^def {problem.entry_point}\s*\(", problem.prompt, flags=re.MULTILINE)
        assert "\r" not in problem.prompt + problem.test_code
        names = [n.name for n in ast.parse(problem.test_code).body if isinstance(n, ast.FunctionDef)]
        assert "check" in names


def test_broken_mbpp_entry_points_are_repaired(data: Path) -> None:
    found = problems_by_id(["mbpp/32", "mbpp/702", "mbpp/966"], data)
    # a trailing space; a name the prompt does not declare; a line of code instead of a name
    assert [found[i].entry_point for i in ("mbpp/32", "mbpp/702", "mbpp/966")] == [
        "max_Prime_Factors", "removals", "remove_empty"]
    for problem in load_problems("mbpp", data) + load_problems("mbpp-test", data):
        assert problem.entry_point is not None and problem.entry_point.isidentifier()
        assert re.search(rf"^def {problem.entry_point}\s*\(", problem.prompt, flags=re.MULTILINE)


def test_humaneval_and_codenet(data: Path) -> None:
    humaneval = load_problems("humaneval", data)
    assert len(humaneval) == 164 and humaneval[0].id == "humaneval/0"
    assert humaneval[0].entry_point == "has_close_elements" and "def check(candidate)" in humaneval[0].test_code
    codenet = load_problems("codenet", data)
    assert len(codenet) > 3000
    first = codenet[0]
    assert first.kind == "stdio" and first.io_cases and first.entry_point is None
    given, expected = first.io_cases[0]
    assert given.strip() in first.prompt and expected.strip() in first.prompt


def test_problems_by_id_loads_the_sources_the_ids_name(data: Path) -> None:
    found = problems_by_id(["mbpp/11", "mbpp/601", "humaneval/3", "nosuch/1"], data)
    assert {"mbpp/11", "mbpp/601", "humaneval/3"} <= set(found)
    assert found["mbpp/11"].source == "mbpp-test" and found["mbpp/601"].source == "mbpp-train"
    assert not any(key.startswith("codenet/") or key.startswith("nosuch/") for key in found)


def test_missing_data_folder_and_unknown_source_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ProblemDataError, match=r"data folder not found: .*PYPERF_DATA"):
        resolve_data(tmp_path / "absent")
    with pytest.raises(ProblemDataError, match="unknown problem source 'apps'"):
        load_problems("apps", tmp_path)
    with pytest.raises(ProblemDataError, match=r"problem file not found: .*mbpp_test\.jsonl"):
        load_problems("mbpp-test", tmp_path)


def test_a_malformed_problem_file_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "mbpp").mkdir()
    good = '{"task_id": "1", "prompt": "def f():\\n", "test": "def check(c):\\n    pass\\n", "entry_point": "f"}'
    (tmp_path / "mbpp" / "mbpp_test.jsonl").write_text(good + "\n{oops\n")
    with pytest.raises(ProblemDataError, match=r"mbpp_test\.jsonl:2: not JSON"):
        load_problems("mbpp-test", tmp_path)
