"""Verification: only a candidate that behaves like the original and is measurably faster is offered."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits
from bench.core.timing import TimingSettings
from optimizer.candidates import Candidate, VerificationInputs
from optimizer.pipeline import Optimizer, OptimizerSettings, UnparsableCodeError
from optimizer.verify import VerifySettings, verify_candidates

SLOW = "n = int(input())\ns = 0\nfor i in range(n):\n    s += i * i\nprint(s)\n"
FAST = "n = int(input())\nprint((n - 1) * n * (2 * n - 1) // 6)\n"
WRONG = "n = int(input())\nprint(n * n)\n"
SAME_SPEED = SLOW.replace("s = 0", "s = 0  # the same program")
INPUTS = VerificationInputs.from_caller([b"200000\n", b"3\n"])
QUICK = VerifySettings(timing=TimingSettings(num_trials=3), limits=SandboxLimits(timeout_s=3.0))


class FixedCandidates:
    """A generator that proposes the given programs, so verification is tested on known candidates."""

    def __init__(self, *codes: str) -> None:
        self.codes = codes

    def candidates(self, code: str) -> tuple[list[Candidate], list[str]]:
        return [Candidate(c, "test") for c in self.codes], []


def verdicts(runner: Runner, *codes: str, inputs: VerificationInputs = INPUTS):
    return verify_candidates(runner, SLOW, [Candidate(c, "test") for c in codes], inputs, QUICK)


def test_faster_and_correct_is_faster(runner: Runner):
    (verdict,) = verdicts(runner, FAST)
    assert verdict.status == "faster" and verdict.speedup > 2
    assert verdict.inputs_used == 2 and verdict.input_sources == {"caller": 2}


def test_wrong_output_is_never_faster(runner: Runner):
    (verdict,) = verdicts(runner, WRONG)
    assert verdict.status == "wrong" and "differs from the original" in verdict.reason


def test_unparsable_candidate_is_invalid(runner: Runner):
    (verdict,) = verdicts(runner, "def (:\n")
    assert verdict.status == "invalid" and "does not parse" in verdict.reason


def test_same_speed_is_not_claimed(runner: Runner):
    (verdict,) = verdicts(runner, SAME_SPEED)
    assert verdict.status == "not_faster"


@pytest.mark.parametrize("hostile", [
    "while True:\n    pass\n",
    "import os\nos.remove('/etc/hostname')\n",
    "print('x' * 10 ** 9)\n",
])
def test_hostile_candidates_are_contained(runner: Runner, hostile: str):
    settings = VerifySettings(timing=TimingSettings(num_trials=2), limits=SandboxLimits(timeout_s=1))
    (verdict,) = verify_candidates(runner, SLOW, [Candidate(hostile, "test")], INPUTS, settings)
    assert verdict.status == "wrong"


def test_no_inputs_means_unverified(runner: Runner):
    (verdict,) = verdicts(runner, FAST, inputs=VerificationInputs.from_caller([]))
    assert verdict.status == "unverified" and not verdict.faster


def test_inputs_the_original_fails_on_are_left_out(runner: Runner):
    inputs = VerificationInputs.from_caller([b"not a number\n", b"100000\n"])
    (verdict,) = verdicts(runner, FAST, inputs=inputs)
    assert verdict.status == "faster" and verdict.inputs_used == 1


def test_the_optimizer_offers_the_fastest_verified_candidate(runner: Runner):
    # Five trials: with three, a loaded machine once measured the same program 1.06x faster than itself.
    settings = OptimizerSettings(verify=replace(QUICK, timing=TimingSettings(num_trials=5)))
    optimizer = Optimizer(settings, runner=runner, generator=FixedCandidates(WRONG, SAME_SPEED, FAST))
    result = optimizer.optimize_program(SLOW, INPUTS)
    assert result.improved and result.code == FAST
    assert [v.status for _, v in result.tried] == ["wrong", "not_faster", "faster"]
    assert result.to_json()["speedup"] > 2


def test_nothing_verified_returns_the_original(runner: Runner):
    optimizer = Optimizer(OptimizerSettings(verify=QUICK), runner=runner, generator=FixedCandidates(WRONG))
    result = optimizer.optimize_program(SLOW, INPUTS)
    assert not result.improved and result.code == SLOW and result.best is None


def test_unparsable_code_is_a_clear_error(runner: Runner):
    optimizer = Optimizer(runner=runner, generator=FixedCandidates())
    with pytest.raises(UnparsableCodeError, match="does not parse"):
        optimizer.optimize_program("def broken(:\n", INPUTS)
