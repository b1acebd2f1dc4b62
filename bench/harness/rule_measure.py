"""Measure the rules on real programs: how often each fires, whether the rewrites stay correct, speedups.

For every slow program of a PIE-style rows file, ``rewrite`` is applied; the rewritten program is run on
all the tests of its problem in the sandbox (``bench.core.runner.Runner``) and must pass them; then it is
timed against the original with ``bench.core.timing.measure_speedup``. A rewrite that fails a test is retried
rule by rule to name the rule that broke it.

    python -m bench.harness.rule_measure [--rows ../shared/data/pie/dev.jsonl] [--half tuning]
        [--tests ../shared/data/pie/tests] [--suite] [--trials 5] [--jobs N] [--limit N] [--out reports/rules]

``--suite`` measures the embedded suite (``bench/suite/*/slow.py``) instead. ``--half`` keeps the rows of one
half of the PIE dev split (``bench.harness.split``): rules are tuned on ``tuning`` and reported on ``report``.

Rows without any applicable rule count as 1.0x (unchanged); wrong rewrites count as 1.0x too, as PIE
counts wrong programs.

``--table PATH`` measures each rule alone instead and writes the Markdown table of it to PATH: every rule that
changes a program on its own is verified as the optimizer verifies a candidate (PIE's protocol: the first test's
input, the original as the oracle, ``optimizer.verify``'s threshold), and so are the rules stage's candidates
(``optimizer.rules.engine.rewrite_variants``: the fixpoint and its variants), to compare the fixpoint with the
search. PERF106's rows are also timed with the original's teardown measured as the wrapped program's is
(``teardown_check``)::

    nice -n 10 python -m bench.harness.rule_measure --half tuning --jobs 1 --table optimizer/rules/PAYOFF.md
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
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
from bench.core.timing import ORACLE, TimingSettings, measure_speedup, time_against_oracle
from bench.harness.rows import suite_rows
from bench.harness.split import HALVES, select_half
from optimizer.candidates import Candidate, Verdict, VerificationInputs
from optimizer.rules import ALL_RULES, rewrite
from optimizer.rules.engine import rewrite_variants, rule_family
from optimizer.verify import VerifySettings, verify_candidates


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


# --- each rule alone, as the verifier judges it (``--table``) ------------------------------------------------


@dataclass
class PayoffRow:
    """One program: each rule alone, the rules stage's fixpoint and its best variant, as the verifier judged them."""

    index: int
    problem_id: str
    # rule code -> (verdict status, speedup or None) of the rule alone, for the rules that change the program alone
    alone: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    fixpoint: tuple[str, float | None] | None = None
    search: tuple[str, float | None] | None = None  # the fastest verified variant (the fixpoint included)
    search_label: str = ""
    teardown: dict[str, float | None] | None = None  # PERF106 only: see ``teardown_check``


def first_test_input(program: Program) -> VerificationInputs:
    """PIE's protocol, as ``bench generate`` verifies: the first test's input."""
    tests = load_tests(program.tests)
    return VerificationInputs.from_caller([tests[0].input] if tests else [], "first test input")


def measure_payoff(runner: Runner, program: Program, settings: VerifySettings) -> PayoffRow:
    """Verify each rule alone and the rules stage's variants on ``program``, each distinct code once."""
    row = PayoffRow(program.index, program.problem_id)
    try:
        alone = {rule.code: rewrite(program.code, [rule]).code for rule in ALL_RULES}
        variants = rewrite_variants(program.code)
    except SyntaxError:
        return row
    alone = {code: text for code, text in alone.items() if text != program.code}
    distinct = list(dict.fromkeys([*alone.values(), *(v.result.code for v in variants)]))
    if not distinct:
        return row
    # Each candidate names its rules: one of an unsafe rule is checked on derived inputs, as the verifier does.
    made_by = {v.result.code: v.rule_codes for v in variants} | {text: (code,) for code, text in alone.items()}
    candidates = [Candidate(code, "rules", made_by[code]) for code in distinct]
    inputs = first_test_input(program)
    verdicts = dict(zip(distinct, verify_candidates(runner, program.code, candidates, inputs, settings), strict=True))
    row.alone = {code: _judged(verdicts[text]) for code, text in alone.items()}
    if variants:
        row.fixpoint = _judged(verdicts[variants[0].result.code])
        faster = [v for v in variants if verdicts[v.result.code].faster]
        best = max(faster, key=lambda v: verdicts[v.result.code].speedup or 0.0, default=variants[0])
        row.search, row.search_label = _judged(verdicts[best.result.code]), best.label
    if "PERF106" in alone and row.alone["PERF106"][0] in ("faster", "not_faster"):
        row.teardown = teardown_check(runner, program.code, alone["PERF106"], inputs, settings)
    return row


