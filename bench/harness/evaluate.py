"""Evaluate rows: run each row's programs on its tests, side by side, and collect verdicts and times."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from tqdm import tqdm

from bench.core.cases import TestCase, load_tests
from bench.core.compare import DEFAULT_FLOAT_TOL, first_difference, outputs_match
from bench.core.runner import Runner
from bench.core.sandbox import RunResult, SandboxLimits
from bench.core.timing import ProgramTiming, TimingSettings, time_programs
from bench.harness.rows import EvalRow

SLOW = "slow"
REFERENCE = "reference"

# Which programs of a row to run, by name; the slow one must be among them.
ProgramSelection = Callable[[EvalRow], dict[str, str | None]]


def slow_reference_and_candidates(row: EvalRow) -> dict[str, str | None]:
    programs: dict[str, str | None] = {SLOW: row.slow_code}
    if row.reference_code is not None:
        programs[REFERENCE] = row.reference_code
    programs.update(row.candidates)
    return programs


SLOW_AGAIN = "slow_again"


def slow_against_itself(row: EvalRow) -> dict[str, str | None]:
    """The A/A selection: the slow program twice, as if it were its own optimisation."""
    return {SLOW: row.slow_code, SLOW_AGAIN: row.slow_code}


@dataclass(frozen=True)
class EvalSettings:
    timing: TimingSettings = field(default_factory=TimingSettings)
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    float_tol: float = DEFAULT_FLOAT_TOL
    max_tests: int | None = None  # use only the first N tests of each problem


@dataclass
class RowResult:
    row: EvalRow
    timings: dict[str, ProgramTiming] = field(default_factory=dict)
    n_tests: int = 0
    error: str | None = None

    @property
    def names(self) -> list[str]:
        return list(self.timings)

    def speedup(self, name: str) -> float | None:
        """``slow / name`` when both passed every test; ``None`` when ``name`` is wrong or absent."""
        slow, other = self.timings.get(SLOW), self.timings.get(name)
        if self.error or slow is None or other is None or not (slow.ok and other.ok) or other.median_s <= 0:
            return None
        return slow.median_s / other.median_s

    def to_json(self) -> dict:
        return {
            "index": self.row.index,
            "problem_id": self.row.problem_id,
            "n_tests": self.n_tests,
            "error": self.error,
            "programs": {name: t.to_json() for name, t in self.timings.items()},
            "speedups": {name: self.speedup(name) for name in self.timings if name != SLOW},
        }


ResultT = TypeVar("ResultT", bound="RowOutcome")


class RowOutcome(Protocol):
    """What a report needs of a row's result: stdin rows (``RowResult``) and function rows alike."""

    error: str | None

    @property
    def names(self) -> list[str]:
        """The programs evaluated, the slow one first."""
        ...

    def speedup(self, name: str) -> float | None: ...

    def to_json(self) -> dict: ...


@dataclass
class EvalRun(Generic[ResultT]):
    results: list[ResultT]
    interrupted: bool
    elapsed_s: float


def evaluate_row(row: EvalRow, runner: Runner, settings: EvalSettings,
                 select: ProgramSelection = slow_reference_and_candidates) -> RowResult:
    tests = load_tests(row.tests_folder) if row.tests_folder else []
    if settings.max_tests is not None:
        tests = tests[: settings.max_tests]
    result = RowResult(row, n_tests=len(tests))
    if not tests:
        result.error = f"no tests for problem {row.problem_id} (looked in {row.tests_folder})"
        return result
    programs = select(row)
    runnable = {name: code for name, code in programs.items() if code is not None}
    with runner.worker() as worker:
        result.timings = time_programs(worker, runnable, [t.input for t in tests], settings.timing,
                                       check=_expected_output_check(tests, settings.float_tol),
                                       limits=settings.limits)
    for name in programs.keys() - runnable.keys():
        result.timings[name] = ProgramTiming(name, failure="no code")
    slow = result.timings[SLOW]
    if not slow.ok:
        result.error = f"the slow program itself fails: {slow.failure}"
    return result


def _expected_output_check(tests: Sequence[TestCase], float_tol: float):
    def check(name: str, index: int, run: RunResult) -> str | None:
        expected = tests[index].expected
        if outputs_match(run.stdout, expected, float_tol):
            return None
        return first_difference(run.stdout, expected, float_tol)

    return check


def evaluate(rows: Sequence[EvalRow], runner: Runner, settings: EvalSettings,
             select: ProgramSelection = slow_reference_and_candidates, progress: bool = True,
             description: str = "evaluating") -> EvalRun[RowResult]:
    """Evaluate rows in parallel (one worker per row at a time); Ctrl-C returns what finished."""
    return run_rows(rows, lambda row: evaluate_row(row, runner, settings, select), runner, _killed, progress,
                    description)


def run_rows(rows: Sequence[Any], evaluate_one: Callable[[Any], ResultT], runner: Runner,
             killed: Callable[[ResultT], bool], progress: bool = True, description: str = "evaluating",
             ) -> EvalRun[ResultT]:
    """``evaluate_one`` on each row (each has an ``index``), ``runner.jobs`` rows at a time; Ctrl-C kills the runs
    in flight and returns the rows that finished (``killed`` tells a row cut short from one that failed)."""
    started = time.perf_counter()
    results: dict[int, ResultT] = {}
    interrupted = False
    pool = ThreadPoolExecutor(max_workers=runner.jobs)
    # Rows take seconds each: show every one as it finishes (tqdm's default throttling can hide them).
    bar = tqdm(total=len(rows), desc=description, unit="row", disable=not progress, dynamic_ncols=True,
               mininterval=0, miniters=1)
    pending: set[Future[ResultT]] = set()
    try:
        # Submitting inside the try: a Ctrl-C between two submits must still kill the runs already started,
        # or the pool's exit would wait for them (a hanging program holds the process for its full timeout).
        for row in rows:
            pending.add(pool.submit(evaluate_one, row))
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()
                results[result.row.index] = result
                bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
        for future in pending:
            future.cancel()
        runner.close()  # kills the runs in flight; their rows are left out of the report
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    ordered = [results[row.index] for row in rows if row.index in results]
    if interrupted:
        ordered = [r for r in ordered if not killed(r)]
    return EvalRun(ordered, interrupted, time.perf_counter() - started)


def _killed(result: RowResult) -> bool:
    return any(t.failure and "sandbox_error" in t.failure for t in result.timings.values())
