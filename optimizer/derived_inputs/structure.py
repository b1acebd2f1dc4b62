"""The shape of a stdin input: lines of tokens, the counts in it, and the test cases it holds.

Competitive-programming inputs announce sizes before the data they size: ``n`` then ``n`` numbers on
the same or the next line, ``n`` then ``n`` lines, ``t`` then ``t`` test cases. Shrinking such an
input is only useful when the counts still agree with the data, so every shrink here rewrites the
counts that describe what it cut (``"5\\n1 2 3 4 5\\n"`` -> ``"2\\n1 2\\n"``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Lines = list[list[str]]
Positions = frozenset[tuple[int, int]]  # (line, token) of count tokens

_COUNT = re.compile(r"0|[1-9]\d{0,8}")
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")
# A line with more tokens than this is data, not a header announcing the sizes of the lines below.
MAX_HEADER_TOKENS = 4


@dataclass(frozen=True)
class ParsedInput:
    """An input as lines of whitespace-separated tokens, and whether it ended with a newline."""

    lines: Lines
    trailing_newline: bool

    @classmethod
    def parse(cls, text: str) -> ParsedInput:
        body = text.replace("\r\n", "\n")
        trailing = body.endswith("\n")
        raw = body[:-1].split("\n") if trailing else body.split("\n")
        return cls([line.split() for line in raw], trailing)

    def render(self, lines: Lines) -> str:
        text = "\n".join(" ".join(tokens) for tokens in lines)
        return text + "\n" if self.trailing_newline else text


def token_kind(token: str) -> Literal["int", "float", "str"]:
    if _INT.fullmatch(token):
        return "int"
    return "float" if _FLOAT.fullmatch(token) else "str"


def is_count(token: str) -> bool:
    """A token that can announce a size: a plain non-negative integer of at most nine digits."""
    return _COUNT.fullmatch(token) is not None


def _signature(tokens: list[str]) -> tuple[str, ...]:
    return tuple(token_kind(t) for t in tokens)


@dataclass(frozen=True)
class Shrunk:
    """A shrunk input, how it was shrunk, and where its count tokens are."""

    how: str
    lines: Lines
    counts: Positions


@dataclass(frozen=True)
class Target:
    """What a count counts: tokens of one line, whole lines, or the characters of a one-token line."""

    kind: Literal["tokens", "lines", "chars"]
    line: int
    start: int  # first token (``tokens``); 0 otherwise
    size: int  # how many items there are


@dataclass(frozen=True)
class CountLink:
    """The count token at (line, token) says ``target.size + extra`` (``extra`` 1: n nodes, n-1 edges)."""

    line: int
    token: int
    extra: int
    target: Target


def _same_shape_runs(lines: Lines) -> list[int]:
    """runs[i]: how many lines from i on have line i's token kinds (an O(1) test for ``n`` lines alike)."""
    runs = [0] * (len(lines) + 1)
    for i in range(len(lines) - 1, -1, -1):
        same = i + 1 < len(lines) and lines[i] and _signature(lines[i]) == _signature(lines[i + 1])
        runs[i] = runs[i + 1] + 1 if same else 1
    return runs


def count_links(lines: Lines) -> list[CountLink]:
    """Every count that matches the data after it; ambiguous readings are all kept (the oracle sorts them out).

    A header's counts describe the lines below it in order (``X Y Z`` then lists of X, Y and Z items),
    so each count is matched at a cursor that moves past what the previous count described.
    """
    runs = _same_shape_runs(lines)
    links: list[CountLink] = []
    data: set[int] = set()  # lines counted from above: a "5" there is a value, not a count
    for i, tokens in enumerate(lines):
        header = len(tokens) <= MAX_HEADER_TOKENS and i not in data
        below = _header_links(lines, runs, i) if header else []
        links.extend(below)
        for link in below:
            if link.target.size >= 2:  # "1" over a one-token line is as likely a value as a count
                counted = link.target.size if link.target.kind == "lines" else 1
                data.update(range(link.target.line, link.target.line + counted))
        # "n a1 .. an" on one line, unless the line reads better as a header of the lines below it.
        if not below and len(tokens) > 1 and is_count(tokens[0]) and int(tokens[0]) == len(tokens) - 1 >= 2:
            links.append(CountLink(i, 0, 0, Target("tokens", i, 1, len(tokens) - 1)))
    return links


def _header_links(lines: Lines, runs: list[int], i: int) -> list[CountLink]:
    """The counts of line ``i`` that describe the lines below it, matched in order at a moving cursor."""
    links: list[CountLink] = []
    cursor, previous = i + 1, None
    for j, token in enumerate(lines[i]):
        if not is_count(token) or int(token) < 1:
            continue
        found = _links_at(lines, runs, i, j, int(token), cursor) if cursor < len(lines) else []
        if found:
            links.extend(link for link, _ in found)
            previous = cursor, {link.target for link, _ in found}
            cursor += found[0][1]
        elif previous is not None:
            # "N M" over M edges of an N-node tree: a second count of what the first one counted.
            again = _links_at(lines, runs, i, j, int(token), previous[0])
            links.extend(link for link, _ in again if link.target in previous[1])
    return links


