"""Evaluating function rows (``function_rows``) the way the editor verifies a function: the slow module's calls are
captured from the package's own tests, then the reference and every candidate are checked on those calls (a deep
comparison of return values, arguments afterwards and exceptions) and by the tests that made them, and timed on
the replayed calls side by side with the slow module (``optimizer.project_verify.ProjectVerifier``).

``generate_function_rows`` is the optimizer's side: the same path as "Optimize for speed" in the editor
(``optimizer.project_optimize.optimize_target``), the target's region alone sent to the generator.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from tqdm import tqdm

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits
from bench.core.timing import TimingSettings
from bench.harness.evaluate import REFERENCE, SLOW, EvalRun, run_rows
from bench.harness.function_rows import FunctionRow
from bench.harness.report import program_metrics
from bench.harness.rows import DataError
from optimizer.candidates import Candidate, Verdict
from optimizer.functions import FunctionNotFoundError
from optimizer.package_context import PackageContextError
from optimizer.pipeline import Optimizer
from optimizer.project_optimize import CAPTURE_TIMEOUT_FACTOR, optimize_target
from optimizer.project_runs import CapturedCalls, ProjectRunError, capture_calls
from optimizer.project_verify import MAX_FAILED_TESTS_SHOWN, ProjectVerifier
from optimizer.syntax import syntax_problem
from optimizer.targets import find_target
from optimizer.verify import VerifySettings

PROTOCOL = ("function rows: the slow module's calls captured from the package's own tests; the reference and each "
            "candidate replayed on them (return value, arguments after the call, exception type) and run against "
            "the tests that made them, then timed on the replayed calls side by side with the slow module")
CORRECT = ("faster", "not_faster")
# What keeps a row from being evaluated at all: its package, its tests or the slow module itself.
ROW_ERRORS = (ProjectRunError, PackageContextError, DataError, FunctionNotFoundError)


@dataclass
class FunctionRowResult:
    """A function row's verdicts, one per program besides the slow module, and what they rest on."""

    row: FunctionRow
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    error: str | None = None
    evidence: str = ""

    @property
    def names(self) -> list[str]:
        return [SLOW, *self.verdicts]

    def speedup(self, name: str) -> float | None:
        """The measured speedup over the slow module when the program is correct (1.0 for the slow module
        itself, handed back unchanged); None when it is wrong, invalid or unverified."""
        verdict = self.verdicts.get(name)
        if self.error or verdict is None or verdict.status not in CORRECT:
            return None
        return verdict.speedup if verdict.speedup is not None else 1.0

    def to_json(self) -> dict:
        return {
            "index": self.row.index,
            "problem_id": self.row.problem_id,
            "target": self.row.target,
            "error": self.error,
            "evidence": self.evidence,
            "programs": {name: {"status": v.status, "speedup": v.speedup, "reason": v.reason,
                                "failure": None if v.status in CORRECT else f"{v.status}: {v.reason}"}
                         for name, v in self.verdicts.items()},
            "speedups": {name: self.speedup(name) for name in self.verdicts},
        }


def capture_limits(settings: VerifySettings) -> VerifySettings:
    """The whole test suite runs once to capture calls: it gets the editor's longer limit."""
    return replace(settings, limits=replace(settings.limits, timeout_s=settings.limits.timeout_s
                                            * CAPTURE_TIMEOUT_FACTOR))


def capture_row(row: FunctionRow, runner: Runner, settings: VerifySettings) -> CapturedCalls:
    """The slow module's calls of the target, captured from the row's tests; ROW_ERRORS when that cannot be."""
    problem = syntax_problem(row.slow_code)
    if problem is not None:
        raise DataError(f"the slow module {problem}")
    find_target(ast.parse(row.slow_code), row.slow_code, row.qualname)
    return capture_calls(runner, row.context(), row.qualname, capture_limits(settings).limits)


def slow_problem(row: FunctionRow, captured: CapturedCalls) -> str | None:
    """Why the row cannot be evaluated on what the capture found (None: it can)."""
    if captured.errors and not captured.calls:
        return f"the tests could not be collected: {captured.errors[0]}"
    if captured.failed:
        shown = ", ".join(captured.failed[:MAX_FAILED_TESTS_SHOWN])
        return f"the slow version fails {len(captured.failed)} of its tests: {shown}"
    if not captured.calls:
        skipped = f" ({captured.skipped} calls with unpicklable arguments)" if captured.skipped else ""
        return f"the tests never call {row.qualname}{skipped}"
    return None


