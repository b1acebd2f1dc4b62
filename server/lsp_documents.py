"""Open documents: the state of each one's current version (text, parse, positions, findings) and its URI's path.

The text is the workspace's (pygls keeps it in step with didOpen/didChange); the state is rebuilt lazily, the
first time a handler asks for a version it has not seen, and dropped when the document closes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from lsprotocol import types

from server.diagnostics import Analysis
from server.positions import PositionMap
from server.regions import ParsedModule

if TYPE_CHECKING:
    from server.lsp import PerfLanguageServer


@dataclass
class DocumentState:
    """What is known of one version of an open document."""

    version: int
    text: str
    parsed: ParsedModule
    positions: PositionMap
    analysis: Analysis | None = None  # None until the rules have run on this version


def open_text(ls: PerfLanguageServer, uri: str) -> tuple[int, str] | None:
    """The version and text of an open document; None for a document the client has not opened."""
    doc = ls.workspace.text_documents.get(unquote(uri))
    if doc is None:
        return None
    return doc.version or 0, doc.source


def document_state(ls: PerfLanguageServer, uri: str) -> DocumentState | None:
    """The current version's state (parsed now if the rules have not run on it yet)."""
    opened = open_text(ls, uri)
    if opened is None:
        return None
    state = ls.documents.get(uri)
    if state is None or (state.version, state.text) != opened:
        state = ls.documents[uri] = _new_state(ls, *opened)
    return state


async def document_state_off_loop(ls: PerfLanguageServer, uri: str) -> DocumentState | None:
    """``document_state``, with a new version parsed in the rules' thread rather than on the event loop."""
    opened = open_text(ls, uri)
    if opened is None:
        return None
    state = ls.documents.get(uri)
    if state is None or (state.version, state.text) != opened:
        state = await asyncio.get_running_loop().run_in_executor(ls.rules_thread, _new_state, ls, *opened)
        if open_text(ls, uri) == opened:  # not edited or closed meanwhile
            ls.documents[uri] = state
    return state


def _new_state(ls: PerfLanguageServer, version: int, text: str) -> DocumentState:
    return DocumentState(version, text, ParsedModule(text, ls.settings.diagnostics.max_lines), position_map(ls, text))


def position_map(ls: PerfLanguageServer, text: str) -> PositionMap:
    return PositionMap(text, str(ls.workspace.position_encoding or "utf-16"))


def lsp_range(positions: PositionMap, start: int, end: int) -> types.Range:
    return types.Range(types.Position(*positions.position(start)), types.Position(*positions.position(end)))


def document_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None
