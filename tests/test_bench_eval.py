"""``python -m bench eval``: generations in pie-perf format, a tests folder, bad input, reports, Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.harness.cli import main
from bench.harness.rows import DataError, load_rows

SUM_SLOW = "n = int(input())\nt = 0\nfor i in range(n + 1):\n    t += i\nprint(t)\n"
SUM_FAST = "n = int(input())\nprint(n * (n + 1) // 2)\n"
SUM_WRONG = "n = int(input())\nprint(n * n // 2)\n"
ECHO_SLOW = "s = input()\nout = ''\nfor ch in s:\n    out += ch\nprint(out)\n"
ECHO_FAST = "print(input())\n"
FLOOD = "while True:\n    print('y' * 4096)\n"


def _write_tests(root: Path, problem: str, cases: list[tuple[str, str]]) -> None:
    folder = root / problem
    folder.mkdir(parents=True)
    for i, (given, expected) in enumerate(cases):
        (folder / f"input.{i}.txt").write_text(given)
        (folder / f"output.{i}.txt").write_text(expected)


@pytest.fixture
def dataset(tmp_path: Path) -> tuple[Path, Path]:
    tests = tmp_path / "tests"
    _write_tests(tests, "sum", [("10\n", "55\n"), ("200000\n", "20000100000\n")])
    _write_tests(tests, "echo", [("abc\n", "abc\n")])
    rows = [
        {"problem_id": "sum", "slow_code_col": SUM_SLOW, "reference_code_col": SUM_FAST,
         "model_generated_potentially_faster_code_col": SUM_FAST},
        {"problem_id": "sum", "slow_code_col": SUM_SLOW, "reference_code_col": SUM_FAST,
         "model_generated_potentially_faster_code_col": [SUM_WRONG, SUM_FAST]},
        {"problem_id": "echo", "slow_code_col": ECHO_SLOW, "reference_code_col": ECHO_FAST,
         "model_generated_potentially_faster_code_col": FLOOD},
        {"problem_id": "echo", "slow_code_col": ECHO_SLOW, "reference_code_col": ECHO_FAST,
         "model_generated_potentially_faster_code_col": "print('\udcff')"},
        {"problem_id": "nowhere", "slow_code_col": SUM_SLOW, "reference_code_col": SUM_FAST,
         "model_generated_potentially_faster_code_col": SUM_FAST},
    ]
    lines = [json.dumps(r) for r in rows]
    lines.insert(2, '{"problem_id": "sum", "slow_code_col": ')  # a malformed line: line 3 of the file
    generations = tmp_path / "gen.jsonl"
    generations.write_text("\n".join(lines) + "\n")
    return generations, tests


def test_eval_end_to_end(dataset, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    generations, tests = dataset
    out = tmp_path / "report"
    code = main(["eval", "--generations", str(generations), "--tests", str(tests), "--out", str(out),
                 "--num-trials", "3", "--no-progress"])
    assert code == 0
    captured = capsys.readouterr()
    assert "gen.jsonl:3: skipped: not valid JSON" in captured.err
    report = json.loads((out / "report.json").read_text())
    assert (out / "report.md").read_text().startswith("# python -m bench eval")
    assert (out / "speedups.png").stat().st_size > 1000
    assert report["n_rows"] == 5 and report["n_invalid_rows"] == 1
    rows = report["rows"]
    assert "no tests for problem nowhere" in rows[4]["error"]
    assert rows[0]["speedups"]["candidate_0"] > 1.5  # n(n+1)/2 against a 200k-step loop
    assert rows[1]["speedups"]["candidate_0"] is None  # the wrong one is candidate 0
    assert "wrong output" in rows[1]["programs"]["candidate_0"]["failure"]
    assert rows[1]["speedups"]["candidate_1"] > 1.5
    assert "output_limit" in rows[2]["programs"]["candidate_0"]["failure"]
    assert "UTF-8" in rows[3]["programs"]["candidate_0"]["failure"]
    first = report["programs"]["candidate_0"]
    assert first["n"] == 4 and first["pass_at_1"] == pytest.approx(0.25)
    assert report["programs"]["reference"]["pass_at_1"] == 1.0
    assert report["slow_pass_rate"] == 1.0
    assert report["settings"]["num_trials"] == 3
    assert report["machine"]["cpus_usable"] >= 1
    assert "pass_at_1" in report["programs"]["candidate_1"]


@pytest.mark.parametrize("problem_id", ["../../etc", "/etc", "a/b", "a\\b", "nul\0", "..", "."])
def test_a_problem_id_that_is_not_a_folder_name_is_rejected_by_line(tmp_path: Path, problem_id: str):
    generations = tmp_path / "gen.jsonl"
    good = {"problem_id": "sum", "slow_code_col": SUM_SLOW}
    generations.write_text("\n".join(json.dumps(row) for row in (good, {**good, "problem_id": problem_id})) + "\n")
    rows, problems = load_rows(generations, tmp_path / "tests")
    assert [row.problem_id for row in rows] == ["sum"]
    assert len(problems) == 1 and problems[0].startswith(f"{generations}:2: skipped: 'problem_id'")
    assert "plain folder name" in problems[0]
    with pytest.raises(DataError, match=r"gen\.jsonl:2: skipped: 'problem_id'"):
        load_rows(generations, tmp_path / "tests", strict=True)


def test_several_generation_files_side_by_side(dataset, tmp_path: Path):
    generations, tests = dataset
    other = tmp_path / "other-model.jsonl"
    rows = [json.loads(line) for line in generations.read_text().splitlines() if line.endswith("}")]
    for row in rows:
        row["model_generated_potentially_faster_code_col"] = row["slow_code_col"]
    other.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "both"
    assert main(["eval", "--generations", str(generations), str(other), "--tests", str(tests),
                 "--out", str(out), "--num-trials", "2", "--no-progress", "--limit", "2"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert set(report["programs"]) == {"reference", "gen", "gen#0", "gen#1", "other-model"}
    assert report["programs"]["other-model"]["pass_at_1"] == 1.0
    assert report["programs"]["gen#0"]["n"] == 1 and report["programs"]["gen#0"]["pass_at_1"] == 0.0


def test_fasterpy_yaml_config(dataset, tmp_path: Path):
    generations, tests = dataset
    config = tmp_path / "sample_eval_config.yaml"
    config.write_text(
        f"model_generated_outputs_path: {generations}\n"
        f"inputs_outputs_basepath: {tests}\n"
        f"output_report_file_path: {tmp_path / 'yaml-report'}\n"
        "num_problems_to_evaluate: 2\nnum_trials: 2\nignore_first_k: 0\nmax_time_per_run: 5\n"
        "temp_dir: null\nis_prompt_based: false\nlanguage: python\ncpu_number: 0\nreturn_if_acc_below: 1.0\n"
        "model_generated_potentially_faster_code_col: model_generated_potentially_faster_code_col\n"
        "slow_code_col: slow_code_col\nreference_code_col: reference_code_col\n"
    )
    assert main(["eval", "--config", str(config), "--no-progress", "--num-trials", "3"]) == 0
    report = json.loads((tmp_path / "yaml-report" / "report.json").read_text())
    assert report["n_rows"] == 2  # num_problems_to_evaluate
    assert report["settings"]["num_trials"] == 3  # a flag overrides the file
    assert report["settings"]["max_time_per_run"] == 5


@pytest.mark.parametrize(("args", "message"), [
    (["eval", "--tests", "x"], "eval needs --generations"),
    (["eval", "--generations", "/nope.jsonl", "--tests", "/"], "/nope.jsonl: no such file"),
    (["eval", "--generations", "/dev/null", "--tests", "/nope"], "/nope: tests folder not found"),
])
def test_bad_invocations_give_one_line(args, message, capsys: pytest.CaptureFixture[str]):
    assert main([*args, "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_ctrl_c_leaves_a_partial_report(tmp_path: Path):
    tests = tmp_path / "tests"
    _write_tests(tests, "quick", [("1\n", "1\n")])
    _write_tests(tests, "hang", [("1\n", "1\n")])
    quick = {"problem_id": "quick", "slow_code_col": "print(input())\n", "reference_code_col": "print(1)\n"}
    hang = {"problem_id": "hang", "slow_code_col": "import time\ntime.sleep(60)\n"}
    generations = tmp_path / "gen.jsonl"
    generations.write_text("\n".join(json.dumps(r) for r in [quick, hang, hang]) + "\n")
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "bench", "eval", "--generations", str(generations), "--tests", str(tests),
         "--out", str(out), "--jobs", "1", "--num-trials", "1", "--ignore-first-k", "0", "--max-time-per-run", "60"],
        stderr=subprocess.PIPE, text=True,
        # A test session started in the background inherits an ignored SIGINT; Ctrl-C must reach the CLI.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # Interrupt once the first row is done (the progress bar says 1/3), however slow the machine is.
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.extend(iter(lambda: process.stderr.read(1), "")), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while "1/3" not in "".join(seen) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)
    reader.join(timeout=5)
    err = "".join(seen)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    report = json.loads((out / "report.json").read_text())
    assert report["interrupted"] is True
    assert [r["problem_id"] for r in report["rows"]] == ["quick"]


def test_no_command_runs_the_embedded_suite(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "suite"
    assert main(["--limit", "3", "--num-trials", "2", "--out", str(out), "--no-progress", "--engine", "none"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["kind"] == "suite" and report["n_rows"] == 3
    reference = report["programs"]["reference"]
    assert reference["pass_at_1"] == 1.0 and reference["opt_rate_pie"] > 0
    assert "reference" in capsys.readouterr().out


def test_aa_reports_the_noise_floor(dataset, tmp_path: Path):
    generations, tests = dataset
    out = tmp_path / "aa"
    assert main(["aa", "--rows", str(generations), "--tests", str(tests), "--limit", "2", "--num-trials", "3",
                 "--out", str(out), "--no-progress"]) == 0
    floor = json.loads((out / "report.json").read_text())["noise_floor"]
    assert floor["n"] == 2
    assert 0.5 < floor["median"] < 2.0  # a program against itself; the real spread is measured, not asserted