def evaluate_function_row(row: FunctionRow, runner: Runner, settings: VerifySettings,
                          captured: CapturedCalls | None = None) -> FunctionRowResult:
    """The reference's and candidates' verdicts against the slow module (``captured``: its calls, if known)."""
    result = FunctionRowResult(row)
    programs = ({REFERENCE: row.reference_code} if row.reference_code is not None else {}) | dict(row.candidates)
    try:
        captured = captured if captured is not None else capture_row(row, runner, settings)
        result.error = slow_problem(row, captured)
        if result.error:
            return result
        runnable = {name: code for name, code in programs.items() if code is not None}
        verifier = ProjectVerifier(runner, row.context(), row.qualname, captured, settings)
        verdicts = verifier.verify([Candidate(code, name) for name, code in runnable.items()])
    except ROW_ERRORS as exc:
        result.error = str(exc)
        return result
    by_name = dict(zip(runnable, verdicts, strict=True))
    result.verdicts = {name: by_name.get(name, Verdict("invalid", "no code")) for name in programs}
    if verdicts and all(v.status == "unverified" for v in verdicts):
        result.error = verdicts[0].reason
    result.evidence = next((v.evidence for v in verdicts if v.evidence), "")
    return result


def evaluate_function_rows(rows: Sequence[FunctionRow], runner: Runner, settings: VerifySettings,
                           captured: dict[str, CapturedCalls] | None = None, progress: bool = True,
                           ) -> EvalRun[FunctionRowResult]:
    """Every row, ``runner.jobs`` at a time; ``captured`` holds calls captured already, by problem id."""
    known = captured or {}
    return run_rows(rows, lambda row: evaluate_function_row(row, runner, settings, known.get(row.problem_id)),
                    runner, lambda r: "sandbox_error" in (r.error or ""), progress, "function rows")


def generate_function_rows(rows: Sequence[FunctionRow], optimizer: Optimizer, progress: bool = True,
                           ) -> Iterator[tuple[FunctionRow, str, dict, CapturedCalls | None]]:
    """Per row: the optimizer's module (the slow one when nothing verified), what produced it, and the calls
    captured on the way (None when the capture failed), for the evaluation to reuse."""
    for row in tqdm(rows, desc="generating (functions)", unit="row", disable=not progress, dynamic_ncols=True):
        captured = None
        try:
            captured = capture_row(row, optimizer.runner, optimizer.settings.verify)
            result = optimize_target(optimizer, row.context(), row.qualname, captured)
        except ROW_ERRORS as exc:
            yield row, row.slow_code, {"improved": False, "notes": [str(exc)], "seconds": 0.0}, captured
            continue
        generation = result.to_json()
        verdict = result.verdict or (result.tried[0][1] if result.tried else None)
        if verdict is None:
            generation["evidence"] = "optimizer: no candidate"
        else:
            generation["evidence"] = (f"optimizer: {verdict.evidence}" if result.improved
                                      else f"optimizer: nothing verified ({verdict.status}: {verdict.reason})")
        generation["protocol"] = "the editor's path: the target's region generated, verified on the calls " \
                                 "captured from the package's tests and by those tests"
        yield row, result.code, generation, captured


def run_function_rows(rows: Sequence[FunctionRow], timing: TimingSettings, limits: SandboxLimits, mode: str,
                      jobs: int | None, captured: dict[str, CapturedCalls] | None = None, progress: bool = True,
                      ) -> EvalRun[FunctionRowResult]:
    """``evaluate_function_rows`` on a runner of its own, with the evaluation's timing settings and limits."""
    settings = VerifySettings(timing=timing, limits=limits, derived_inputs=False)
    with Runner(mode=mode, jobs=jobs, limits=limits) as runner:  # type: ignore[arg-type]
        return evaluate_function_rows(rows, runner, settings, captured, progress)


def function_section(run: EvalRun[FunctionRowResult], generation: dict[str, dict]) -> dict:
    """The report's "functions" part: metrics per program over the rows the slow module passed, and each row."""
    return {
        "protocol": PROTOCOL,
        "elapsed_s": round(run.elapsed_s, 2),
        "interrupted": run.interrupted,
        "n_rows": len(run.results),
        "n_invalid_rows": sum(r.error is not None for r in run.results),
        "programs": program_metrics(run),
        "generation": generation,
        "rows": [r.to_json() for r in run.results],
    }
