"""``python -m bench generate``: the optimizer fills the generated column; a wrong program is never emitted."""

from __future__ import annotations

import json
from pathlib import Path

from bench.harness.cli import main

# A module-level quadratic string build: the rules turn it into a join, and it is verified faster.
SLOW = "n = int(input())\ns = ''\nfor i in range(n):\n    s += str(i % 7)\nprint(len(s), s.count('3'))\n"


def test_generate_with_rules_then_evaluate(tmp_path: Path):
    tests = tmp_path / "tests" / "p1"
    tests.mkdir(parents=True)
    (tests / "input.0.txt").write_text("200000\n")
    (tests / "output.0.txt").write_text("200000 28571\n")
    (tests / "input.1.txt").write_text("10\n")
    (tests / "output.1.txt").write_text("10 1\n")
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"problem_id": "p1", "slow_code_col": SLOW, "reference_code_col": SLOW}) + "\n"
                    + json.dumps({"problem_id": "p1", "slow_code_col": "def broken(:\n"}) + "\n")
    out = tmp_path / "gen.jsonl"
    assert main(["generate", "--input", str(rows), "--tests", str(tmp_path / "tests"), "--out", str(out),
                 "--engine", "rules", "--no-progress"]) == 0
    first, second = [json.loads(line) for line in out.read_text().splitlines()]
    generated = first["model_generated_potentially_faster_code_col"]
    assert generated != SLOW and first["generation"]["improved"]
    assert first["generation"]["engine"] == "rules" and first["generation"]["rules"]
    assert "first test case" in first["generation"]["protocol"]
    # code that does not parse: the original comes back, with the reason
    assert second["model_generated_potentially_faster_code_col"] == "def broken(:\n"
    assert "does not parse" in second["generation"]["notes"][0]
    report = tmp_path / "report"
    assert main(["eval", "--generations", str(out), "--tests", str(tmp_path / "tests"), "--out", str(report),
                 "--no-progress", "--num-trials", "3"]) == 0
    data = json.loads((report / "report.json").read_text())
    assert data["programs"]["candidate_0"]["pass_at_1"] == 1.0


def test_a_rows_file_without_a_usable_row_is_an_error_naming_each_bad_line_once(tmp_path: Path, capsys):
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"input": "print(1)"\n')  # cut short: not valid JSON
    (tmp_path / "tests").mkdir()
    generate = ["generate", "--input", str(rows), "--tests", str(tmp_path / "tests"), "--out", str(tmp_path / "g"),
                "--engine", "rules", "--no-progress"]
    evaluate = ["eval", "--generations", str(rows), "--tests", str(tmp_path / "tests"), "--out", str(tmp_path / "r"),
                "--no-progress"]
    for argv in (generate, evaluate):
        assert main(argv) != 0
        err = capsys.readouterr().err
        assert err.count(f"{rows}:1: skipped: not valid JSON") == 1, err
        assert f"error: {rows}: no usable row (1 line skipped, listed above)" in err, err
    assert not (tmp_path / "g").exists() and not (tmp_path / "r").exists()  # no empty report or generations
