"""Annotation through the real sandboxed runner: passing, failing, hanging and hostile solutions end with the right
verdict and reason; Code-Optimise's timed solutions convert to the same rows and our runner agrees with them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.core.runner import Runner
from training.annotate import (
    AnnotateOptions,
    annotate_file,
    annotate_solution,
    build_program,
    convert_code_optimise,
    static_problem,
)
from training.problems import Problem, problems_by_id

ADD = Problem(id="t/add", source="t", prompt='def add(a, b):\n    """Add two numbers."""\n', kind="function",
              entry_point="add", test_code="def check(candidate):\n    assert candidate(1, 2) == 3\n"
                                           "    assert candidate(-1, 1) == 0\n")
SQUARE = Problem(id="t/sq", source="t", prompt="print n squared", kind="stdio",
                 io_cases=(("3\n", "9\n"), ("10\n", "100\n")))
FAST = AnnotateOptions(timeout_s=2.0, num_trials=3, ignore_first_k=1, progress=False, repeat=1)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("def add(a, b):\n    return a - b\n", "AssertionError"),
        ("def add(a, b):\n    while True:\n        pass\n", "timeout"),
        ("def add(a, b):\n    x = bytearray(6 << 30)\n    return a + b\n", "memory"),
        ("import os\ndef add(a, b):\n    while True:\n        os.fork()\n", "error"),
        ("import sys\ndef add(a, b):\n    return a + b\nsys.exit(0)\n", "before the tests finished"),
        ("def plus(a, b):\n    return a + b\n", "does not define the entry point 'add'"),
        ("def add(a, b):\n    return a + b\nadd = None\n", "TypeError"),
        ("def add(a, b)\n    return a + b\n", "does not parse"),
        (None, "no code"),
    ],
)
def test_failing_solutions_fail_with_their_reason(runner: Runner, code: str | None, reason: str) -> None:
    with runner.worker() as worker:
        result = annotate_solution(worker, ADD, code, FAST)
    assert not result.passed and result.runtime_s is None
    assert reason in (result.reason or "")


def test_a_passing_solution_is_timed(runner: Runner) -> None:
    with runner.worker() as worker:
        result = annotate_solution(worker, ADD, "def add(a, b):\n    return a + b\n", FAST)
        # imports the solution needs are its own; print output of the solution does not break the marker check
        noisy = annotate_solution(worker, ADD, "import math\ndef add(a, b):\n    print('hi')\n    return a + b\n",
                                  FAST)
        slow = annotate_solution(worker, ADD, "def add(a, b):\n    s = sum(range(3_000_000))\n    return a + b\n",
                                 FAST)
    assert result.passed and result.reason is None and result.runtime_s is not None and result.runtime_s > 0
    assert noisy.passed
    with runner.worker() as worker:
        # a demo under the main guard is not run (it would wait for stdin here); module-level code is
        demo = "def add(a, b):\n    return a + b\nif __name__ == '__main__':\n    print(add(int(input()), 1))\n"
        assert annotate_solution(worker, ADD, demo, FAST).passed
        reads = "def add(a, b):\n    return a + b\nprint(add(int(input()), 1))\n"
        assert "EOFError" in (annotate_solution(worker, ADD, reads, FAST).reason or "")
    assert slow.passed and slow.runtime_s > 5 * result.runtime_s  # type: ignore[operator]


def test_repeat_calls_check_that_many_times_and_divides_the_runtime(runner: Runner) -> None:
    counting = "def add(a, b):\n    print('call')\n    return a + b\n"
    result = runner.run(build_program(ADD, counting, repeat=7))
    assert result.ok and result.stdout_text.split().count("call") == 7 * 2  # check() calls add twice
    once = AnnotateOptions(timeout_s=5.0, num_trials=3, progress=False, repeat=1)
    many = AnnotateOptions(timeout_s=5.0, num_trials=3, progress=False, repeat=200)
    work = "def add(a, b):\n    return sum(range(20_000)) * 0 + a + b\n"
    with runner.worker() as worker:
        single, repeated = (annotate_solution(worker, ADD, work, o) for o in (once, many))
    assert single.passed and repeated.passed
    # Per call: the run's fixed cost (start, compile) is shared by 200 calls, so the time per call is smaller...
    assert repeated.runtime_s < single.runtime_s  # type: ignore[operator]
    # ...but not below the solution's own work (2 x 20,000 additions, well over 0.1 ms)
    assert repeated.runtime_s > 1e-4  # type: ignore[operator]
    # Repeating never turns a correct solution into a timeout: one that is too slow to repeat is run once.
    slow = "def add(a, b):\n    return sum(range(2_000_000)) * 0 + a + b\n"
    with runner.worker() as worker:
        verdict = annotate_solution(worker, ADD, slow, AnnotateOptions(timeout_s=1.0, num_trials=2, repeat=1000))
    assert verdict.passed and verdict.runtime_s > 0.01  # type: ignore[operator]


def test_stdio_solutions_are_compared_by_output(runner: Runner) -> None:
    with runner.worker() as worker:
        right = annotate_solution(worker, SQUARE, "n = int(input())\nprint(n * n)\n", FAST)
        wrong = annotate_solution(worker, SQUARE, "n = int(input())\nprint(n + n)\n", FAST)
    assert right.passed and right.runtime_s is not None
    assert not wrong.passed and "input 0: wrong output" in (wrong.reason or "")


def test_static_checks_accept_an_entry_point_bound_by_assignment() -> None:
    assert static_problem(ADD, "import operator\nadd = operator.add\n") is None
    assert static_problem(SQUARE, "print(1)\n") is None  # stdio programs have no entry point


def test_annotate_file_reports_bad_lines_and_resumes(tmp_path: Path) -> None:
    source, out = tmp_path / "s.jsonl", tmp_path / "a.jsonl"
    rows = [
        {"problem_id": "t/add", "sample_id": 0, "code": "def add(a, b):\n    return a + b\n", "model": "m"},
        {"problem_id": "t/add", "sample_id": 1, "code": "def add(a, b):\n    return 0\n", "model": "m"},
        {"problem_id": "t/missing", "sample_id": 0, "code": "x = 1\n", "model": "m"},
    ]
    source.write_text(json.dumps(rows[0]) + "\nnot json\n" + json.dumps({"sample_id": 3}) + "\n")
    problems = {"t/add": ADD}
    report: list[str] = []
    stats = annotate_file(source, out, FAST, report=report.append, problems=problems)
    assert stats.rows == 1 and stats.passed == 1
    assert report == [f"{source}:2: skipped: not JSON (Expecting value)",
                      f"{source}:3: skipped: no 'problem_id', 'code' field"]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    resumed = AnnotateOptions(timeout_s=2.0, num_trials=2, progress=False, resume=True, repeat=1)
    stats = annotate_file(source, out, resumed, problems=problems)
    assert stats.skipped == 1 and stats.rows == 2 and stats.passed == 0
    annotated = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["sample_id"], r["passed"]) for r in annotated] == [(0, True), (1, False), (0, False)]
    assert annotated[1]["reason"].startswith("error: AssertionError")
    assert annotated[2]["reason"] == "unknown problem 't/missing'"
    assert all({"problem_id", "sample_id", "code", "model", "passed", "runtime_s", "reason"} <= set(r)
               for r in annotated)


@pytest.fixture(scope="module")
def solutions(shared_data: Path) -> Path:
    path = shared_data / "mbpp" / "solutions_sc-1b-ms-0.6.jsonl"
    if not path.is_file():
        pytest.skip(f"Code-Optimise's solutions not found at {path}")
    return path


def test_code_optimise_solutions_convert(solutions: Path) -> None:
    raw = [json.loads(line) for line in solutions.read_text().splitlines()]
    rows = list(convert_code_optimise(solutions))
    assert len(rows) == sum(len(r["answers"]) for r in raw)
    assert sum(r["passed"] for r in rows) == sum(a["votes"] is not None for r in raw for a in r["answers"])
    first = rows[0]
    assert first["problem_id"] == f"mbpp/{raw[0]['id']}" and first["model"] == "sc-1b-ms-0.6"
    assert first["code"].startswith(raw[0]["question"].replace("\r\n", "\n").rstrip())
    assert all((r["runtime_s"] is None) != r["passed"] for r in rows)
    assert all("\r" not in r["code"] for r in rows)


def test_our_runner_agrees_with_code_optimise(solutions: Path, shared_data: Path, runner: Runner) -> None:
    """The fastest passing and one failing solution of a few problems get the same verdict from our sandbox."""
    rows = list(convert_code_optimise(solutions))
    ids = sorted({r["problem_id"] for r in rows})[:4]
    problems = problems_by_id(ids, shared_data)
    checked = 0
    for problem_id in ids:
        mine = [r for r in rows if r["problem_id"] == problem_id]
        passing = min((r for r in mine if r["passed"]), key=lambda r: r["runtime_s"], default=None)
        # a failing answer that parses and defines the function: a test failure, not a truncation
        failing = next((r for r in mine if not r["passed"]
                        and static_problem(problems[problem_id], r["code"]) is None), None)
        with runner.worker() as worker:
            for row in (passing, failing):
                if row is not None:
                    verdict = annotate_solution(worker, problems[problem_id], row["code"], FAST)
                    assert verdict.passed == row["passed"], (problem_id, row["sample_id"], verdict.reason)
                    checked += 1
    assert checked >= 6
