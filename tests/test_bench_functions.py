"""Function-level rows of the bench (issue 12): a package folder, a target, a slow and a reference module, checked
and timed on the calls captured from the package's tests (bench.harness.function_rows, function_eval)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits
from bench.harness.cli import main
from bench.harness.function_eval import evaluate_function_row
from bench.harness.function_rows import FUNCTIONS_DIR, function_suite_rows, load_case, load_function_rows
from bench.harness.rows import load_rows
from optimizer.project_runs import capture_calls, run_driver
from optimizer.verify import VerifySettings

SETTINGS = VerifySettings(limits=SandboxLimits(timeout_s=20), derived_inputs=False)
FEATURES = ("method", "classmethod", "staticmethod", "relative import", "argument mutation", "class with state",
            "inputs captured from the tests", "nested function")


def test_the_suite_covers_the_kinds_of_targets_it_promises():
    rows = function_suite_rows()
    assert len(rows) >= 15
    features = {f for folder in FUNCTIONS_DIR.iterdir() if (folder / "meta.json").is_file()
                for f in json.loads((folder / "meta.json").read_text())["features"]}
    assert all(any(f.startswith(wanted) for f in features) for wanted in FEATURES), features
    assert {row.qualname.count(".") for row in rows} == {0, 1, 2}  # functions, methods, a nested class's method


def test_every_suite_case_passes_its_own_tests_on_both_versions(runner: Runner):
    limits = SandboxLimits(timeout_s=30)
    for row in function_suite_rows():
        context = row.context()
        captured = capture_calls(runner, context, row.qualname, limits)
        assert captured.calls and not captured.failed and not captured.errors, (row.problem_id, captured)
        answer = run_driver(runner, context, row.qualname, "tests", row.reference_code, limits, tests=[])
        assert answer["exit"] == 0 and not answer["failed"], (row.problem_id, answer)


def test_a_function_row_evaluates_the_reference_against_the_slow_module(runner: Runner):
    row = load_case(FUNCTIONS_DIR / "12_count_ways")
    wrong = row.reference_code.replace("if left == 0:", "if left <= 1:")
    row.candidates = [("off_by_one", wrong), ("unchanged", row.slow_code), ("empty", None)]
    result = evaluate_function_row(row, runner, SETTINGS)
    assert result.error is None
    reference = result.verdicts["reference"]
    assert reference.status == "faster" and result.speedup("reference") > 1.3, reference
    assert result.evidence.startswith("9 calls captured from 3 tests (tests/test_stairs.py)")
    off = result.verdicts["off_by_one"]
    assert off.status == "wrong" and off.reason.startswith("returned a different value for count_ways(")
    assert "fail: tests/test_stairs.py::test_other_step_sizes" in off.reason
    assert result.speedup("off_by_one") is None
    assert result.speedup("unchanged") == 1.0  # the slow module handed back is correct and no faster
    assert result.verdicts["empty"].status == "invalid"
    assert result.to_json()["programs"]["off_by_one"]["failure"].startswith("wrong: ")


def test_a_reference_that_forgets_to_change_its_argument_is_wrong(runner: Runner):
    row = load_case(FUNCTIONS_DIR / "04_dedupe_in_place")
    row.reference_code = row.reference_code.replace("    items[:] = kept\n", "")
    verdict = evaluate_function_row(row, runner, SETTINGS).verdicts["reference"]
    assert verdict.status == "wrong"
    assert verdict.reason.startswith("left different arguments after dedupe("), verdict.reason


def test_a_slow_module_failing_its_tests_makes_the_row_invalid(runner: Runner, tmp_path: Path):
    folder = tmp_path / "case"
    shutil.copytree(FUNCTIONS_DIR / "14_running_medians", folder)
    row = load_case(folder)
    row.slow_code = row.slow_code.replace(") / 2)", ") // 2)")
    result = evaluate_function_row(row, runner, SETTINGS)
    assert result.error.startswith("the slow version fails 1 of its tests: tests/test_medians.py::"), result.error
    assert result.speedup("reference") is None
    row.slow_code = "def running_medians(:\n"
    assert evaluate_function_row(row, runner, SETTINGS).error.startswith("the slow module does not parse: ")


def test_jsonl_function_rows_load_beside_stdin_rows(tmp_path: Path):
    case = tmp_path / "cases" / "ways"
    shutil.copytree(FUNCTIONS_DIR / "12_count_ways", case)
    rows = tmp_path / "rows.jsonl"
    lines = [{"kind": "function", "problem_id": "ways", "folder": "cases/ways",
              "model_generated_potentially_faster_code_col": ["a = 1\n", 3]},
             {"kind": "function", "problem_id": "nowhere"},
             {"kind": "function", "problem_id": "bad", "folder": "cases/ways", "target": "stairs.count_ways"},
             {"problem_id": "p1", "slow_code_col": "print(1)\n"}]
    rows.write_text("".join(json.dumps(line) + "\n" for line in lines))
    functions, problems = load_function_rows(rows)
    assert [(r.problem_id, r.target) for r in functions] == [("ways", "stairs:count_ways")]
    assert functions[0].candidates == [("candidate_0", "a = 1\n"), ("candidate_1", None)]
    assert functions[0].reference_code == (case / "fast.py").read_text()
    assert problems[0].startswith(f"{rows}:2: skipped: a function row needs a 'folder'")
    assert "is not 'dotted.module:qualified.name'" in problems[1]
    stdin, skipped = load_rows(rows, tmp_path / "tests")
    assert [r.problem_id for r in stdin] == ["p1"] and skipped == []


def test_generate_then_eval_a_function_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    shutil.copytree(FUNCTIONS_DIR / "16_nested_class_lexer", tmp_path / "lexer")
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"kind": "function", "problem_id": "lexer", "folder": "lexer"}) + "\n")
    out = tmp_path / "gen" / "gen.jsonl"
    assert main(["generate", "--input", str(rows), "--out", str(out), "--engine", "rules", "--no-progress"]) == 0
    record = json.loads(out.read_text())
    assert record["kind"] == "function" and record["folder"] == "../lexer"
    assert record["target"] == "calc.parser:Parser.Lexer.tokens" and "generation" in record
    report_dir = tmp_path / "report"
    assert main(["eval", "--generations", str(out), "--out", str(report_dir), "--no-progress", "--num-trials",
                 "3"]) == 0
    report = json.loads((report_dir / "report.json").read_text())
    assert report["n_rows"] == 0 and report["functions"]["n_rows"] == 1
    assert set(report["functions"]["programs"]) == {"reference", "candidate_0"}
    assert report["functions"]["programs"]["reference"]["pass_at_1"] == 1.0
    assert "## Function rows" in (report_dir / "report.md").read_text()
    assert "function rows (1, 0 invalid" in capsys.readouterr().out


def test_only_selects_one_kind_of_row(tmp_path: Path):
    out = tmp_path / "suite"
    assert main(["--only", "stdin", "--limit", "1", "--num-trials", "2", "--out", str(out), "--no-progress",
                 "--engine", "none"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["n_rows"] == 1 and "functions" not in report


def test_a_row_pointing_at_a_missing_target_is_an_error(runner: Runner):
    row = replace(load_case(FUNCTIONS_DIR / "03_matrix_transpose"), qualname="Matrix.inverse")
    result = evaluate_function_row(row, runner, SETTINGS)
    assert result.error == "no function or method named 'Matrix.inverse' in the module"
