"""The rule interface: findings, edits by character ranges, and the parsed source the rules read.

Positions: ``ast`` gives line numbers (1-based) and columns in UTF-8 bytes of the line; everything this
package hands out is in characters of the ``str`` source (``TextEdit`` offsets, ``Finding`` columns), so
that the editor and ``apply_edits`` never see bytes. Lines end at ``\\r\\n``, ``\\r`` or ``\\n``, as
Python's tokenizer counts them (``str.splitlines`` would also split on form feeds and other characters).
"""

from __future__ import annotations

import ast
import builtins
import inspect
import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, Literal

_LINE_END = re.compile(r"\r\n|\r|\n")
BUILTIN_NAMES = frozenset(dir(builtins))
# "safe": the rewrite keeps behaviour by construction once ``find``'s precondition holds; "unsafe": it depends
# on types, aliasing or effects the rule cannot see, so its edit must be verified before it is offered.
Safety = Literal["safe", "unsafe"]


class SourceSyntaxError(SyntaxError):
    """The code does not parse, so no rule can look at it; the message says where (fix the code first)."""


@dataclass(frozen=True)
class TextEdit:
    """Replace ``source[start:end]`` (character offsets) by ``new_text``; ``start == end`` inserts."""

    start: int
    end: int
    new_text: str


@dataclass(frozen=True)
class Finding:
    """One occurrence of a slow pattern: where, why, and the edits of its rewrite (empty: detection only)."""

    code: str
    message: str
    start: tuple[int, int]  # (line 1-based, column 0-based in characters)
    end: tuple[int, int]
    edits: tuple[TextEdit, ...]


def parse(text: str) -> ast.Module:
    """Parse ``text``; code that does not parse raises ``SourceSyntaxError`` with a one-line message."""
    try:
        # A byte order mark is how some editors start a UTF-8 file; Python skips it when reading files.
        return ast.parse(text.removeprefix("\ufeff"))
    except (SyntaxError, ValueError) as exc:
        where = f"line {exc.lineno}: " if isinstance(exc, SyntaxError) and exc.lineno else ""
        reason = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        raise SourceSyntaxError(f"cannot analyse code that does not parse: {where}{reason}") from exc


