"""Generation runs once: an "Optimize for speed" job builds its candidates with the optimizer's one generator,
asking the model host only to ``suggest`` and to ``generate``, and the rules run once on each candidate."""

from __future__ import annotations

import os
import threading
from multiprocessing.connection import Listener
from pathlib import Path

import pytest

import optimizer.generate
from kb.query import SuggestionHit
from optimizer.candidates import ENGINE_PRESETS, Engines, VerificationInputs
from optimizer.llm import Generation, GenerationSettings
from server.jobs import JobRequest, run_job
from server.model_host import HostAddress, HostConfig, ModelHost, serve

SLOW = "n = int(input())\ntotal = 0\nfor i in range(n):\n    total = total + i\nprint(total)\n"
# What the fake model answers: a rewrite the rules can improve again (the augmented assignment).
ANSWER = "n = int(input())\ntotal = 0\nfor i in range(n):\n    total = total + i * 1\nprint(total)\n"
HIT = SuggestionHit("cat-sum", "Use sum() over a range instead of a loop.", 0.8, 5.0, 0.9, "", "", ("loop",))


class RecordingModel:
    """A chat model that answers every prompt with ``ANSWER`` and keeps the prompts it saw."""

    name = "fake.gguf"

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def generate(self, messages, settings: GenerationSettings) -> list[Generation]:
        self.prompts.append(messages[-1]["content"])
        return [Generation(f"```python\n{ANSWER}```", ANSWER, 10, 0.01, "code_complete")]


class FakeKnowledgeBase:
    def query(self, code: str, k: int, policy=None, boost_tags=()) -> list[SuggestionHit]:
        return [HIT][:k]


class RecordingHost(ModelHost):
    """The real host's request handling, on a fake model and knowledge base, recording every operation."""

    def __init__(self) -> None:
        super().__init__(HostConfig(model_path=None, kb_path=None, embedder_path=None, preload=False))
        self.ops: list[str] = []
        self.model = RecordingModel()

    def _open_kb(self):
        return FakeKnowledgeBase()

    def _open_llm(self):
        return self.model

    def handle(self, request: dict) -> dict:
        self.ops.append(request.get("op"))
        return super().handle(request)


@pytest.fixture
def host(tmp_path: Path) -> tuple[RecordingHost, HostAddress]:
    recording = RecordingHost()
    address = HostAddress(str(tmp_path / "host.sock"), os.urandom(32))
    listener = Listener(address.path, family="AF_UNIX", authkey=address.authkey)
    threading.Thread(target=serve, args=(recording, listener), daemon=True).start()
    return recording, address


@pytest.fixture
def rules_inputs(monkeypatch) -> list[str]:
    """The code each run of the rules' stage (the fixpoint and its variants, in one call) was given, in order."""
    seen: list[str] = []
    rewrite_variants = optimizer.generate.rewrite_variants

    def recording(code: str, **options):
        seen.append(code)
        return rewrite_variants(code, **options)

    monkeypatch.setattr(optimizer.generate, "rewrite_variants", recording)
    return seen


def job(host: HostAddress | None, engines: Engines = ENGINE_PRESETS["all"]) -> JobRequest:
    inputs = VerificationInputs.from_caller([b"2000\n"], "input file")
    return JobRequest("program", SLOW, engines, inputs=inputs, time_budget_s=30.0, host=host)


def test_the_host_is_asked_to_suggest_and_generate_only(host, rules_inputs):
    recording, address = host
    progress: list[str] = []
    outcome = run_job(job(address), progress.append)
    assert outcome.status in ("faster", "not_faster"), outcome
    assert recording.ops == ["suggest", "generate"]
    assert HIT.text in recording.model.prompts[0]  # the suggestion reached the prompt through the host
    assert progress[0] == "generating candidates" and progress[-1].startswith("verifying ")
    # The rules ran on the original and on the model's answer, once each: never twice on the same code.
    assert rules_inputs == [SLOW, ANSWER]


def test_the_rules_alone_never_reach_the_host(host, rules_inputs):
    recording, address = host
    outcome = run_job(job(address, ENGINE_PRESETS["rules"]))
    assert recording.ops == []
    assert rules_inputs == [SLOW]
    assert outcome.status in ("faster", "not_faster")


def test_without_a_host_the_rules_still_run_and_a_note_says_why(rules_inputs):
    outcome = run_job(job(None))
    assert rules_inputs == [SLOW]
    assert any("the model host is not running" in note for note in outcome.notes)
