"""Derived calls (optimizer.derived_calls): a rewrite that matches the original on the calls the project's tests
make, but not on an empty list, ``n=0`` or a reversed list, is rejected through the real verification path
(optimizer.project_optimize -> project_verify, in the sandbox)."""

from __future__ import annotations

import base64
import pickle
from pathlib import Path

import pytest

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits
from optimizer.candidates import Candidate, Verdict
from optimizer.derived_calls import derive_calls, outcome_kind, plain_arguments
from optimizer.pipeline import Optimizer, OptimizerSettings
from optimizer.project_optimize import optimize_in_workspace
from optimizer.verify import VerifySettings

MODULE = '''\
def largest_gap(values):
    """The largest difference between neighbours once sorted; 0 for fewer than two values."""
    if len(values) < 2:
        return 0
    ordered = sorted(values)
    return max(b - a for a, b in zip(ordered, ordered[1:]))


def mean_of_first(values, n):
    return sum(values[:n]) / n if n else 0.0


def dedupe(values):
    out = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def window_means(values, window):
    means = []
    for i in range(len(values) - window + 1):
        means.append(sum(values[i:i + window]) / window)
    return means
'''

TESTS = '''\
from gaps import dedupe, largest_gap, mean_of_first, window_means


def test_gaps():
    assert largest_gap([3, 1, 7]) == 4
    assert largest_gap([5, 5, 9, 1]) == 4


def test_means():
    assert mean_of_first([2, 4, 6], 2) == 3
    assert window_means([1, 2, 3, 4], 2) == [1.5, 2.5, 3.5]


def test_dedupe():
    assert dedupe([1, 1, 2, 3]) == [1, 2, 3]
'''

# Each matches the original on the calls above and is wrong on a boundary the tests never try.
UNGUARDED_GAP = ("def largest_gap(values):\n    ordered = sorted(values)\n"
                 "    return max(b - a for a, b in zip(ordered, ordered[1:]))\n")
MEAN_WITHOUT_ZERO = "def mean_of_first(values, n):\n    return sum(values[:n]) / n\n"
SORTED_DEDUPE = "def dedupe(values):\n    return sorted(set(values))\n"
ORDERED_DEDUPE = "def dedupe(values):\n    return list(dict.fromkeys(values))\n"


class Fixed:
    """A generator that offers fixed rewrites of the target (as a model would: not trusted by origin)."""

    def __init__(self, *rewrites: str) -> None:
        self.rewrites = rewrites

    def candidates(self, code: str) -> tuple[list[Candidate], list[str]]:
        return [Candidate(rewrite, "test") for rewrite in self.rewrites], []


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "gaps.py").write_text(MODULE)
    (tmp_path / "test_gaps.py").write_text(TESTS)
    return tmp_path


def verdicts(runner: Runner, workspace: Path, qualname: str, *rewrites: str, derived: bool = True) -> list[Verdict]:
    settings = OptimizerSettings(verify=VerifySettings(limits=SandboxLimits(timeout_s=30), derived_inputs=derived))
    path = workspace / "gaps.py"
    result, _ = optimize_in_workspace(Optimizer(settings, runner=runner, generator=Fixed(*rewrites)), workspace,
                                      path, path.read_text(), qualname)
    return [verdict for _, verdict in result.tried]


def blob(*args: object, **kwargs: object) -> str:
    return base64.b64encode(pickle.dumps((args, kwargs))).decode()


def test_a_rewrite_wrong_on_an_empty_or_single_list_is_rejected(runner: Runner, workspace: Path):
    (wrong,) = verdicts(runner, workspace, "largest_gap", UNGUARDED_GAP)
    assert wrong.status == "wrong", wrong
    assert wrong.reason.startswith("wrong on a derived call ("), wrong.reason
    assert "raised ValueError for largest_gap([" in wrong.reason
    assert wrong.derived_inputs_checked >= 1
    (unchecked,) = verdicts(runner, workspace, "largest_gap", UNGUARDED_GAP, derived=False)
    assert unchecked.status in ("faster", "not_faster"), unchecked  # what the captured calls alone let through


def test_n_zero_and_reversed_lists_catch_the_other_rewrites(runner: Runner, workspace: Path):
    (zero,) = verdicts(runner, workspace, "mean_of_first", MEAN_WITHOUT_ZERO)
    assert zero.status == "wrong" and "(0 for argument 2)" in zero.reason, zero.reason
    assert "raised ZeroDivisionError for mean_of_first([2, 4, 6], 0)" in zero.reason
    wrong, right = verdicts(runner, workspace, "dedupe", SORTED_DEDUPE, ORDERED_DEDUPE)
    assert wrong.status == "wrong" and "returned a different value for dedupe([" in wrong.reason, wrong.reason
    assert right.status in ("faster", "not_faster"), right
    assert right.derived_inputs_checked >= 10 and f"; {right.derived_inputs_checked} derived calls" in right.evidence


def test_calls_on_which_the_original_raises_a_new_exception_are_dropped_and_counted(runner: Runner,
                                                                                    workspace: Path):
    same = "def window_means(values, window):\n    return [sum(values[i:i + window]) / window " \
           "for i in range(len(values) - window + 1)]\n"
    (verdict,) = verdicts(runner, workspace, "window_means", same)
    assert verdict.status in ("faster", "not_faster"), verdict
    # window=0 divides by zero in the original, which the tests' calls never do: not a call to judge by.
    assert "on which the original raised an exception the captured calls never raise" in verdict.evidence


def test_derived_calls_are_deterministic_capped_and_never_a_captured_one():
    captured = [blob([3, 1, 7]), blob([5, 5, 9, 1]), blob([2, 4, 6], 2), blob(values=[1.5, 2.0], n=1)]
    first = derive_calls(captured, max_calls=24)
    assert first == derive_calls(captured, max_calls=24) and len(first) == 24
    assert not {c.blob for c in first} & set(captured)
    hows = [c.how for c in first]
    assert "empty list for argument 1" in hows and "0 for argument 2" in hows and "empty list for values" in hows
    assert "hypothesis" in hows  # a share is kept for drawn calls even when boundary ones fill the cap
    assert all(plain_arguments(c.blob) is not None for c in first)


class Thing:
    """An object of the project's (here: this test file's) own class."""


def test_calls_with_objects_are_not_derived_from_and_outcomes_are_read_without_loading():
    assert plain_arguments(blob(Thing())) is None  # reading it would import the project's code
    assert derive_calls([blob(Thing())]) == []
    raised = base64.b64encode(pickle.dumps((("raised", "KeyError"), (Thing(),), {}))).decode()
    assert outcome_kind(raised) == ("raised", "KeyError")
    returned = base64.b64encode(pickle.dumps((("returned", "raised"), (), {}))).decode()
    assert outcome_kind(returned) == ("returned", None)