def _judged(verdict: Verdict) -> tuple[str, float | None]:
    return verdict.status, verdict.speedup


# What interpreter shutdown would do to the module's globals: drop them, so that their objects are freed, as the
# wrapped program's locals are when ``main()`` returns. The sandbox ends a program with ``os._exit`` (no shutdown).
TEARDOWN = "\nfor _global in [_n for _n in globals() if not _n.startswith('__')]:\n    del globals()[_global]\n"


def teardown_check(
    runner: Runner, original: str, wrapped: str, inputs: VerificationInputs, settings: VerifySettings
) -> dict[str, float | None]:
    """PERF106's speedup three ways: as verified (the original's globals are never freed, the wrapped program's
    locals are), against the original with its globals freed at the end (``TEARDOWN``), and both run as
    ``python main.py`` (a fresh interpreter each, with its real shutdown and start-up)."""
    stdin = list(inputs.stdin)
    with runner.worker() as worker:
        zygote = time_against_oracle(worker, original, {"freed": original + TEARDOWN, "wrapped": wrapped}, stdin,
                                     settings.timing, settings.limits)
    with Runner(mode="subprocess", jobs=1, limits=settings.limits) as fresh, fresh.worker() as worker:
        full = time_against_oracle(worker, original, {"wrapped": wrapped}, stdin, settings.timing, settings.limits)

    def ratio(slow, fast) -> float | None:
        return slow.median_s / fast.median_s if slow.ok and fast.ok and fast.median_s > 0 else None

    return {
        "as_verified": ratio(zygote[ORACLE], zygote["wrapped"]),
        "teardown_share": (zygote["freed"].median_s / zygote[ORACLE].median_s - 1.0) if zygote["freed"].ok else None,
        "against_freed": ratio(zygote["freed"], zygote["wrapped"]),
        "python_main_py": ratio(full[ORACLE], full["wrapped"]),
    }



def _percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0..1) of ``values`` (not empty)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _fmt(values: list[float], q: float) -> str:
    return f"{_percentile(values, q):.2f}" if values else "-"


