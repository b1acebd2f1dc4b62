"""Measure the rules on real programs: how often each fires, whether the rewrites stay correct, speedups.

For every slow program of a PIE-style rows file, ``rewrite`` is applied; the rewritten program is run on
all the tests of its problem in the sandbox (``bench.core.runner.Runner``) and must pass them; then it is
timed against the original with ``bench.core.timing.measure_speedup``. A rewrite that fails a test is retried
rule by rule to name the rule that broke it.

    python -m bench.harness.rule_measure [--rows ../shared/data/pie/dev.jsonl]
        [--tests ../shared/data/pie/tests] [--suite] [--trials 5] [--jobs N] [--limit N] [--out reports/rules]

``--suite`` measures the embedded suite (``bench/suite/*/slow.py``) instead.

Rows without any applicable rule count as 1.0x (unchanged); wrong rewrites count as 1.0x too, as PIE
counts wrong programs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.core.cases import TestCase, folder_name_problem, load_tests
from bench.core.compare import outputs_match
from bench.core.datasets import data_dir
from bench.core.jsonl import read_jsonl
from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits
from bench.core.timing import TimingSettings, measure_speedup
from bench.harness.rows import suite_rows
from optimizer.rules import ALL_RULES, rewrite


@dataclass
class RowResult:
    index: int
    problem_id: str
    rules: list[str] = field(default_factory=list)
    changed: bool = False
    correct: bool = True
    failure: str | None = None
    broken_by: list[str] = field(default_factory=list)
    speedup: float = 1.0
    slow_s: float | None = None
    fast_s: float | None = None


def _passes(runner: Runner, code: str, tests: list[TestCase], limits: SandboxLimits) -> str | None:
    """Why ``code`` fails the tests, or None when it passes them all."""
    for number, test in enumerate(tests):
        result = runner.run(code, test.input, limits)
        if not result.ok:
            return f"test {number}: {result.status}: {result.reason}"
        if not outputs_match(result.stdout, test.expected):
            return f"test {number}: wrong output"
    return None


@dataclass
class Program:
    """One slow program to rewrite, with the tests of its problem."""

    index: int
    problem_id: str
    code: str
    tests: Path


def pie_programs(rows_path: Path, tests_root: Path, column: str = "slow_code_col") -> list[Program]:
    """The programs of a rows file; a row whose problem id is not a plain folder name is reported and skipped."""
    programs = []
    for number, row in read_jsonl(rows_path, on_malformed=lambda bad: print(f"skipped: {bad}", file=sys.stderr)):
        problem_id = str(row.get("problem_id", ""))
        if (why := folder_name_problem(problem_id)) is not None:
            print(f"skipped: {rows_path}:{number}: problem_id {problem_id!r} {why}", file=sys.stderr)
            continue
        programs.append(Program(len(programs), problem_id, row[column], tests_root / problem_id))
    return programs


def suite_programs() -> list[Program]:
    return [Program(row.index, row.problem_id, row.slow_code, row.tests_folder) for row in suite_rows()]


def measure_program(runner: Runner, program: Program, settings: TimingSettings, limits: SandboxLimits) -> RowResult:
    result = RowResult(program.index, program.problem_id)
    slow = program.code
    rewritten = rewrite(slow)
    result.rules = sorted({f.code for f in rewritten.applied})
    result.changed = rewritten.code != slow
    if not result.changed:
        return result
    tests = load_tests(program.tests)
    failure = _passes(runner, rewritten.code, tests, limits)
    if failure:
        result.correct, result.failure = False, failure
        result.broken_by = [
            code for code in result.rules if _passes(runner, rewrite(slow, select={code}).code, tests, limits)
        ]
        return result
    timing = measure_speedup(runner, slow, rewritten.code, [t.input for t in tests], settings)
    if timing.failure or not timing.same_output:
        result.correct, result.failure = False, timing.failure or "output differs from the slow program"
        return result
    result.speedup, result.slow_s, result.fast_s = timing.speedup, timing.slow_s, timing.fast_s
    return result


def summarise(results: list[RowResult]) -> dict:
    fired: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    for r in results:
        fired.update(r.rules)
        wrong.update(r.broken_by or (r.rules if not r.correct else []))
    speedups = [r.speedup if r.correct else 1.0 for r in results]
    changed = [r for r in results if r.changed]
    return {
        "rows": len(results),
        "changed": len(changed),
        "correct_changed": sum(r.correct for r in changed),
        "correct_rate_changed": (sum(r.correct for r in changed) / len(changed)) if changed else 1.0,
        "opt_rate_pie": sum(s >= 1.10 for s in speedups) / len(speedups) if speedups else 0.0,
        "speedup_mean_pie": statistics.fmean(max(1.0, s) for s in speedups) if speedups else 1.0,
        "speedup_median_changed": statistics.median([r.speedup for r in changed if r.correct] or [1.0]),
        "speedup_buckets_changed": _buckets([r.speedup for r in changed if r.correct]),
        "rules": {
            rule.code: {"name": rule.name, "fired": fired.get(rule.code, 0), "broke": wrong.get(rule.code, 0)}
            for rule in ALL_RULES
        },
    }


def _buckets(speedups: list[float]) -> dict[str, int]:
    edges = [
        (0.0, 0.95, "<0.95"),
        (0.95, 1.10, "0.95-1.10"),
        (1.10, 1.5, "1.10-1.5"),
        (1.5, 3.0, "1.5-3"),
        (3.0, 10.0, "3-10"),
        (10.0, float("inf"), ">=10"),
    ]
    return {label: sum(lo <= s < hi for s in speedups) for lo, hi, label in edges}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=Path, default=data_dir() / "pie" / "dev.jsonl")
    parser.add_argument("--suite", action="store_true", help="the embedded suite (bench/suite) instead of --rows")
    parser.add_argument("--column", default="slow_code_col", help="the column of --rows holding the programs")
    parser.add_argument("--tests", type=Path, default=data_dir() / "pie" / "tests")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path("reports") / "rules")
    args = parser.parse_args(argv)
    programs = suite_programs() if args.suite else pie_programs(args.rows, args.tests, args.column)
    programs = programs[: args.limit] if args.limit else programs
    settings = TimingSettings(num_trials=args.trials)
    limits = SandboxLimits(timeout_s=10.0)
    started = time.monotonic()
    with Runner(jobs=args.jobs, limits=limits) as runner, ThreadPoolExecutor(runner.jobs) as pool:
        futures = [pool.submit(measure_program, runner, program, settings, limits) for program in programs]
        results = [f.result() for f in futures]
    summary = summarise(results)
    summary["seconds"] = round(time.monotonic() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / ("rules_measure_suite.json" if args.suite else "rules_measure.json")).write_text(
        json.dumps({"summary": summary, "rows": [asdict(r) for r in results]}, indent=1)
    )
    _print(summary, results)
    return 0


def _print(summary: dict, results: list[RowResult]) -> None:
    print(
        f"rows {summary['rows']}, rewritten {summary['changed']}, still correct {summary['correct_changed']} "
        f"({summary['correct_rate_changed']:.1%})"
    )
    print(
        f"%Opt (PIE, >= 1.10x over all rows) {summary['opt_rate_pie']:.3f}; "
        f"mean speedup (PIE, max(1, s)) {summary['speedup_mean_pie']:.2f}; "
        f"median over rewritten {summary['speedup_median_changed']:.2f}"
    )
    print("speedups of correct rewrites:", summary["speedup_buckets_changed"])
    print(f"{'rule':8} {'name':28} fired broke")
    for code, info in summary["rules"].items():
        print(f"{code:8} {info['name']:28} {info['fired']:5} {info['broke']:5}")
    for r in results:
        if not r.correct:
            print(f"  wrong: row {r.index} {r.problem_id} rules {r.rules} broken by {r.broken_by}: {r.failure}")


if __name__ == "__main__":
    sys.exit(main())
