"""The harness on real data: PIE dev programs pass their tests, and FasterPy's fine-tuned generations
score a higher Pass@1 than the base model's (as FasterPy reported), in one harness."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.core.runner import Runner
from bench.core.timing import TimingSettings
from bench.harness.evaluate import REFERENCE, SLOW, EvalSettings, evaluate
from bench.harness.metrics import summarise
from bench.harness.rows import load_rows

# Correctness only: one trial, nothing dropped. Timing is not what these tests check.
ONE_TRIAL = EvalSettings(timing=TimingSettings(num_trials=1, ignore_first_k=0))


@pytest.fixture(scope="module")
def pool():
    with Runner() as runner:
        yield runner


def test_every_dev_program_passes_its_tests(shared_data: Path, pool: Runner):
    rows, skipped = load_rows(shared_data / "pie" / "dev.jsonl", shared_data / "pie" / "tests")
    assert not skipped and len(rows) == 184
    run = evaluate(rows, pool, ONE_TRIAL, progress=False)
    failures = [(r.row.problem_id, name, t.failure) for r in run.results for name, t in r.timings.items()
                if name in (SLOW, REFERENCE) and not t.ok]
    assert failures == []


def test_fine_tuned_generations_beat_the_base_model_on_pass_at_1(shared_data: Path, pool: Runner):
    scores = {}
    for name in ("test-qw2.5-7b-i-fp", "test-qw2.5-7b-i"):
        rows, _ = load_rows(shared_data / "pie" / "generations" / f"{name}.jsonl", shared_data / "pie" / "tests")
        run = evaluate(rows, pool, ONE_TRIAL, progress=False)
        scores[name] = summarise([r.speedup("candidate_0") for r in run.results])["pass_at_1"]
    assert scores["test-qw2.5-7b-i-fp"] > scores["test-qw2.5-7b-i"] + 0.05, scores
