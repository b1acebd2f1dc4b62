"""Hover: the knowledge base's suggestions for the code under the cursor, rule docs on a diagnostic, never
waiting for the models to load."""

from __future__ import annotations

import time

import pytest
import pytest_lsp
from lsp_support import (
    CLIENTS,
    EMBEDDER,
    SLOW_PROGRAM,
    initialize_params,
    missing,
    open_document,
    server_config,
    wait_for,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

# The model host with the project's default knowledge base and MiniLM; no LLM.
WITH_KB = {
    "engines": {"rules": True, "llm": False, "retrieval": False},
    "diagnostics": {"debounceMs": 50},
    "topK": 2,
}


@pytest_lsp.fixture(config=server_config(), params=CLIENTS, scope="module")
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = tmp_path_factory.mktemp("hover")
    started = time.perf_counter()
    await lsp_client.initialize_session(initialize_params(request.param, root, WITH_KB))
    lsp_client.initialize_seconds = time.perf_counter() - started
    lsp_client.root = root
    yield
    await lsp_client.shutdown_session()


def hover_params(uri: str, line: int, character: int) -> types.HoverParams:
    return types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, character))


def text_of(hover: types.Hover | None) -> str:
    return hover.contents.value if hover is not None else ""


@pytest.mark.asyncio(loop_scope="module")
async def test_first_hover_does_not_wait_for_the_models(client: LanguageClient):
    uri = open_document(client, client.root / "first.py", SLOW_PROGRAM)
    await wait_for(lambda: client.diagnostics.get(uri))
    started = time.perf_counter()
    hover = await client.text_document_hover_async(hover_params(uri, 0, 3))  # on `import os`: PERF101
    assert time.perf_counter() - started < 2.0
    assert "PERF101" in text_of(hover)


@pytest.mark.asyncio(loop_scope="module")
async def test_hover_shows_suggestions_once_the_knowledge_base_is_loaded(client: LanguageClient):
    if reason := missing(*EMBEDDER):
        pytest.skip(reason)
    uri = open_document(client, client.root / "slow.py", SLOW_PROGRAM)

    async def suggestions() -> str:
        text = text_of(await client.text_document_hover_async(hover_params(uri, 4, 8)))
        return text if "Performance suggestions" in text else ""

    deadline = time.monotonic() + 180
    text = ""
    while not text and time.monotonic() < deadline:
        text = await suggestions()
    assert text, "no suggestions within 180 s"
    assert "similarity" in text and "```python" in text
    assert "measured" in text
    started = time.perf_counter()
    for _ in range(5):
        assert await suggestions()
    assert (time.perf_counter() - started) / 5 < 1.0


@pytest.mark.asyncio(loop_scope="module")
async def test_hover_outside_code_and_on_bad_documents(client: LanguageClient):
    uri = open_document(client, client.root / "blank.py", "\n\n# just a comment\n")
    assert await client.text_document_hover_async(hover_params(uri, 1, 0)) is None
    broken = open_document(client, client.root / "broken.py", "def f(:\n    pass\n")
    assert await client.text_document_hover_async(hover_params(broken, 0, 2)) is None
    closed = client.root / "closed.py"
    closed.write_text(SLOW_PROGRAM)
    assert await client.text_document_hover_async(hover_params(closed.as_uri(), 0, 2)) is None
    await wait_for(lambda: broken in client.diagnostics)
