"""The one JSONL reader: numbered lines, one JSON object each, a malformed line reported by its number.

Every reader of the project's JSONL files (bench rows, the knowledge base's pairs, training data) goes through
``read_jsonl`` so that "which line is bad and why" reads the same everywhere; what to do with a bad line (skip
and report, or stop) stays the caller's choice through ``on_malformed``. Lines are read as bytes and decoded as
strict UTF-8, so a file in another encoding is reported line by line instead of failing mid-iteration.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


class MalformedLine(ValueError):
    """A non-blank line that is not one UTF-8 JSON object; ``cause`` is the decoding error, if any."""

    def __init__(self, path: Path, line: int, reason: str, cause: Exception | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        self.cause = cause
        super().__init__(f"{path}:{line}: {reason}")


OnMalformed = Callable[[MalformedLine], None]


def numbered_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(line number, raw bytes)`` of each non-blank line of ``path``, numbered from 1."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                yield number, raw


def parse_line(path: Path, number: int, raw: bytes) -> dict[str, Any]:
    """The JSON object on one line; MalformedLine (with the line number) when it is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedLine(path, number, f"not UTF-8 text (byte {raw[exc.start]:#04x} at column {exc.start + 1})",
                            exc) from exc
    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        # json's messages may end in "at" ("Invalid control character at"): the column follows once
        reason = f"not valid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})"
        raise MalformedLine(path, number, reason, exc) from exc
    if not isinstance(row, dict):
        raise MalformedLine(path, number, "not a JSON object")
    return row


def read_jsonl(path: Path, on_malformed: OnMalformed | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line of ``path``.

    A malformed line is handed to ``on_malformed``, which reports it (the line is then skipped) or raises to
    stop; without one the MalformedLine itself is raised. Opening errors (OSError) propagate unchanged.
    """
    for number, raw in numbered_lines(path):
        try:
            row = parse_line(path, number, raw)
        except MalformedLine as bad:
            if on_malformed is None:
                raise
            on_malformed(bad)
            continue
        yield number, row
