"""The OpenAI-compatible endpoint as a candidate source, against a real ``llama_cpp.server`` on a tiny GGUF.

The tiny model writes garbage, so the tests that need code pass llama.cpp's ``grammar`` through ``extra_body``:
the server then has to answer with one fixed ```python block. Failures the real server cannot be made to show
(an answer that is not JSON, a server that never answers) come from a stdlib HTTP server in a thread.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from lsp_support import missing

from optimizer.candidates import Engines
from optimizer.generate import CandidateGenerator, GeneratorSettings
from optimizer.llm import GenerationSettings, ModelError
from optimizer.openai_model import EndpointSettings, OpenAIModel
from optimizer.prompt import build_messages
from server.settings import parse_settings
from training.problems import Problem
from training.sample import SampleOptions, sample_to_file

KEY = f"sk-test-{secrets.token_hex(12)}"
KEY_ENV = "PYPERF_TEST_ENDPOINT_KEY"
SERVER_DEPS = ("llama_cpp", "gguf", "fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings")
SLOW = "n = int(input())\ntotal = 0\nfor i in range(n):\n    total = total + i\nprint(total)\n"
ANSWER = "n = int(input())\nprint(n * (n - 1) // 2)\n"
# GBNF: the whole answer is ANSWER in a ```python block (the server ends the turn when the grammar is complete).
GRAMMAR = 'root ::= "```python\\n' + ANSWER.replace("\n", "\\n") + '```"'
ENGINES = Engines(rules=True, llm=True, retrieval=False)


@dataclass(frozen=True)
class LlamaServer:
    url: str
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """``python -m llama_cpp.server`` on a tiny GGUF, on a free loopback port, requiring ``KEY``."""
    if reason := missing(*SERVER_DEPS):
        pytest.skip(f"llama_cpp.server cannot start: {reason} (pip install the dev extra)")
    from tiny_gguf import write_tiny_gguf

    folder = tmp_path_factory.mktemp("llama_server")
    model = write_tiny_gguf(folder / "tiny.gguf")
    port, log = free_port(), folder / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "tiny",
               "--host", "127.0.0.1", "--port", str(port), "--api_key", KEY, "--n_ctx", "2048", "--n_threads", "1"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/v1"
        if not _wait_ready(url, process, deadline=time.monotonic() + 90):
            tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
            pytest.skip(f"llama_cpp.server did not start on port {port}: {tail or 'no output'}")
        yield LlamaServer(url, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(url: str, process: subprocess.Popen, deadline: float) -> bool:
    request = urllib.request.Request(f"{url}/models", headers={"Authorization": f"Bearer {KEY}"})
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return response.status == 200
        except OSError:
            time.sleep(0.3)
    return False


@pytest.fixture
def key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


def endpoint(url: str, **options: object) -> EndpointSettings:
    defaults: dict = {"model": "tiny", "api_key_env": KEY_ENV, "n": 2, "max_tokens": 96, "timeout_s": 60.0,
                      "extra_body": {"grammar": GRAMMAR}}
    return EndpointSettings(url, **{**defaults, **options})  # type: ignore[arg-type]


def generate(settings: EndpointSettings) -> tuple[list, list[str]]:
    return CandidateGenerator(GeneratorSettings(engines=ENGINES, endpoint=settings)).candidates(SLOW)


def test_candidates_come_back_through_the_generator(llama_server: LlamaServer, key_in_env: None,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    candidates, notes = generate(endpoint(llama_server.url))
    assert notes == []
    assert [c.engine for c in candidates] == ["rules", "rules+llm"]
    from_model = candidates[1]
    assert from_model.code == ANSWER
    assert from_model.model == "tiny"
    assert KEY not in caplog.text


def test_a_server_that_ignores_n_is_asked_concurrently(llama_server: LlamaServer, key_in_env: None) -> None:
    model = OpenAIModel(endpoint(llama_server.url))
    settings = GenerationSettings(n_candidates=3, max_tokens=96, temperature=0.7)
    messages = build_messages(SLOW)
    for _ in range(2):  # the second call sends its three requests at once from the start
        generations = model.generate(messages, settings)
        assert [g.code for g in generations] == [ANSWER] * 3
        assert all(g.stopped == "eos" for g in generations)


def test_an_answer_without_code_gives_a_note(llama_server: LlamaServer, key_in_env: None) -> None:
    candidates, notes = generate(endpoint(llama_server.url, extra_body={}, max_tokens=12, n=1))
    assert [c.engine for c in candidates] == ["rules"]
    assert len(notes) == 1 and "held a ```python code block" in notes[0]


def test_a_down_endpoint_gives_a_note_and_the_rules_candidates() -> None:
    candidates, notes = generate(endpoint(f"http://127.0.0.1:{free_port()}/v1"))
    assert [c.engine for c in candidates] == ["rules"]
    assert len(notes) == 1 and "unreachable" in notes[0] and "\n" not in notes[0]


def test_a_wrong_or_missing_key_is_refused_and_never_logged(
    llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = f"sk-wrong-{secrets.token_hex(8)}"
    monkeypatch.setenv(KEY_ENV, wrong)
    _, notes = generate(endpoint(llama_server.url))
    assert len(notes) == 1 and "HTTP 401" in notes[0]
    monkeypatch.delenv(KEY_ENV)
    _, notes = generate(endpoint(llama_server.url))
    assert len(notes) == 1 and "HTTP 401" in notes[0]
    assert wrong not in caplog.text and wrong not in " ".join(notes)


def test_the_sampler_uses_the_endpoint(llama_server: LlamaServer, key_in_env: None, tmp_path: Path) -> None:
    problems = [Problem(id=f"mbpp/{i}", source="mbpp-test", prompt=f"def f{i}(x):\n    pass\n", kind="function",
                        entry_point=f"f{i}") for i in range(2)]
    out = tmp_path / "samples.jsonl"
    model = OpenAIModel(endpoint(llama_server.url))
    options = SampleOptions(n=2, max_tokens=96, time_budget_s=60, progress=False)
    stats = sample_to_file(model, problems, out, options)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert stats.rows == 4 and stats.with_code == 4
    assert {(r["problem_id"], r["sample_id"]) for r in rows} == {(f"mbpp/{i}", k) for i in range(2) for k in (0, 1)}
    assert {r["model"] for r in rows} == {"tiny"}


class FakeEndpoint(BaseHTTPRequestHandler):
    """Answers chat completions as the test class says: ``reply`` bytes after ``delay_s``; records headers."""

    reply: bytes = b""
    delay_s: float = 0.0
    seen: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append({"authorization": self.headers.get("Authorization"), "n": body.get("n")})
        time.sleep(self.delay_s)
        reply = self.reply or _completion(body.get("n") or 1)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
        except OSError:  # the client gave up waiting
            pass

    def log_message(self, *args: object) -> None:
        pass


def _completion(n: int) -> bytes:
    choice = {"message": {"role": "assistant", "content": f"```python\n{ANSWER}```"}, "finish_reason": "stop"}
    return json.dumps({"model": "fake", "choices": [choice] * n, "usage": {"completion_tokens": 10 * n}}).encode()


@pytest.fixture
def fake_endpoint() -> Iterator[tuple[str, type[FakeEndpoint]]]:
    handler = type("Handler", (FakeEndpoint,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_the_key_is_sent_as_a_bearer_header_and_n_in_one_request(
    fake_endpoint: tuple[str, type[FakeEndpoint]], key_in_env: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url, handler = fake_endpoint
    candidates, notes = generate(endpoint(url, n=3))  # a bare host:port gets /v1/chat/completions
    assert notes == [] and candidates[-1].code == ANSWER and candidates[-1].model == "fake"
    assert handler.seen == [{"authorization": f"Bearer {KEY}", "n": 3}]
    assert KEY not in caplog.text


def test_a_garbage_reply_gives_a_note(fake_endpoint: tuple[str, type[FakeEndpoint]]) -> None:
    url, handler = fake_endpoint
    handler.reply = b"<html>502 Bad Gateway</html>"
    candidates, notes = generate(endpoint(url))
    assert [c.engine for c in candidates] == ["rules"]
    assert len(notes) == 1 and "not a chat completion" in notes[0] and "<html>" in notes[0]


def test_a_slow_endpoint_times_out_with_a_note(fake_endpoint: tuple[str, type[FakeEndpoint]]) -> None:
    url, handler = fake_endpoint
    handler.delay_s = 3.0
    started = time.monotonic()
    candidates, notes = generate(endpoint(url, timeout_s=1.0))
    assert time.monotonic() - started < 2.5
    assert [c.engine for c in candidates] == ["rules"]
    assert len(notes) == 1 and "did not answer within" in notes[0]


def test_bad_endpoint_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="http"):
        EndpointSettings("localhost:8000")
    with pytest.raises(ModelError, match="unreachable"):
        OpenAIModel(EndpointSettings("http://127.0.0.1:1/v1", timeout_s=1)).generate(
            build_messages(SLOW), GenerationSettings())


def test_server_settings_name_the_key_variable_never_the_key() -> None:
    raw = {"model": {"endpoint": {"url": "http://gpu-box:8000/v1", "model": "qwen", "apiKeyEnv": "VLLM_API_KEY",
                                  "n": 8, "temperature": 0.2, "timeoutS": 30}}}
    settings, problems = parse_settings(raw)
    assert problems == []
    assert settings.model.endpoint.endpoint() == EndpointSettings("http://gpu-box:8000/v1", "qwen", "VLLM_API_KEY",
                                                                  8, 0.2, 30.0)
    settings, problems = parse_settings({"model": {"endpoint": {"url": "gpu-box", "n": 0}}})
    assert settings.model.endpoint.endpoint() is None
    assert len(problems) == 2
