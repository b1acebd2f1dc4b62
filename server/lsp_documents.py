"""Open documents: the state of each one's current version (text, parse, positions, findings) and its URI's path.

The text is the workspace's (pygls keeps it in step with didOpen/didChange); the state is rebuilt lazily, the
first time a handler asks for a version it has not seen, and dropped when the document closes.
"""

from __future__ import annotations

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
    version, text = opened
    state = ls.documents.get(uri)
    if state is None or state.version != version or state.text != text:
        state = DocumentState(version, text, ParsedModule(text), position_map(ls, text))
        ls.documents[uri] = state
    return state


def position_map(ls: PerfLanguageServer, text: str) -> PositionMap:
    return PositionMap(text, str(ls.workspace.position_encoding or "utf-16"))


def lsp_range(positions: PositionMap, start: int, end: int) -> types.Range:
    return types.Range(types.Position(*positions.position(start)), types.Position(*positions.position(end)))


def document_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None
