"""Sampling through the real llama.cpp path with a tiny random GGUF: its answers are garbage, so these tests check
the bookkeeping (rows, ids, resume, time budget, errors), not the code."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from training import sample
from training.problems import Problem
from training.sample import SampleOptions, done_problems, sample_to_file

PROBLEMS = [
    Problem(id=f"mbpp/{i}", source="mbpp-test", prompt=f'def f{i}(x):\n    """Return x plus {i}."""\n',
            kind="function", entry_point=f"f{i}", test_code=f"def check(c):\n    assert c(1) == {1 + i}\n")
    for i in range(4)
]


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    pytest.importorskip("gguf", reason="the gguf package writes the tiny test model")
    from tiny_gguf import write_tiny_gguf

    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")


@pytest.fixture(scope="module")
def tiny(tiny_path: Path):
    from optimizer.llm import LocalModel

    model = LocalModel(tiny_path, n_ctx=2048)
    model.load()
    return model


def rows_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_n_rows_per_problem_with_the_contract_fields(tiny, tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    stats = sample_to_file(tiny, PROBLEMS, out, SampleOptions(n=3, temperature=0.8, max_tokens=8, limit=2,
                                                               progress=False))
    rows = rows_of(out)
    assert stats.problems == 2 and stats.rows == len(rows) == 6
    assert [(r["problem_id"], r["sample_id"]) for r in rows] == [(p, k) for p in ("mbpp/0", "mbpp/1") for k in range(3)]
    for row in rows:
        assert {"problem_id", "source", "sample_id", "code", "model"} <= set(row)
        assert row["model"] == "tiny.gguf" and row["source"] == "mbpp-test"
        assert row["code"] is None or isinstance(row["code"], str)
        assert row["tokens"] == 8 and row["stopped"] == "max_tokens"  # the tiny model never ends on its own


def test_resume_skips_problems_already_written_and_survives_a_cut_line(tiny, tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    options = SampleOptions(n=2, temperature=0.0, max_tokens=4, limit=2, progress=False)
    sample_to_file(tiny, PROBLEMS, out, options)
    first = out.read_text()
    with out.open("a") as f:
        f.write('{"problem_id": "mbpp/2", "sample_')  # a run killed mid-line
    resumed = SampleOptions(n=2, temperature=0.0, max_tokens=4, resume=True, progress=False)
    stats = sample_to_file(tiny, PROBLEMS, out, resumed)
    assert stats.skipped == 2 and stats.problems == 2
    text = out.read_text()
    assert text.startswith(first)
    good = []
    for line in text.splitlines():
        try:
            good.append(json.loads(line))
        except ValueError:
            assert line.startswith('{"problem_id": "mbpp/2", "sample_')
    assert sorted({r["problem_id"] for r in good}) == ["mbpp/0", "mbpp/1", "mbpp/2", "mbpp/3"]
    assert len(good) == 8
    assert done_problems(out) == {p.id for p in PROBLEMS}
    again = sample_to_file(tiny, PROBLEMS, out, resumed)
    assert again.problems == 0 and again.skipped == 4


def test_the_time_budget_bounds_a_problem(tiny, tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    options = SampleOptions(n=50, temperature=0.7, max_tokens=400, time_budget_s=0.05, limit=1, progress=False)
    stats = sample_to_file(tiny, PROBLEMS, out, options)
    assert 1 <= stats.rows < 50


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sample.register(parser.add_subparsers())
    return parser.parse_args(["sample", *argv])


def test_cli_reports_a_missing_model_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(["--model", str(tmp_path / "none.gguf"), "--out", str(tmp_path / "o.jsonl"), "--data",
                  str(tmp_path)])
    assert args.func(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and len(err.splitlines()) == 1
    assert not (tmp_path / "o.jsonl").exists()


def test_cli_samples_mbpp(tiny_path: Path, shared_data: Path, tmp_path: Path) -> None:
    if not (shared_data / "mbpp" / "mbpp_train.jsonl").is_file():
        pytest.skip(f"MBPP not found under {shared_data}/mbpp")
    out = tmp_path / "o.jsonl"
    args = parse(["--model", str(tiny_path), "--out", str(out), "--data", str(shared_data), "--limit", "2",
                  "--n", "2", "--max-tokens", "4", "--no-progress"])
    assert args.func(args) == 0
    rows = rows_of(out)
    assert len(rows) == 4 and rows[0]["problem_id"] == "mbpp/601" and rows[0]["source"] == "mbpp-train"
