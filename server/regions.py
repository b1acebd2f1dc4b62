"""Which piece of a module "Optimize for speed" works on, for a cursor or a selection.

- Inside a top-level function or a method (its body, signature or decorators), or a selection within one:
  that function (``optimizer.targets``), verified on the calls the project's tests make and by those tests,
  else through its doctests, literal call sites and type hints. A nested function or a selection inside a
  function optimises the enclosing function or method.
- Anywhere else (a top-level statement block, a class, a selection spanning several functions): the
  whole program, verified on stdin inputs (``optimize_program``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Literal

from optimizer.functions import line_starts, statement_span
from optimizer.targets import targets
from server.diagnostics import too_long

RegionKind = Literal["function", "program"]


@dataclass(frozen=True)
class Region:
    kind: RegionKind
    name: str | None  # the function's qualified name ("Catalog.rank" for a method); None for the program
    start: int  # character offsets of the region in the module
    end: int

    @property
    def label(self) -> str:
        if self.kind == "program":
            return "program"
        return f"method {self.name}" if "." in (self.name or "") else f"function {self.name}"


class ParsedModule:
    """A module's text, its tree (None when it does not parse) and the top-level definitions' spans.

    A text of more than ``max_lines`` lines is not parsed: the work would be wasted on a file nobody tunes.
    """

    def __init__(self, text: str, max_lines: int | None = None) -> None:
        self.text = text
        self.error: str | None = too_long(text, max_lines)
        self.tree: ast.Module | None = None
        try:
            self.tree = ast.parse(text) if self.error is None else None
        except SyntaxError as exc:
            self.error = f"the file does not parse (line {exc.lineno}: {exc.msg})"
        except (ValueError, MemoryError, RecursionError) as exc:  # null bytes, absurd nesting
            self.error = f"the file cannot be parsed ({exc})"
        self._line_starts = line_starts(text) if self.tree is not None else []
        self.functions: list[tuple[str, int, int]] = []
        if self.tree is not None:
            self.functions = [(t.qualname, t.start, t.end) for t in targets(self.tree, text)]

    def _span(self, node: ast.stmt) -> tuple[int, int]:
        return statement_span(node, self._line_starts, len(self.text))

    def region_at(self, start: int, end: int) -> Region:
        """The region "Optimize for speed" works on for the selection [start, end) (a cursor: start == end)."""
        if self.tree is not None:
            for name, first, last in self.functions:
                # A selection ending exactly at the start of the next line still lies within the function.
                if first <= start < last and end <= last:
                    return Region("function", name, first, last)
        return self.program()

    def hover_span(self, offset: int) -> tuple[int, int] | None:
        """The code a hover looks up: the top-level function or statement at ``offset``; None elsewhere."""
        if self.tree is None:
            return None
        for _, first, last in self.functions:
            if first <= offset < last:
                return first, last
        for node in self.tree.body:
            first, last = self._span(node)
            if first <= offset < last:
                return first, last
        return None

    def program(self) -> Region:
        return Region("program", None, 0, len(self.text))

