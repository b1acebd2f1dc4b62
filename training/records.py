"""JSONL in and out for the self-generated data: bad lines are reported by number and skipped, never fatal."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from bench.core.jsonl import MalformedLine
from bench.core.jsonl import read_jsonl as read_lines

# Where line problems go: a callable taking one line of text (stderr by default, a list's append in tests).
Report = Callable[[str], None]


def warn(message: str) -> None:
    print(message, file=sys.stderr)


def read_jsonl(path: Path, required: Iterable[str] = (), report: Report = warn) -> Iterator[tuple[int, dict]]:
    """Yield ``(line number, object)`` for each good line; a line that is not a JSON object, or lacks one of
    ``required``, is reported as ``path:N: skipped: why`` and skipped. Raises FileNotFoundError (one line)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    needed = tuple(required)

    def malformed(bad: MalformedLine) -> None:
        why = f"not JSON ({bad.cause.msg})" if isinstance(bad.cause, json.JSONDecodeError) else bad.reason
        report(f"{path}:{bad.line}: skipped: {why}")

    for number, record in read_lines(path, malformed):
        missing = [key for key in needed if key not in record]
        if missing:
            report(f"{path}:{number}: skipped: no {', '.join(map(repr, missing))} field")
            continue
        yield number, record


def open_for_append(path: Path, resume: bool) -> IO[str]:
    """``path`` opened to write rows: appended to when resuming (after a newline if a killed run left the last
    line unfinished: that line is reported as malformed and skipped on reading), else truncated."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if resume and path.is_file():
        with path.open("rb") as f:
            size = f.seek(0, 2)
            unfinished = False
            if size:
                f.seek(-1, 2)
                unfinished = f.read(1) != b"\n"
        handle = path.open("a", encoding="utf-8")
        if unfinished:
            handle.write("\n")
        return handle
    return path.open("w", encoding="utf-8")


def write_row(handle: IO[str], row: dict) -> None:
    """One row, flushed at once: a run killed midway keeps every row it finished."""
    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    handle.flush()
