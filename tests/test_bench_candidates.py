"""``python -m bench generate --candidates``: any model's generations verified as our engines' (issue 14, 17)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_verify_derived import FAST, SLOW, VALUES, WRONG_FAST

from bench.harness.cli import main
from bench.harness.report import _report_markdown
from bench.harness.split import load_split

GENERATED = "model_generated_potentially_faster_code_col"
REPORT, TUNING = load_split()["report"][0], load_split()["tuning"][0]


@pytest.fixture
def bench_dir(tmp_path: Path) -> Path:
    """Two rows (one problem of each half of the dev split) and their tests; generations files beside them."""
    for problem in (REPORT, TUNING):
        tests = tmp_path / "tests" / problem
        tests.mkdir(parents=True)
        (tests / "input.0.txt").write_text(f"{len(VALUES)}\n{' '.join(map(str, VALUES))}\n")
        (tests / "output.0.txt").write_text("1506\n")
        (tests / "input.1.txt").write_text("3\n5 5 9\n")
        (tests / "output.1.txt").write_text("5\n")
    other = SLOW.replace("best = -1", "best = -1  # another row")
    rows = [{"problem_id": REPORT, "slow_code_col": SLOW}, {"problem_id": TUNING, "slow_code_col": other}]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    # a: the wrong rewrite alone, as a string, and a row that matches no input row; b: a list with the right one
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"problem_id": REPORT, "slow_code_col": SLOW, GENERATED: WRONG_FAST}) + "\n"
        + json.dumps({"problem_id": "p99999", "slow_code_col": "print(1)\n", GENERATED: "print(1)\n"}) + "\n"
    )
    (tmp_path / "b.jsonl").write_text(json.dumps({"problem_id": REPORT, "slow_code_col": SLOW, GENERATED: [FAST]})
                                      + "\n")
    return tmp_path


def generate(bench_dir: Path, *args: str) -> list[dict]:
    out = bench_dir / "out.jsonl"
    assert main(["generate", "--input", str(bench_dir / "rows.jsonl"), "--tests", str(bench_dir / "tests"),
                 "--out", str(out), "--no-progress", "--half", "report", *args]) == 0
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_a_wrong_model_candidate_is_caught_on_derived_inputs(bench_dir: Path, capsys: pytest.CaptureFixture):
    (record,) = generate(bench_dir, "--candidates", str(bench_dir / "a.jsonl"))
    assert record["problem_id"] == REPORT and record[GENERATED] == SLOW  # nothing verified: the original
    (tried,) = record["generation"]["tried"]
    assert tried["engine"] == "candidates:a" and tried["status"] == "wrong"
    assert tried["reason"].startswith("wrong on a derived input") and tried["derived_inputs_checked"] >= 1
    err = capsys.readouterr()
    assert "1 of its 2 rows match no input row" in err.err
    assert "1 verdicts checked on derived inputs" in err.out and "1 wrong on one" in err.out


def test_without_derived_inputs_the_wrong_candidate_escapes(bench_dir: Path):
    (record,) = generate(bench_dir, "--candidates", str(bench_dir / "a.jsonl"), "--no-derived-inputs")
    assert record[GENERATED] == WRONG_FAST and record["generation"]["derived_inputs_checked"] == 0


def test_the_pool_holds_every_files_candidates_and_the_rules_on_each(bench_dir: Path):
    (record,) = generate(bench_dir, "--candidates", str(bench_dir / "a.jsonl"), str(bench_dir / "b.jsonl"))
    assert record["generation"]["improved"] and record["generation"]["engine"].startswith("candidates:b")
    engines = {t["engine"]: t["status"] for t in record["generation"]["tried"]}
    assert engines["candidates:a"] == "wrong" and "candidates:b+rules" in engines
    assert engines["candidates:b"] in ("faster", "not_faster")  # the rules' rewrite of it may win the timing


def test_with_an_engine_our_candidates_join_the_pool(bench_dir: Path):
    (record,) = generate(bench_dir, "--candidates", str(bench_dir / "a.jsonl"), "--engine", "rules")
    assert {t["engine"] for t in record["generation"]["tried"]} == {"rules", "candidates:a"}


def test_rows_without_candidates_are_reported(bench_dir: Path, capsys: pytest.CaptureFixture):
    out = bench_dir / "all.jsonl"
    assert main(["generate", "--input", str(bench_dir / "rows.jsonl"), "--tests", str(bench_dir / "tests"),
                 "--out", str(out), "--no-progress", "--candidates", str(bench_dir / "b.jsonl")]) == 0
    assert f"no candidate for 1 of the 2 input rows ({TUNING})" in capsys.readouterr().err
    assert len(out.read_text().splitlines()) == 2


def test_the_suite_report_says_how_the_optimizers_pick_was_verified():
    row = {"index": 0, "problem_id": "p1", "error": None, "speedups": {"optimizer": 2.0}, "programs": {"optimizer": {}}}
    report = {"n_rows": 1, "n_invalid_rows": 0, "elapsed_s": 1.0, "created": "now", "interrupted": False,
              "settings": {}, "isolation": {}, "machine": {"cpu_model": "cpu", "cpus_usable": 1, "python": "3"},
              "programs": {"optimizer": {}}, "rows": [row],
              "generation": {"p1": {"inputs_used": 1, "derived_inputs_checked": 12}}}
    assert "optimizer verified on 1 given input(s) + 12 derived" in _report_markdown(report, "t", [["program"]], False)
