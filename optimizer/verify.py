"""Verification: a candidate is offered as faster only if it behaves like the original and is measurably faster.

The original program is the oracle: the verifier never reads expected-output files. Every candidate
must parse, then produce the original's output on every verification input in the sandbox, then beat
the original by more than the measured noise, timed side by side with it (``bench.core.timing``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits
from bench.core.timing import ORACLE, ProgramTiming, TimingSettings, time_against_oracle
from optimizer.candidates import Candidate, Verdict, VerificationInputs
from optimizer.syntax import syntax_problem


@dataclass(frozen=True)
class VerifySettings:
    timing: TimingSettings = field(default_factory=TimingSettings)
    limits: SandboxLimits = field(default_factory=lambda: SandboxLimits(timeout_s=10.0))
    # Below this a speedup is not claimed whatever the spread: the A/A noise floor's p95 is ~1.03.
    min_speedup: float = 1.05


def verify_candidates(
    runner: Runner,
    original: str,
    candidates: Sequence[Candidate],
    inputs: VerificationInputs,
    settings: VerifySettings | None = None,
) -> list[Verdict]:
    """One verdict per candidate, all timed side by side with the original on one worker."""
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
        timings = time_against_oracle(
            worker, original, {str(i): candidates[i].code for i in pending}, stdin, settings.timing, settings.limits
        )
    sources = inputs.counts(usable)
    for i in pending:
        verdicts[i] = _judge(timings[ORACLE], timings[str(i)], len(stdin), sources, settings)
    return [v for v in verdicts if v is not None]


def _inputs_the_original_handles(worker, original: str, inputs: VerificationInputs, limits: SandboxLimits) -> list[int]:
    """Inputs on which the original itself exits cleanly: the others say nothing about a candidate."""
    return [k for k, stdin in enumerate(inputs.stdin) if worker.run(original, stdin, limits).ok]


def _judge(
    original: ProgramTiming, candidate: ProgramTiming, n_inputs: int, sources: dict[str, int], settings: VerifySettings
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
    return Verdict(status, reason, speedup, spread, original.median_s, candidate.median_s, **common)
