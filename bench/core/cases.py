"""The one tests-folder loader: a problem's test cases in the PIE layout (``input.N.txt`` + ``output.N.txt``).

The bench harness (evaluation, generation, rule measurement) and the knowledge base (measuring a pair's rate)
read the same folders, so they share this loader and its ordering (by N, numerically).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_TEST_FILE = re.compile(r"input\.(\d+)\.txt$")


@dataclass
class TestCase:
    """One test: the bytes fed to the program's stdin and the output it must print."""

    __test__ = False  # not a pytest test class, whatever a test module imports it as

    input: bytes
    expected: bytes


def load_tests(folder: Path) -> list[TestCase]:
    """``input.N.txt`` with ``output.N.txt`` from ``folder``, in order of N; [] if there are none.

    An input without its output is left out: a case whose answer is unknown can check nothing.
    """
    if not folder.is_dir():
        return []
    numbered = []
    for path in folder.iterdir():
        match = _TEST_FILE.match(path.name)
        expected = folder / f"output.{match.group(1)}.txt" if match else None
        if match and expected and expected.is_file():
            numbered.append((int(match.group(1)), TestCase(path.read_bytes(), expected.read_bytes())))
    return [case for _, case in sorted(numbered, key=lambda item: item[0])]


def folder_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be one folder's name under a tests root (None when it can).

    Problem ids come from input files; one like ``../../etc`` or ``/home`` must never be joined to a path.
    """
    if not name or name in (".", ".."):
        return "is empty, '.' or '..'"
    if "\0" in name:
        return "contains a NUL character"
    if "/" in name or "\\" in name:
        return "contains a path separator"
    return None
