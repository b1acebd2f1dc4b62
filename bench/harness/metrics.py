"""The evaluation metrics, each defined once (the README's "Metrics" section says the same).

Every metric is computed from one speedup per row, ``None`` for a row whose program was wrong
(failed a test, crashed, timed out) and ``slow time / program time`` otherwise.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

PIE_OPT_THRESHOLD = 1.10


def summarise(speedups: Sequence[float | None]) -> dict[str, float | int | None]:
    n = len(speedups)
    correct = [s for s in speedups if s is not None]
    if n == 0:
        return {"n": 0, "n_correct": 0, "pass_at_1": None, "opt_rate_fasterpy": None, "opt_rate_pie": None,
                "speedup_mean_pie": None, "speedup_at_1_fasterpy": None, "speedup_median_correct": None}
    return {
        "n": n,
        "n_correct": len(correct),
        # correct programs / all programs
        "pass_at_1": len(correct) / n,
        # FasterPy's %OPT: faster by any margin / correct programs
        "opt_rate_fasterpy": sum(s > 1.0 for s in correct) / len(correct) if correct else 0.0,
        # PIE's %Opt: speedup >= 1.10 / all programs (wrong or slower counted as 1.0x)
        "opt_rate_pie": sum(s >= PIE_OPT_THRESHOLD for s in correct) / n,
        # PIE's mean speedup: mean over all programs of max(1, speedup), wrong = 1.0
        "speedup_mean_pie": (sum(max(1.0, s) for s in correct) + (n - len(correct))) / n,
        # FasterPy's Speedup@1: mean speedup over correct programs
        "speedup_at_1_fasterpy": statistics.fmean(correct) if correct else None,
        "speedup_median_correct": statistics.median(correct) if correct else None,
    }


def noise_floor(speedups: Sequence[float]) -> dict[str, float | int]:
    """A/A statistics: a program timed against itself; ideally every ratio is 1.0."""
    ordered = sorted(speedups)
    if not ordered:
        return {"n": 0}
    q = statistics.quantiles(ordered, n=20, method="inclusive") if len(ordered) > 1 else [ordered[0]] * 19
    return {
        "n": len(ordered),
        "mean": statistics.fmean(ordered),
        "median": statistics.median(ordered),
        "p5": q[0],
        "p95": q[-1],
        "stdev": statistics.stdev(ordered) if len(ordered) > 1 else 0.0,
        "spurious_opt_rate_pie": sum(s >= PIE_OPT_THRESHOLD for s in ordered) / len(ordered),
    }
