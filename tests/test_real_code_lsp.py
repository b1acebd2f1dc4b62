"""End to end on a package written for the project (tests/fixtures/realpkg): "Optimize for speed" on a slow
method, over LSP with VS Code's capabilities, verified on the calls its tests make and by those tests."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsp_support import SERVER_COMMAND, code_action_params, edited_text, initialize_params, server_config
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from server.lsp import OPTIMIZE_KIND

FIXTURE = Path(__file__).parent / "fixtures" / "realpkg"
INJECT = Path(__file__).parent / "real_code_inject"  # its sitecustomize makes the generator propose a wrong rewrite
MODULE = Path("realpkg") / "catalog.py"
SLOW_LINE = "for score in sorted(scores):"


def fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def workspace_copy(tmp_path: Path) -> Path:
    workspace = tmp_path / "realpkg"
    if not workspace.exists():
        shutil.copytree(FIXTURE, workspace)
    return workspace


async def start(client: LanguageClient, tmp_path: Path) -> None:
    await client.initialize_session(initialize_params("visual_studio_code", workspace_copy(tmp_path)))


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, tmp_path)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=SERVER_COMMAND,
    server_env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(INJECT)}))
async def injected_client(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, tmp_path)
    yield
    await lsp_client.shutdown_session()


async def optimize_slow_method(client: LanguageClient, workspace: Path) -> tuple[str, types.CodeAction]:
    """Open the module (without writing it) and resolve "Optimize for speed" with the cursor in the method."""
    path = workspace / MODULE
    text = path.read_text()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=path.as_uri(), language_id="python", version=1, text=text)))
    line = next(i for i, t in enumerate(text.splitlines()) if SLOW_LINE in t)
    actions = await client.text_document_code_action_async(code_action_params(path.as_uri(), line, 16))
    action = next(a for a in actions if a.kind == OPTIMIZE_KIND)
    assert action.title == "Optimize for speed (method Catalog.percentile_ranks)"
    return text, await client.code_action_resolve_async(action)


def run_tests(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=folder,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.asyncio
@pytest.mark.slow
async def test_a_slow_method_gets_an_edit_verified_by_its_tests(client: LanguageClient, tmp_path):
    workspace = workspace_copy(tmp_path)
    before = fingerprint(workspace)
    text, action = await optimize_slow_method(client, workspace)
    assert "x faster. Verified on 3 calls captured from 3 tests (tests/test_catalog.py), 3 tests pass" in \
        action.title, action.title
    assert "### Evidence" in action.data["details"] and "catalog.py (after)" in action.data["details"]
    edited = edited_text(text, action.edit)
    assert "ordered = sorted(scores)" in edited or "_sorted = sorted(scores)" in edited
    assert fingerprint(workspace) == before  # the user's files are untouched
    applied = tmp_path / "applied"
    shutil.copytree(workspace, applied)
    (applied / MODULE).write_text(edited)
    finished = run_tests(applied)
    assert finished.returncode == 0, finished.stdout + finished.stderr


@pytest.mark.asyncio
@pytest.mark.slow
async def test_a_wrong_rewrite_is_rejected_by_the_calls_and_by_the_tests(injected_client: LanguageClient,
                                                                        tmp_path):
    workspace = workspace_copy(tmp_path)
    before = fingerprint(workspace)
    _, action = await optimize_slow_method(injected_client, workspace)
    assert action.edit is None
    assert action.title.startswith("Optimize for speed: no verified speedup (1 candidate tried: 1 wrong (returned "
                                   "a different value for percentile_ranks(<Catalog>, "), action.title
    assert "2 tests fail: tests/test_catalog.py::" in action.title
    assert fingerprint(workspace) == before
