"""A top-level function verified on its own few calls (doctests, literal call sites) is also checked on calls derived
from them (optimizer/function_derived_calls.py): a rewrite that fits the shown examples but breaks on an empty list
or a zero is rejected, with the call that showed it."""

from __future__ import annotations

import pytest

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits
from bench.core.timing import TimingSettings
from optimizer.candidates import Candidate
from optimizer.functions import FunctionCall, literal_arguments
from optimizer.pipeline import Optimizer, OptimizerSettings
from optimizer.verify import VerifySettings

# No type hints: the doctest is all the verification there is without derived calls.
MODULE = '''def largest_gap(values):
    """The largest difference between neighbours once sorted.

    >>> largest_gap([7, 1, 4])
    3
    """
    ordered = sorted(values)
    best = 0
    for i in range(1, len(ordered)):
        gap = ordered[i] - ordered[i - 1]
        if gap > best:
            best = gap
    return best
'''
CORRECT = '''def largest_gap(values):
    ordered = sorted(values)
    return max((b - a for a, b in zip(ordered, ordered[1:])), default=0)
'''
# Right on [7, 1, 4]; wrong on one or no value (max() of an empty sequence raises) and on equal values.
FITS_THE_EXAMPLE = '''def largest_gap(values):
    ordered = sorted(values)
    return max(b - a for a, b in zip(ordered, ordered[1:]) if b != a)
'''


class FixedCandidates:
    def __init__(self, *candidates: Candidate) -> None:
        self.fixed = candidates

    def candidates(self, code: str) -> tuple[list[Candidate], list[str]]:
        return list(self.fixed), []


def optimizer(runner: Runner, *candidates: Candidate, derived: bool = True) -> Optimizer:
    verify = VerifySettings(timing=TimingSettings(num_trials=3),
                            limits=SandboxLimits(timeout_s=10), derived_inputs=derived)
    return Optimizer(OptimizerSettings(verify=verify), runner=runner, generator=FixedCandidates(*candidates))


def verdicts(runner: Runner, *candidates: Candidate, derived: bool = True):
    result = optimizer(runner, *candidates, derived=derived).optimize_function(MODULE, "largest_gap")
    return [verdict for _, verdict in result.tried]


def test_a_rewrite_that_only_fits_the_doctest_is_wrong_on_a_derived_call(runner: Runner):
    (wrong,) = verdicts(runner, Candidate(FITS_THE_EXAMPLE, "llm"))
    assert wrong.status == "wrong", wrong
    assert wrong.reason.startswith("wrong on a derived call ("), wrong.reason
    assert wrong.derived_inputs_checked >= 1


def test_without_derived_calls_the_same_rewrite_passes(runner: Runner):
    (passed,) = verdicts(runner, Candidate(FITS_THE_EXAMPLE, "llm"), derived=False)
    assert passed.status in ("faster", "not_faster"), passed
    assert passed.derived_inputs_checked == 0


def test_a_correct_rewrite_passes_the_derived_calls(runner: Runner):
    (correct,) = verdicts(runner, Candidate(CORRECT, "llm"))
    assert correct.status in ("faster", "not_faster"), correct
    assert correct.derived_inputs_checked >= 5  # empty, single, equal, sorted, reversed, drawn lists ...
    assert correct.input_sources == {"doctest": 1}


def test_a_safe_rules_candidate_needs_no_derived_calls(runner: Runner):
    (safe,) = verdicts(runner, Candidate(CORRECT, "rules", rules=("PERF103",)))
    assert safe.status in ("faster", "not_faster"), safe
    assert safe.derived_inputs_checked == 0


@pytest.mark.parametrize(("arguments", "expected"), [
    ("[3, 1], key=None", (([3, 1],), {"key": None})),
    ("'ab', (1, 2.5), {'k': b'x'}", (("ab", (1, 2.5), {"k": b"x"}), {})),
    ("-1, n=-0.5", ((-1,), {"n": -0.5})),
    ("items, 1", None),  # a name
    ("*pairs", None),
    ("**options", None),
    ("len('ab')", None),  # a call
])
def test_only_literal_arguments_are_derived_from(arguments: str, expected):
    assert literal_arguments(FunctionCall(arguments, "doctest")) == expected


def test_the_report_names_the_derived_calls(runner: Runner):
    from server.report import details

    resorted = "    for _ in range(300):\n        ordered = sorted(values)\n"  # wasted work: the rewrite is faster
    wasteful = MODULE.replace("    best = 0\n", "    best = 0\n" + resorted)
    result = optimizer(runner, Candidate(CORRECT, "llm")).optimize_function(wasteful, "largest_gap")
    assert result.improved, result.tried
    report = details(result, "Optimize for speed", "gaps.py", "function")
    assert "calls derived from those (boundary values and drawn arguments)" in report, report
    assert "shrunk and mutated" not in report
