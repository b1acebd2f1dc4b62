"""Verification: a candidate is offered as faster only if it behaves like the original and is measurably faster.

The original program is the oracle: the verifier never reads expected-output files. Every candidate
must parse, then produce the original's output on every verification input in the sandbox, then beat
the original by more than the measured noise, timed side by side with it (``bench.core.timing``).

Trust by origin (issue 17): one large given input cannot tell a rewrite that dropped a branch from a correct
one, so a candidate that a model wrote (or that came from a file) must also match the original on inputs
derived from the given ones (``optimizer.derived_inputs``: shrunk and mutated, the original as the oracle
and the filter). A candidate of the AST rules alone, every rule applied ``safe`` by construction, is
trusted on the given inputs; an unsafe rule's candidate is checked like a model's. The derived inputs are
checked after timing, on the candidates that matched on the given inputs (a candidate wrong on those is
reported as before); timing stays on the given inputs, which are the large ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bench.core.runner import Runner, Worker
from bench.core.sandbox import SandboxLimits
from bench.core.timing import ORACLE, ProgramTiming, TimingSettings, time_against_oracle
from optimizer.candidates import Candidate, Verdict, VerificationInputs
from optimizer.derived_inputs import DerivedInputCache, Run, first_mismatch
from optimizer.derived_inputs.derive import DEFAULT_MAX_INPUTS
from optimizer.derived_inputs.oracle import DEFAULT_BUDGET_S
from optimizer.rules import RULES_BY_CODE
from optimizer.syntax import syntax_problem


@dataclass(frozen=True)
class VerifySettings:
    timing: TimingSettings = field(default_factory=TimingSettings)
    limits: SandboxLimits = field(default_factory=lambda: SandboxLimits(timeout_s=10.0))
    # Below this a speedup is not claimed whatever the spread: the A/A noise floor's p95 is ~1.03.
    min_speedup: float = 1.05
    # Check candidates that are not trusted by origin on inputs derived from the given ones.
    derived_inputs: bool = True
    # Seconds the original may spend filtering the derived inputs (one run is also cut at this).
    derived_budget_s: float = DEFAULT_BUDGET_S
    derived_max_inputs: int = DEFAULT_MAX_INPUTS


def wants_derived_check(candidate: Candidate, verdict: Verdict, settings: VerifySettings) -> bool:
    """Whether ``candidate``, judged ``verdict`` on the given inputs, is also run on derived ones: only a candidate
    that matched on the given inputs has anything left to show, and only one its origin does not vouch for."""
    return verdict.status in ("faster", "not_faster") and settings.derived_inputs and needs_derived_inputs(candidate)


def with_derived_check(verdict: Verdict, checked: int, wrong: str | None) -> Verdict:
    """``verdict`` after the derived check: how many derived inputs it ran on, and wrong when one differed."""
    verdict = replace(verdict, derived_inputs_checked=checked)
    return verdict if wrong is None else replace(verdict, status="wrong", reason=wrong)


def needs_derived_inputs(candidate: Candidate) -> bool:
    """Whether the given inputs alone cannot vouch for ``candidate``: all but a rules-only candidate of safe rules."""
    if candidate.engine != "rules" or not candidate.rules:
        return True
    return any(code not in RULES_BY_CODE or RULES_BY_CODE[code].safety != "safe" for code in candidate.rules)


def verify_candidates(
    runner: Runner,
    original: str,
    candidates: Sequence[Candidate],
    inputs: VerificationInputs,
    settings: VerifySettings | None = None,
    derived_cache: DerivedInputCache | None = None,
) -> list[Verdict]:
    """One verdict per candidate, all timed side by side with the original on one worker.

    ``derived_cache`` keeps the derived inputs the original handled between calls (the Optimizer holds one),
    so the original is run on them once per program version.
    """
    settings = settings or VerifySettings()
    verdicts: list[Verdict | None] = [None] * len(candidates)
    for i, candidate in enumerate(candidates):
        problem = syntax_problem(candidate.code)
        if problem is not None:
            verdicts[i] = Verdict("invalid", problem)
        elif candidate.code == original:
            verdicts[i] = Verdict("not_faster", "identical to the original")
    pending = [i for i, v in enumerate(verdicts) if v is None]
    if not pending:
        return [v for v in verdicts if v is not None]
    with runner.worker() as worker:
        usable = _inputs_the_original_handles(worker, original, inputs, settings.limits)
        if not usable:
            reason = "no verification inputs" if not inputs.stdin else "the original fails on every input"
            for i in pending:
                verdicts[i] = Verdict("unverified", reason)
            return [v for v in verdicts if v is not None]
        stdin = [inputs.stdin[k] for k in usable]
        programs = {str(i): candidates[i].code for i in pending}
        timings = time_against_oracle(worker, original, programs, stdin, settings.timing, settings.limits)
        sources = inputs.counts(usable)
        labels = [inputs.sources[k] for k in usable]
        judged = {i: _judge(timings[ORACLE], timings[str(i)], len(stdin), sources, settings, labels) for i in pending}
        wanting = [i for i, v in judged.items() if wants_derived_check(candidates[i], v, settings)]
        cache = DerivedInputCache() if derived_cache is None else derived_cache  # an empty cache is falsy
        checks = _check_derived(worker, original, [candidates[i] for i in wanting], stdin, settings, cache)
    for i, (count, wrong) in zip(wanting, checks, strict=True):
        judged[i] = with_derived_check(judged[i], count, wrong)
    for i, verdict in judged.items():
        verdicts[i] = verdict
    return [v for v in verdicts if v is not None]


def _check_derived(
    worker: Worker, original: str, candidates: Sequence[Candidate], stdin: Sequence[bytes],
    settings: VerifySettings, cache: DerivedInputCache,
) -> list[tuple[int, str | None]]:
    """Per candidate: how many derived inputs it was run on, and why it is wrong (None: it matched on all)."""
    if not candidates:
        return []
    limits = replace(settings.limits, timeout_s=min(settings.limits.timeout_s, settings.derived_budget_s))
    checked = cache.checked_inputs(original, stdin, _run_on(worker, original, limits),
                                   max_inputs=settings.derived_max_inputs, budget_s=settings.derived_budget_s)
    results: list[tuple[int, str | None]] = []
    for candidate in candidates:
        mismatch = first_mismatch(checked, _run_on(worker, candidate.code, limits))
        if mismatch is None:
            results.append((len(checked), None))
        else:
            results.append((checked.index(mismatch.checked) + 1, mismatch.describe()))
    return results


def _run_on(worker: Worker, code: str, limits: SandboxLimits) -> Run:
    """``code`` as the derived inputs' ``run(stdin) -> (exited cleanly, stdout)``, in the sandbox worker."""

    def run(stdin: str) -> tuple[bool, str]:
        result = worker.run(code, stdin.encode("utf-8"), limits)
        return result.ok, result.stdout.decode("utf-8", errors="replace")

    return run



