"""Stdin inputs to verify a whole program on: files the user configured, and sample inputs beside the script.

Sources, in order: the ``verification.inputFiles`` globs (relative to the workspace root, then to the
script's folder), then, with ``verification.siblingInputs``, ``input*.txt``, ``*.in`` and
``tests/input*.txt`` next to the script (the layout of the benchmark suites). A program that never reads
stdin is verified on empty input. The optimizer itself never sees paths: it gets bytes and labels, each
input's label being its file's name as the user knows it (relative to the script's folder or the workspace),
so a title can say "verified on input1.txt".
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from optimizer.candidates import VerificationInputs

MAX_INPUTS = 40
MAX_INPUT_BYTES = 4 * 1024 * 1024
SIBLING_PATTERNS = ("input*.txt", "*.in", "tests/input*.txt", "tests/*.in")


def reads_stdin(tree: ast.Module | None, text: str) -> bool:
    """Whether the program reads standard input (``input()``, ``sys.stdin``, ``open(0)``, ``fileinput``)."""
    if tree is None:
        return bool(re.search(r"\binput\s*\(|\bstdin\b|open\(\s*0\b|fileinput", text))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "input":
            return True
        if isinstance(node, ast.Attribute) and node.attr in ("stdin", "__stdin__"):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open" and (
                node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == 0):
            return True
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
            if "fileinput" in names:
                return True
    return False


def _natural(path: Path) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(path)))


def find_input_files(script: Path | None, globs: tuple[str, ...], siblings: bool,
                     workspace_root: Path | None) -> list[Path]:
    """Input files, configured ones first, without duplicates."""
    found: dict[Path, None] = {}
    for pattern in globs:
        expanded = Path(pattern).expanduser()
        if expanded.is_absolute():
            anchor, relative = Path(expanded.anchor), str(expanded.relative_to(expanded.anchor))
            matches = sorted(anchor.glob(relative), key=_natural)
        else:
            bases = [b for b in (workspace_root, script.parent if script else None) if b is not None]
            matches = [m for base in bases for m in sorted(base.glob(pattern), key=_natural)]
        for match in matches:
            if match.is_file():
                found.setdefault(match.resolve())
    if siblings and script is not None:
        for pattern in SIBLING_PATTERNS:
            for match in sorted(script.parent.glob(pattern), key=_natural):
                if match.is_file() and match.resolve() != script.resolve():
                    found.setdefault(match.resolve())
    return list(found)[:MAX_INPUTS]


def program_inputs(script: Path | None, tree: ast.Module | None, text: str, globs: tuple[str, ...],
                   siblings: bool, workspace_root: Path | None) -> VerificationInputs:
    """The inputs to verify ``text`` on; empty when it reads stdin and no input file was found."""
    if not reads_stdin(tree, text):
        return VerificationInputs((b"",), ("empty stdin",))
    stdin, sources = [], []
    for path in find_input_files(script, globs, siblings, workspace_root):
        try:
            if path.stat().st_size > MAX_INPUT_BYTES:
                continue
            stdin.append(path.read_bytes())
        except OSError:
            continue
        sources.append(input_name(path, script, workspace_root))
    return VerificationInputs(tuple(stdin), tuple(sources))


def input_name(path: Path, script: Path | None, workspace_root: Path | None) -> str:
    """``path`` as the user knows it: relative to the script's folder, else to the workspace, else absolute."""
    for base in (script.parent if script else None, workspace_root):
        if base is not None and path.is_relative_to(base.resolve()):
            return str(path.relative_to(base.resolve()))
    return str(path)