def payoff_table(rows: list[PayoffRow], settings: VerifySettings, command: str, about: str) -> str:
    """The Markdown report of ``measure_payoff``'s rows: the per-rule table, the search against the fixpoint and
    PERF106's teardown check."""
    lines = [
        "# What each rule pays",
        "",
        f"Generated on {about} by `{command}`; do not edit by hand.",
        "",
        "Each rule is applied **alone** (to its own fixpoint) to every program and verified as the optimizer",
        "verifies a candidate: PIE's protocol (the first test's input, the original as the oracle), "
        f"{settings.timing.num_trials} trials",
        f"({settings.timing.metric} time), verified faster at >= max({settings.min_speedup}, 1 + the timings' spread). "
        "*fires*: programs the rule",
        "alone changes; *faster*: of those, verified faster; *wrong*: failed or gave another output (on the given",
        "input or, for an unsafe rule, on inputs derived from it); median and p90 speedup over the fires that ran",
        "correctly.",
        "",
        "| rule | name | family | safety | fires | faster | wrong | median | p90 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    never = []
    for rule in ALL_RULES:
        judged = [row.alone[rule.code] for row in rows if rule.code in row.alone]
        faster = sum(status == "faster" for status, _ in judged)
        wrong = sum(status in ("wrong", "invalid") for status, _ in judged)
        speedups = [s for status, s in judged if status in ("faster", "not_faster") and s is not None]
        if judged and not faster:
            never.append(rule.code)
        lines.append(f"| {rule.code} | `{rule.name}` | {rule_family(rule)} | {rule.safety} | {len(judged)} | "
                     f"{faster} | {wrong} | {_fmt(speedups, 0.5)} | {_fmt(speedups, 0.9)} |")
    lines += ["", f"Rules that fire but are never verified faster alone: {', '.join(never) or 'none'}.", ""]
    lines += [*_search_summary(rows), "", *_teardown_summary(rows, settings.min_speedup)]
    return "\n".join(lines) + "\n"


def _search_summary(rows: list[PayoffRow]) -> list[str]:
    changed = [row for row in rows if row.fixpoint is not None and row.search is not None]

    def outcome(verdicts: list[tuple[str, float | None]]) -> str:
        speedups = [s if status == "faster" and s else 1.0 for status, s in verdicts]
        mean = statistics.fmean(speedups + [1.0] * (len(rows) - len(speedups))) if rows else 1.0
        faster = sum(status == "faster" for status, _ in verdicts)
        return f"{faster} of {len(rows)} programs verified faster, mean speedup over all programs {mean:.2f}"

    winners = Counter(row.search_label.split(":")[0] for row in changed if row.search and row.search[0] == "faster")
    return [
        "## The rules stage: one fixpoint against the candidate search",
        "",
        f"{len(changed)} of {len(rows)} programs are changed by the rules.",
        f"- the fixpoint alone: {outcome([row.fixpoint for row in changed if row.fixpoint])};",
        "- the search (the fixpoint, the fixpoint minus each fired rule, each fired family alone; the fastest "
        f"verified): {outcome([row.search for row in changed if row.search])}; the winners: "
        f"{', '.join(f'{label} {n}' for label, n in winners.most_common()) or 'none'}.",
    ]


def _teardown_summary(rows: list[PayoffRow], min_speedup: float) -> list[str]:
    checks = [row.teardown for row in rows if row.teardown is not None]
    lines = ["## PERF106: the original's teardown measured as the wrapped program's", ""]
    if not checks:
        return [*lines, "No program on which PERF106 alone ran correctly."]

    def column(key: str) -> list[float]:
        return [c[key] for c in checks if c[key] is not None]

    lines += [
        f"{len(checks)} programs. The sandbox ends a program with `os._exit`: the original's module globals are",
        "never freed, while the wrapped program frees its locals when `main()` returns, inside the timing.",
        "",
        f"| measured as | median speedup of the wrapped program | p90 | >= {min_speedup} (spread not counted) |",
        "|---|---|---|---|",
    ]
    for key, what in (("as_verified", "verified (zygote, globals never freed)"),
                      ("against_freed", "original with its globals freed at its end"),
                      ("python_main_py", "`python main.py` each (real shutdown, start-up included)")):
        values = column(key)
        lines.append(f"| {what} | {_fmt(values, 0.5)} | {_fmt(values, 0.9)} | "
                     f"{sum(v >= min_speedup for v in values)} of {len(values)} |")
    share = column("teardown_share")
    lines += ["", f"Freeing the original's globals costs a median {_fmt(share, 0.5)} (p90 {_fmt(share, 0.9)}) of "
              "its run time (fraction)."]
    return lines


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
    parser.add_argument("--half", choices=HALVES,
                        help="only the rows whose problem is in this half of the PIE dev split (pie_dev_split.json)")
    parser.add_argument("--table", type=Path, default=None,
                        help="measure each rule alone as the verifier judges it and write the Markdown table here")
    args = parser.parse_args(argv)
    programs = suite_programs() if args.suite else pie_programs(args.rows, args.tests, args.column)
    if args.half:
        programs = select_half(programs, args.half, lambda program: program.problem_id)
    programs = programs[: args.limit] if args.limit else programs
    if args.table:
        command = shlex.join(["python", "-m", "bench.harness.rule_measure", *(sys.argv[1:] if argv is None else argv)])
        about = f"the {args.half} half of the PIE dev split" if args.half else "the embedded suite" if args.suite \
            else str(args.rows.name)
        return _payoff_main(programs, args, command, f"{about} ({len(programs)} programs)")
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


def _payoff_main(programs: list[Program], args: argparse.Namespace, command: str, about: str) -> int:
    settings = VerifySettings(timing=TimingSettings(num_trials=args.trials))
    started = time.monotonic()
    with Runner(jobs=args.jobs, limits=settings.limits) as runner, ThreadPoolExecutor(runner.jobs) as pool:
        rows = list(pool.map(lambda program: measure_payoff(runner, program, settings), programs))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "rule_payoff.json").write_text(json.dumps([asdict(row) for row in rows], indent=1))
    table = payoff_table(rows, settings, command, about)
    args.table.write_text(table)
    print(table)
    print(f"{time.monotonic() - started:.0f} s; rows in {args.out / 'rule_payoff.json'}, table in {args.table}")
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
