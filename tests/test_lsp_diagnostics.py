"""Diagnostics: published per document, debounced, per rule; degrade gracefully on code that does not parse."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsp_support import (
    CLIENTS,
    SLOW_PROGRAM,
    code_action_params,
    initialize_params,
    open_document,
    replace_text,
    server_config,
    wait_for,
)
from lsprotocol import types
from pytest_lsp import LanguageClient


@pytest_lsp.fixture(config=server_config(), params=CLIENTS)
async def client(lsp_client: LanguageClient, request, tmp_path):
    await lsp_client.initialize_session(initialize_params(request.param, tmp_path))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_slow_program_gets_one_diagnostic_per_finding(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "slow.py", SLOW_PROGRAM)
    diagnostics = await wait_for(lambda: client.diagnostics.get(uri))
    codes = sorted(d.code for d in diagnostics)
    assert "PERF101" in codes and "PERF105" in codes
    unused = next(d for d in diagnostics if d.code == "PERF101")
    assert unused.source == "pyperf"
    assert unused.severity in (types.DiagnosticSeverity.Information, types.DiagnosticSeverity.Hint)
    assert unused.range == types.Range(types.Position(0, 0), types.Position(0, 9))
    if client.capabilities.text_document.publish_diagnostics.code_description_support:
        assert unused.code_description.href.startswith("file://")


@pytest.mark.asyncio
async def test_diagnostics_follow_edits_and_clear_on_close(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "slow.py", SLOW_PROGRAM)
    await wait_for(lambda: client.diagnostics.get(uri))
    for version in range(2, 30):  # a burst of edits: only the last version counts
        replace_text(client, uri, f"x = {version}\n", version)
    await wait_for(lambda: uri in client.diagnostics and not client.diagnostics[uri])
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    replace_text(client, uri, SLOW_PROGRAM, 31)  # for a closed document: ignored
    await wait_for(lambda: uri in client.diagnostics and not client.diagnostics[uri])


@pytest.mark.asyncio
async def test_code_that_does_not_parse_gets_no_diagnostics(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "broken.py", "def f(:\n    print(1\n")
    await wait_for(lambda: uri in client.diagnostics)
    assert not client.diagnostics[uri]


@pytest.mark.asyncio
async def test_binary_garbage_and_huge_files_do_not_break_the_server(client: LanguageClient, tmp_path):
    garbage = bytes(range(256)).decode("latin-1") * 20  # NULs, control characters, no line structure
    uri = open_document(client, tmp_path / "garbage.py", garbage)
    await wait_for(lambda: uri in client.diagnostics)
    huge = "for i in range(3):\n    print(i)\n" * 25_000
    big_uri = open_document(client, tmp_path / "huge.py", huge)
    await wait_for(lambda: big_uri in client.diagnostics, timeout_s=60)
    assert not client.diagnostics[big_uri]  # past diagnostics.maxLines: not analysed
    actions = await client.text_document_code_action_async(code_action_params(big_uri, 0))  # nor parsed
    assert any("diagnostics.maxLines" in action.title + (action.disabled.reason if action.disabled else "")
               for action in actions or [])
    ok_uri = open_document(client, tmp_path / "slow.py", SLOW_PROGRAM)  # still serving
    await wait_for(lambda: client.diagnostics.get(ok_uri))