def _links_at(lines: Lines, runs: list[int], i: int, j: int, value: int, cursor: int) -> list[tuple[CountLink, int]]:
    """The readings of count ``value`` at (i, j) for the data starting at line ``cursor``, with lines spanned."""
    found: list[tuple[CountLink, int]] = []
    below = lines[cursor]
    for extra in (0, 1):
        size = value - extra
        if size < 1 or (extra and value < 3):
            continue
        if len(below) == size:
            found.append((CountLink(i, j, extra, Target("tokens", cursor, 0, size)), 1))
        if size >= 2 and below and runs[cursor] >= size:
            found.append((CountLink(i, j, extra, Target("lines", cursor, 0, size)), size))
        if len(below) == 1 and token_kind(below[0]) == "str" and len(below[0]) == size and size >= 2:
            found.append((CountLink(i, j, extra, Target("chars", cursor, 0, size)), 1))
    return found


def group_by_target(links: Sequence[CountLink]) -> dict[Target, list[CountLink]]:
    """Counts that describe the same data change together when it is shrunk."""
    groups: dict[Target, list[CountLink]] = {}
    for link in links:
        groups.setdefault(link.target, []).append(link)
    return groups


def shrink(
    lines: Lines, target: Target, counts: Sequence[CountLink], keep: Sequence[int], protected: Positions = frozenset()
) -> tuple[Lines, Positions]:
    """``lines`` with only the items ``keep`` (indices into the target), its counts rewritten to match.

    Also returns where the counts are in the result (``protected`` carried over), so that value
    mutations leave them alone even where the shrunk input no longer shows them as counts.
    """
    out = [list(tokens) for tokens in lines]
    for link in counts:
        out[link.line][link.token] = str(len(keep) + link.extra)
    positions = protected | {(link.line, link.token) for link in counts}
    if target.kind == "tokens":
        row = out[target.line]
        items = row[target.start : target.start + target.size]
        out[target.line] = row[: target.start] + [items[k] for k in keep] + row[target.start + target.size :]
    elif target.kind == "chars":
        word = out[target.line][0]
        out[target.line] = ["".join(word[k] for k in keep)]
    else:
        block = out[target.line : target.line + target.size]
        out[target.line : target.line + target.size] = [block[k] for k in keep]
        end, cut = target.line + target.size, target.size - len(keep)
        positions = frozenset(
            (line - cut, token) if line >= end else (line, token)
            for line, token in positions
            if not target.line <= line < end
        )
    return out, frozenset(positions)


def shrink_all(lines: Lines, size: int, protected: Positions = frozenset(), rounds: int = 8) -> Shrunk:
    """Shrink every counted thing to its first ``size`` items, innermost readings re-found after each cut."""
    labels: list[str] = []
    for _ in range(rounds):
        # A count already made consistent (a case count) is not read again as the count of something else.
        groups = group_by_target([ln for ln in count_links(lines) if (ln.line, ln.token) not in protected])
        target = next((t for t in groups if t.size > size), None)
        if target is None:
            break
        lines, protected = shrink(lines, target, groups[target], range(size), protected)
        labels.append(f"n={target.size}->{size}")
    return Shrunk(", ".join(labels), lines, protected)


@dataclass(frozen=True)
class CaseSplit:
    """A multi-case input: ``head`` (the case count's line, if any), the cases, and a ``tail`` (a sentinel)."""

    head: Lines
    cases: list[Lines]
    tail: Lines
    counted: bool  # whether head[0][0] is the number of cases

    def render_subset(self, keep: Sequence[int]) -> Lines:
        head = [[str(len(keep))]] if self.counted else self.head
        return [list(t) for t in head] + [line for k in keep for line in self.cases[k]] + self.tail


def case_splits(lines: Lines) -> list[CaseSplit]:
    """The readings of an input as test cases: led by their count, or ended by an all-zero sentinel line.

    ``"2\n9\n0\n"`` has both (two cases, or the cases 2 and 9 before the sentinel 0); both are kept.
    """
    while lines and not lines[-1]:
        lines = lines[:-1]
    splits: list[CaseSplit] = []
    if len(lines) >= 3 and len(lines[0]) == 1 and is_count(lines[0][0]) and int(lines[0][0]) >= 2:
        cases = _counted_cases(lines[1:], int(lines[0][0]))
        if cases is not None:
            splits.append(CaseSplit(lines[:1], cases, [], True))
    last = lines[-1] if lines else []
    if len(lines) >= 3 and last and all(t == "0" for t in last) and all(len(t) == len(last) for t in lines[:-1]):
        splits.append(CaseSplit([], [[t] for t in lines[:-1]], [last], False))
    return splits


def _counted_cases(rest: Lines, n_cases: int) -> list[Lines] | None:
    """``rest`` cut into ``n_cases`` cases of equal shape, or of the heights their own headers announce."""
    if len(rest) % n_cases == 0:
        height = len(rest) // n_cases
        parts = [rest[k * height : (k + 1) * height] for k in range(n_cases)]
        if all([_signature(t) for t in part] == [_signature(t) for t in parts[0]] for part in parts):
            return parts
    links = count_links(rest)
    spans: dict[int, int] = {}
    for link in links:
        end = link.target.line + (link.target.size if link.target.kind == "lines" else 1)
        spans[link.line] = max(spans.get(link.line, link.line + 1), end)
    cases: list[Lines] = []
    start = 0
    while start < len(rest) and len(cases) < n_cases:
        end = spans.get(start, start + 1)
        cases.append(rest[start:end])
        start = end
    return cases if len(cases) == n_cases and start == len(rest) else None
