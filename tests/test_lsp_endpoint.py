"""The OpenAI-compatible endpoint in the editor: with ``model.endpoint.url`` set, "Optimize for speed" over LSP
gets the endpoint's candidate (verified like any other), and the model host never loads the local LLM."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
import pytest_lsp
from lsp_support import code_action_params, initialize_params, open_document, server_config
from lsprotocol import types
from pytest_lsp import LanguageClient

from server.lsp import OPTIMIZE_KIND

SLOW = "n = int(input())\ntotal = 0\nfor i in range(n):\n    total = total + i\nprint(total)\n"
ANSWER = "n = int(input())\nprint(sum(range(n)))\n"  # the same for every n, negative ones included


class OneCandidate(BaseHTTPRequestHandler):
    """A chat-completions endpoint that answers every request with ANSWER in a ```python block."""

    asked: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.asked.append(body)
        choice = {"message": {"role": "assistant", "content": f"```python\n{ANSWER}```"}, "finish_reason": "stop"}
        reply = json.dumps({"model": "fake", "choices": [choice] * (body.get("n") or 1)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[tuple[str, type[OneCandidate]]]:
    handler = type("Handler", (OneCandidate,), {"asked": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest_lsp.fixture(config=server_config())
async def vscode(lsp_client: LanguageClient):
    lsp_client.client_name = "visual_studio_code"
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_optimize_gets_the_endpoints_candidate(vscode: LanguageClient, endpoint, tmp_path):
    url, handler = endpoint
    options = {"hover": {"enabled": False}, "preloadModels": False, "diagnostics": {"debounceMs": 50},
               "engines": {"rules": False, "llm": True, "retrieval": False},
               "model": {"endpoint": {"url": url, "model": "fake", "n": 1, "timeoutS": 30}},
               "verification": {"timeBudgetSeconds": 90}}
    await vscode.initialize_session(initialize_params("visual_studio_code", tmp_path, options))
    (tmp_path / "input1.txt").write_text("3000000\n")
    uri = open_document(vscode, tmp_path / "slow.py", SLOW)
    actions = await vscode.text_document_code_action_async(code_action_params(uri, 2))
    action = await vscode.code_action_resolve_async(next(a for a in actions if a.kind == OPTIMIZE_KIND))
    assert handler.asked and handler.asked[0]["model"] == "fake"
    assert "x faster. Verified on input1.txt (1 input); rewritten by the model fake" in action.title, action.title
    changes = action.edit.document_changes[0].edits
    assert any("sum(range(n))" in edit.new_text for edit in changes)
    report = action.data["details"]
    assert "+print(sum(range(n)))" in report and "derived from those" in report, report
    logs = " ".join(m.message for m in vscode.log_messages)
    assert "LLM is off" not in logs and "the LLM is unavailable" not in logs
    warnings = [m.message for m in vscode.messages if m.type == types.MessageType.Warning]
    assert warnings == [], warnings
