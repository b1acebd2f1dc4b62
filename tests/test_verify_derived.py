"""Verification on derived inputs: a candidate right on the given input but wrong on a boundary case is rejected."""

from __future__ import annotations

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits
from bench.core.timing import TimingSettings
from optimizer.candidates import Candidate, VerificationInputs
from optimizer.pipeline import Optimizer, OptimizerSettings
from optimizer.rules import RULES_BY_CODE
from optimizer.verify import VerifySettings, needs_derived_inputs, verify_candidates

# The largest value that occurs twice, -1 if none: quadratic, so any linear rewrite is measurably faster.
SLOW = """n = int(input())
a = list(map(int, input().split()))
best = -1
for i in range(n):
    for j in range(i + 1, n):
        if a[i] == a[j] and a[i] > best:
            best = a[i]
print(best)
"""
FAST = """from collections import Counter
input()
print(max((v for v, c in Counter(map(int, input().split())).items() if c > 1), default=-1))
"""
# Right whenever the maximum is the repeated value (as on the given input), wrong otherwise: drops a branch.
WRONG_FAST = """n = int(input())
a = list(map(int, input().split()))
print(max(a) if len(set(a)) < n else -1)
"""
# The largest value repeats (the given input cannot tell), and so does a smaller one early on: the shrunk
# input "3\n5 5 9\n" can.
VALUES = [5, 5, 9, *range(10, 1507), 1506]
GIVEN = VerificationInputs.from_caller([f"{len(VALUES)}\n{' '.join(map(str, VALUES))}\n".encode()])
QUICK = VerifySettings(timing=TimingSettings(num_trials=3), limits=SandboxLimits(timeout_s=5.0))
SAFE = next(code for code, rule in RULES_BY_CODE.items() if rule.safety == "safe")
UNSAFE = next(code for code, rule in RULES_BY_CODE.items() if rule.safety == "unsafe")


class FixedCandidates:
    """A generator that proposes the given candidates."""

    def __init__(self, *candidates: Candidate) -> None:
        self.found = list(candidates)

    def candidates(self, code: str) -> tuple[list[Candidate], list[str]]:
        return self.found, []


def test_trust_follows_the_origin():
    assert not needs_derived_inputs(Candidate("x", "rules", (SAFE,)))
    assert needs_derived_inputs(Candidate("x", "rules", (SAFE, UNSAFE)))
    assert needs_derived_inputs(Candidate("x", "rules", ("PERF999",)))  # an unknown rule is not trusted
    for engine in ("llm", "rag-llm", "rules+rag-llm", "rag-llm+rules", "candidates:gen"):
        assert needs_derived_inputs(Candidate("x", engine, (SAFE,)))


def test_a_model_candidate_wrong_on_a_boundary_is_rejected(runner: Runner):
    model = [Candidate(WRONG_FAST, "llm"), Candidate(FAST, "llm")]
    wrong, right = verify_candidates(runner, SLOW, model, GIVEN, QUICK)
    assert wrong.status == "wrong" and wrong.reason.startswith("wrong on a derived input (")
    assert "the original" in wrong.reason and wrong.derived_inputs_checked >= 1
    assert right.status == "faster" and right.derived_inputs_checked >= wrong.derived_inputs_checked
    assert right.inputs_used == 1  # timing stays on the given input


def test_without_derived_inputs_the_given_input_cannot_tell(runner: Runner):
    settings = VerifySettings(QUICK.timing, QUICK.limits, derived_inputs=False)
    (verdict,) = verify_candidates(runner, SLOW, [Candidate(WRONG_FAST, "llm")], GIVEN, settings)
    assert verdict.status == "faster" and verdict.derived_inputs_checked == 0


def test_a_safe_rules_candidate_is_trusted_on_the_given_input_and_an_unsafe_one_is_not(runner: Runner):
    safe, unsafe = verify_candidates(
        runner, SLOW, [Candidate(WRONG_FAST, "rules", (SAFE,)), Candidate(WRONG_FAST, "rules", (UNSAFE,))], GIVEN,
        QUICK,
    )
    assert safe.status == "faster" and safe.derived_inputs_checked == 0
    assert unsafe.status == "wrong" and unsafe.derived_inputs_checked >= 1


def test_the_optimizer_offers_the_right_candidate_and_derives_once_per_program(runner: Runner):
    generator = FixedCandidates(Candidate(WRONG_FAST, "rag-llm"), Candidate(FAST, "rag-llm"))
    optimizer = Optimizer(OptimizerSettings(verify=QUICK), runner=runner, generator=generator)
    result = optimizer.optimize_program(SLOW, GIVEN)
    assert result.improved and result.code == FAST
    assert [v.status for _, v in result.tried] == ["wrong", "faster"]
    record = result.to_json()
    assert record["derived_inputs_checked"] > 0 and record["tried"][0]["derived_inputs_checked"] >= 1
    optimizer.optimize_program(SLOW, GIVEN)
    assert len(optimizer.derived_inputs) == 1
