"""Noise-aware timing of programs compared side by side.

All the programs being compared run on the same worker (same CPU), interleaved trial by trial, with
the order rotated each trial so that no program always runs first. The first trial's outputs are
checked before any more time is spent on a program; the first ``ignore_first_k`` trials are dropped
(warm file cache, lazy imports of the zygote); the median of the rest is the program's time.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bench.core.compare import outputs_match
from bench.core.runner import Runner, Worker
from bench.core.sandbox import RunResult, SandboxLimits

Metric = Literal["cpu", "wall"]
# Given (program name, input index, result), return why the output is wrong, or None.
OutputCheck = Callable[[str, int, RunResult], str | None]


@dataclass(frozen=True)
class TimingSettings:
    """How programs are timed. ``metric`` "cpu" is user+system time of the program's process."""

    num_trials: int = 5
    ignore_first_k: int = 1
    metric: Metric = "cpu"

    def __post_init__(self) -> None:
        if not _whole(self.num_trials) or self.num_trials < 1:
            raise ValueError(f"num_trials must be a whole number of at least 1, got {self.num_trials!r}")
        if not _whole(self.ignore_first_k) or not 0 <= self.ignore_first_k < self.num_trials:
            raise ValueError(f"ignore_first_k must be between 0 and num_trials - 1 ({self.num_trials - 1}), "
                             f"got {self.ignore_first_k!r}")
        if self.metric not in ("cpu", "wall"):
            raise ValueError(f"metric must be 'cpu' or 'wall', got {self.metric!r}")


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class ProgramTiming:
    """One program's measurements over all inputs: one time per kept trial (summed over inputs)."""

    name: str
    trial_times: list[float] = field(default_factory=list)
    first_results: list[RunResult] = field(default_factory=list)
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None and bool(self.trial_times)

    @property
    def median_s(self) -> float:
        return statistics.median(self.trial_times) if self.trial_times else float("nan")

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median (0.05 = the middle half lies within 5%)."""
        if len(self.trial_times) < 2:
            return 0.0
        q1, _, q3 = statistics.quantiles(self.trial_times, n=4, method="inclusive")
        return (q3 - q1) / self.median_s if self.median_s > 0 else 0.0

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "failure": self.failure,
            "median_s": self.median_s if self.ok else None,
            "spread": round(self.spread, 4),
            "trial_times": [round(t, 6) for t in self.trial_times],
            "max_rss_bytes": max((r.max_rss_bytes for r in self.first_results), default=0),
        }


def time_programs(worker: Worker, programs: Mapping[str, str], inputs: Sequence[bytes],
                  settings: TimingSettings, check: OutputCheck | None = None,
                  limits: SandboxLimits | None = None) -> dict[str, ProgramTiming]:
    """Time every program on every input, interleaved; a program that fails stops being run."""
    timings = {name: ProgramTiming(name) for name in programs}
    names = list(programs)
    for trial in range(settings.num_trials):
        shift = trial % len(names)
        for name in names[shift:] + names[:shift]:
            timing = timings[name]
            if timing.failure is not None:
                continue
            total = 0.0
            for index, stdin in enumerate(inputs):
                result = worker.run(programs[name], stdin, limits)
                if trial == 0:
                    timing.first_results.append(result)
                problem = _problem(result, name, index, check if trial == 0 else None)
                if problem is not None:
                    timing.failure = problem
                    break
                total += result.cpu_s if settings.metric == "cpu" else result.wall_s
            else:
                if trial >= settings.ignore_first_k:
                    timing.trial_times.append(total)
    return timings


def _problem(result: RunResult, name: str, index: int, check: OutputCheck | None) -> str | None:
    if not result.ok:
        return f"input {index}: {result.status}: {result.reason}"
    if check is not None:
        wrong = check(name, index, result)
        if wrong is not None:
            return f"input {index}: wrong output: {wrong}"
    return None


@dataclass
class SpeedupMeasurement:
    """A fast program timed against a slow one, the slow one's output being the oracle."""

    speedup: float
    slow_s: float
    fast_s: float
    same_output: bool
    failure: str | None
    slow: ProgramTiming
    fast: ProgramTiming


ORACLE = "oracle"


def time_against_oracle(worker: Worker, oracle_code: str, candidates: Mapping[str, str], inputs: Sequence[bytes],
                        settings: TimingSettings, limits: SandboxLimits | None = None) -> dict[str, ProgramTiming]:
    """Time candidates side by side with the program they replace, whose outputs are the oracle.

    The oracle runs first in the first trial, so each candidate's output on each input is compared with
    the oracle's (``outputs_match``); the result holds the oracle's timing under ``ORACLE``.
    """
    oracle_outputs: dict[int, bytes] = {}

    def same_as_oracle(name: str, index: int, result: RunResult) -> str | None:
        if name == ORACLE:
            oracle_outputs[index] = result.stdout
            return None
        if index not in oracle_outputs:
            return "the original program produced no output to compare with"
        return None if outputs_match(result.stdout, oracle_outputs[index]) else "differs from the original program"

    programs = {ORACLE: oracle_code, **candidates}
    return time_programs(worker, programs, inputs, settings, check=same_as_oracle, limits=limits)


def measure_speedup(runner: Runner, slow_code: str, fast_code: str, inputs: Sequence[bytes],
                    settings: TimingSettings | None = None) -> SpeedupMeasurement:
    """Time ``fast_code`` against ``slow_code`` on ``inputs``; outputs must match the slow one's."""
    with runner.worker() as worker:
        timings = time_against_oracle(worker, slow_code, {"fast": fast_code}, inputs, settings or TimingSettings())
    slow, fast = timings[ORACLE], timings["fast"]
    failure = (slow.failure and f"slow: {slow.failure}") or (fast.failure and f"fast: {fast.failure}")
    same = slow.failure is None and fast.failure is None
    speedup = slow.median_s / fast.median_s if slow.ok and fast.ok and fast.median_s > 0 else float("nan")
    return SpeedupMeasurement(speedup, slow.median_s, fast.median_s, same, failure or None, slow, fast)