class SubtreeIndex:
    """One depth-first walk of a tree: every node's subtree as a slice of one list, and every node's parent.

    Thirty rules each walking the whole tree (and many of its subtrees) was most of the time of a diagnostics
    run; with the index a walk of any indexed node is a list slice. Nodes are keyed by ``id`` and checked by
    identity, so a node of another tree (or a synthetic one) is never mistaken for an indexed one.
    """

    __slots__ = ("memo", "order", "parents", "spans")

    def __init__(self, root: ast.AST) -> None:
        self.order: list[ast.AST] = []
        self.spans: dict[int, tuple[int, int]] = {}
        self.parents: dict[ast.AST, ast.AST] = {}
        # Per-node results of other walks (e.g. a scope's own nodes), keyed by (what, id(node)).
        self.memo: dict[tuple[str, int], list[ast.AST]] = {}
        starts: dict[int, int] = {}
        # Iterative: a left-deep expression (a + a + ... + a) nests thousands of levels.
        stack: list[tuple[ast.AST, bool]] = [(root, True)]
        while stack:
            node, entering = stack.pop()
            if not entering:
                self.spans[id(node)] = (starts[id(node)], len(self.order))
                continue
            starts[id(node)] = len(self.order)
            self.order.append(node)
            stack.append((node, False))
            children = child_nodes(node)
            for child in reversed(children):
                self.parents[child] = node
                stack.append((child, True))

    def contains(self, node: ast.AST) -> bool:
        span = self.spans.get(id(node))
        return span is not None and self.order[span[0]] is node

    def subtree(self, node: ast.AST) -> list[ast.AST] | None:
        if not self.contains(node):
            return None
        start, end = self.spans[id(node)]
        return self.order[start:end]


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes(node)`` as a list, without its generator overhead."""
    children: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            children.append(value)
        elif isinstance(value, list):
            children.extend(item for item in value if isinstance(item, ast.AST))
    return children


# The indexes of the sources analysed last (a few: the LSP's rules thread and a rewrite can overlap). Replaced
# as a whole, never mutated, so a reader in another thread always sees a consistent tuple.
_RECENT_INDEXES: tuple[SubtreeIndex, ...] = ()
_RECENT_LIMIT = 4


def walk(node: ast.AST) -> list[ast.AST]:
    """``node`` and every node under it (depth-first, ``node`` first); a slice when its tree is indexed."""
    for index in _RECENT_INDEXES:
        found = index.subtree(node)
        if found is not None:
            return found
    return list(ast.walk(node))


def memoized_walk(what: str, node: ast.AST, compute: Callable[[ast.AST], list[ast.AST]]) -> list[ast.AST]:
    """``compute(node)``, computed once per indexed node (a scope's own nodes, say); uncached otherwise."""
    for index in _RECENT_INDEXES:
        if index.contains(node):
            key = (what, id(node))
            found = index.memo.get(key)
            if found is None:
                found = index.memo[key] = compute(node)
            return found
    return compute(node)


def walk_all(nodes: list[ast.AST]) -> list[ast.AST]:
    """Every node under each of ``nodes`` (a statement list, say), themselves included."""
    return [sub for node in nodes for sub in walk(node)]


class Source:
    """The text of a program with its syntax tree and the lookups the rules share (computed once)."""

    def __init__(self, text: str, tree: ast.Module | None = None) -> None:
        self.text = text
        self.tree = tree if tree is not None else parse(text)
        # Line 1 starts after a byte order mark, so that positions and insertions at the top skip it.
        self._line_starts = [1 if text.startswith("\ufeff") else 0] + [m.end() for m in _LINE_END.finditer(text)]
        self._reserved: set[str] = set()

    # --- positions -------------------------------------------------------------------------------

    def line_start(self, lineno: int) -> int:
        return self._line_starts[lineno - 1]

    def line_end(self, lineno: int) -> int:
        """Offset of the end of line ``lineno``, before its line break."""
        if lineno < len(self._line_starts):
            end = self._line_starts[lineno]
            line = self.text[self._line_starts[lineno - 1] : end]
            return end - (len(line) - len(line.rstrip("\r\n")))
        return len(self.text)

    def line_text(self, lineno: int) -> str:
        return self.text[self.line_start(lineno) : self.line_end(lineno)]

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def offset(self, lineno: int, col_bytes: int) -> int:
        """Character offset of (line, UTF-8 byte column) as ``ast`` reports positions."""
        start = self.line_start(lineno)
        line = self.line_text(lineno)
        if line.isascii():
            return start + col_bytes
        return start + len(line.encode("utf-8")[:col_bytes].decode("utf-8", errors="ignore"))

    def position(self, offset: int) -> tuple[int, int]:
        """(line 1-based, column in characters) of a character offset."""
        lo, hi = 0, len(self._line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, offset - self._line_starts[lo]

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.start(node), self.end(node)

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.text[start:end]

    def stmt_start(self, stmt: ast.stmt) -> int:
        """Where a statement begins, its decorators included."""
        decorators = getattr(stmt, "decorator_list", None)
        if decorators:
            first = decorators[0]
            # The '@' sits before the decorator expression, on the same line.
            return self.text.rindex("@", self.line_start(first.lineno), self.start(first))
        return self.start(stmt)

    # --- layout ------------------------------------------------------------------------------------

    @cached_property
    def newline(self) -> str:
        """The line break the file uses (the first one found), ``\\n`` when there is none."""
        match = _LINE_END.search(self.text)
        return match.group() if match else "\n"

    @cached_property
    def indent_unit(self) -> str:
        """One level of indentation as the file writes it (its first indented block), four spaces by default."""
        for token in self.tokens:
            if token.type == tokenize.INDENT:
                return token.string
        return "    "

    @cached_property
    def tokens(self) -> list[tokenize.TokenInfo]:
        return list(tokenize.generate_tokens(io.StringIO(self.text).readline))

    @cached_property
    def string_continuation_lines(self) -> frozenset[int]:
        """Lines that begin inside a string literal (re-indenting them would change the string)."""
        lines: set[int] = set()
        for token in self.tokens:
            if token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                lines.update(range(token.start[0] + 1, token.end[0] + 1))
        return frozenset(lines)

    def indent_of(self, stmt: ast.stmt) -> str:
        """The whitespace before ``stmt`` on its first line (meaningful when ``starts_line(stmt)``)."""
        start = self.stmt_start(stmt)
        line_start = self.text.rfind("\n", 0, start) + 1
        line_start = max(line_start, self.text.rfind("\r", 0, start) + 1, self.text.rfind("\x0c", 0, start) + 1)
        # A form feed at the start of a line resets Python's column count: indentation follows it.
        return self.text[line_start:start].removeprefix("\ufeff")

    def unit_of(self, compound: ast.stmt) -> str:
        """One level of indentation as ``compound``'s body uses it (the file's unit if that is not clear)."""
        body = getattr(compound, "body", None)
        if body and self.starts_line(body[0]) and self.starts_line(compound):
            outer, inner = self.indent_of(compound), self.indent_of(body[0])
            if inner.startswith(outer) and len(inner) > len(outer):
                return inner[len(outer) :]
        return self.indent_unit

    def starts_line(self, stmt: ast.stmt) -> bool:
        """Whether only whitespace precedes the statement on its line (not after ``;`` or ``if x:``)."""
        return self.indent_of(stmt).strip() == ""

    def ends_line(self, stmt: ast.stmt) -> bool:
        """Whether only whitespace or a comment follows the statement on its last line."""
        rest = self.text[self.end(stmt) : self.line_end(stmt.end_lineno)].strip()
        return rest == "" or rest.startswith("#")

    def owns_lines(self, stmt: ast.stmt) -> bool:
        return self.starts_line(stmt) and self.ends_line(stmt)

    def full_lines_end(self, stmt: ast.stmt) -> int:
        """Offset just past the line break that ends the statement's last line."""
        lineno = stmt.end_lineno
        return self._line_starts[lineno] if lineno < len(self._line_starts) else len(self.text)

    def block(self, lines: list[str], indent: str) -> str:
        """``lines`` as full lines at ``indent``, each ending with the file's line break."""
        return "".join(f"{indent}{line}{self.newline}" if line else self.newline for line in lines)

    # --- names -------------------------------------------------------------------------------------

    @cached_property
    def name_ids(self) -> frozenset[str]:
        """Every variable name the module reads, writes or defines: names, parameters, imports, definitions."""
        found: set[str] = set()
        for node in self.index.order:
            if isinstance(node, ast.Name):
                found.add(node.id)
            elif isinstance(node, ast.arg):
                found.add(node.arg)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found.add(node.name)
            elif isinstance(node, ast.alias):
                found.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, ast.Global | ast.Nonlocal):
                found.update(node.names)
            elif (isinstance(node, ast.ExceptHandler) and node.name) or (
                isinstance(node, ast.MatchAs | ast.MatchStar) and node.name
            ):
                found.add(node.name)
            elif isinstance(node, ast.MatchMapping) and node.rest:
                found.add(node.rest)
        return frozenset(found)

    @cached_property
    def identifiers(self) -> frozenset[str]:
        """Every identifier the module mentions: the variable names and the attribute names."""
        return self.name_ids | {node.attr for node in self.index.order if isinstance(node, ast.Attribute)}

    def fresh_name(self, base: str) -> str:
        """A name not used anywhere in the module, nor a builtin, nor handed out before for this source."""
        candidate, n = base, 1
        while candidate in self.identifiers or candidate in BUILTIN_NAMES or candidate in self._reserved:
            candidate = f"{base}_{n}"
            n += 1
        self._reserved.add(candidate)
        return candidate

    @cached_property
    def index(self) -> SubtreeIndex:
        """The tree's subtree index, made visible to ``walk`` (computed on first use)."""
        global _RECENT_INDEXES
        index = SubtreeIndex(self.tree)
        _RECENT_INDEXES = (index, *_RECENT_INDEXES[: _RECENT_LIMIT - 1])
        return index

    @property
    def parents(self) -> dict[ast.AST, ast.AST]:
        return self.index.parents

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(node)

    def ancestors(self, node: ast.AST):
        parent = self.parents.get(node)
        while parent is not None:
            yield parent
            parent = self.parents.get(parent)


class Rule:
    """A slow pattern, the precondition under which its rewrite keeps behaviour, and the rewrite.

    Subclasses set the class attributes and implement ``find``; the class docstring says why the rewrite
    is faster and when it would be unsafe (the precondition ``find`` checks before proposing edits).
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    tags: ClassVar[tuple[str, ...]] = ()
    # Every rule declares both (the rules table and the server read them); the reason is one line.
    safety: ClassVar[Safety]
    safety_reason: ClassVar[str]
    # An exclusive rule re-indents a whole region: ``rewrite`` applies it alone in a pass, once no other
    # rule has edits left, so that no other edit lands inside the region it moves.
    exclusive: ClassVar[bool] = False
    # Builtins the rewrites introduce: a program that rebinds one of them gets the findings without edits.
    builtins: ClassVar[tuple[str, ...]] = ()
    # Whether the rewrite keeps every name's meaning itself (it moves code and declares what stays global):
    # otherwise a finding whose edits mention a builtin the program rebinds loses its edits (engine).
    keeps_name_bindings: ClassVar[bool] = False

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        raise NotImplementedError

    @property
    def description(self) -> str:
        """Why the rewrite is faster and when it is unsafe: the class docstring, its indentation removed."""
        return inspect.cleandoc(type(self).__doc__ or "")

    def finding(
        self, source: Source, node: ast.AST, message: str, edits: list[TextEdit] | tuple[TextEdit, ...] = ()
    ) -> Finding:
        start = source.stmt_start(node) if isinstance(node, ast.stmt) else source.start(node)
        return Finding(self.code, message, source.position(start), source.position(source.end(node)), tuple(edits))

    def header_finding(
        self, source: Source, stmt: ast.AST, message: str, edits: list[TextEdit] | tuple[TextEdit, ...] = ()
    ) -> Finding:
        """A finding on a loop's or function's header only (``for x in xs:``, ``def f(n):``), not its body.

        A finding about a whole loop would otherwise cover the findings inside it (an ``input()`` call, say)
        and hide them under its squiggle; the edits still rewrite whatever they need. Other nodes get their
        full range.
        """
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            # From ``def`` to the end of its line (or to a body on the same line); decorators left out.
            end = min(source.line_end(stmt.lineno), source.start(stmt.body[0]))
            return Finding(self.code, message, source.position(source.start(stmt)), source.position(end), tuple(edits))
        last = getattr(stmt, "iter", None) or getattr(stmt, "test", None)
        if not isinstance(stmt, ast.For | ast.AsyncFor | ast.While) or last is None:
            return self.finding(source, stmt, message, edits)
        colon = source.text.index(":", source.end(last)) + 1
        return Finding(self.code, message, source.position(source.start(stmt)), source.position(colon), tuple(edits))

    def __repr__(self) -> str:
        return f"<{self.code} {self.name}>"