def _inputs_the_original_handles(worker, original: str, inputs: VerificationInputs, limits: SandboxLimits) -> list[int]:
    """Inputs on which the original itself exits cleanly: the others say nothing about a candidate."""
    return [k for k, stdin in enumerate(inputs.stdin) if worker.run(original, stdin, limits).ok]
def _judge(
    original: ProgramTiming, candidate: ProgramTiming, n_inputs: int, sources: dict[str, int], settings: VerifySettings,
    labels: Sequence[str] = (),
) -> Verdict:
    common = {"inputs_used": n_inputs, "input_sources": sources}
    if not original.ok:
        return Verdict("unverified", f"the original failed while timing: {original.failure}", **common)
    if not candidate.ok:
        return Verdict("wrong", candidate.failure or "failed", **common)
    speedup = original.median_s / candidate.median_s if candidate.median_s > 0 else float("inf")
    spread = original.spread + candidate.spread
    threshold = max(settings.min_speedup, 1.0 + spread)
    status = "faster" if speedup >= threshold else "not_faster"
    reason = "" if status == "faster" else f"{speedup:.2f}x is within the noise (needs {threshold:.2f}x)"
    return Verdict(status, reason, speedup, spread, original.median_s, candidate.median_s, **common,
                   input_times=_input_times(original, candidate, labels, settings.timing.metric))


def _input_times(original: ProgramTiming, candidate: ProgramTiming, labels: Sequence[str],
                 metric: str) -> tuple[tuple[str, float, float], ...]:
    """Each input's seconds in the first trial, original and candidate: the report shows where the time went."""
    def seconds(result) -> float:
        return result.cpu_s if metric == "cpu" else result.wall_s

    return tuple((label, seconds(a), seconds(b))
                 for label, a, b in zip(labels, original.first_results, candidate.first_results, strict=False))
