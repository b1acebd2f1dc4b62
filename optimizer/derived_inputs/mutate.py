"""Value mutations that keep an input's shape: same lines, same token counts, same kinds of token.

Numbers stay within the range and sign seen in the input (0 and 1 are boundaries whenever no
negative number is seen); lists are sorted, reversed and made all-equal, because the branches a
rewrite tends to drop are the ones for ties and for already-ordered data. Strings keep their length
and draw from the characters seen.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from optimizer.derived_inputs.structure import MAX_HEADER_TOKENS, Lines, Positions, count_links, token_kind

Position = tuple[int, int]
Mutation = tuple[str, Lines]
# How many lists, scalars and strings get the deterministic mutations: the rest get random ones only.
_MAX_LISTS = 3
_MAX_SCALARS = 4
_MAX_STRINGS = 2


@dataclass(frozen=True)
class _Fields:
    """Where an input's values are: its lists, its block rows, its scalars and its strings."""

    lists: list[list[Position]]  # numeric tokens of one line, two or more
    blocks: list[tuple[int, int]]  # (first line, line count) of counted runs of like lines
    scalars: list[Position]  # numeric tokens alone on their line or on a short one, outside blocks
    words: list[Position]  # string tokens
    ints: list[int]  # every integer value (counts excluded), for the range

    @classmethod
    def of(cls, lines: Lines, counts: Positions) -> _Fields:
        links = count_links(lines)
        counts = counts | {(link.line, link.token) for link in links}
        blocks = sorted({(ln.target.line, ln.target.size) for ln in links if ln.target.kind == "lines"})
        in_block = {i for start, size in blocks for i in range(start, start + size)}
        lists, scalars, words, ints = [], [], [], []
        for i, tokens in enumerate(lines):
            numeric = [(i, j) for j, t in enumerate(tokens) if (i, j) not in counts and token_kind(t) != "str"]
            words.extend((i, j) for j, t in enumerate(tokens) if token_kind(t) == "str")
            ints.extend(int(tokens[j]) for _, j in numeric if token_kind(tokens[j]) == "int")
            if i in in_block:
                continue
            if len(numeric) >= 2:
                lists.append(numeric)
            if len(numeric) < 2 or len(tokens) <= MAX_HEADER_TOKENS:
                scalars.extend(numeric)
        return cls(lists, blocks, scalars, words, ints)


def _set(lines: Lines, values: Iterable[tuple[Position, str]]) -> Lines:
    out = list(lines)
    copied: set[int] = set()
    for (i, j), value in values:
        if i not in copied:
            out[i] = list(out[i])
            copied.add(i)
        out[i][j] = value
    return out


def _number(token: str) -> float:
    return int(token) if token_kind(token) == "int" else float(token)


def _like(token: str, value: float) -> str:
    """``value`` written the way ``token`` is (an int stays an int; a float keeps its decimals)."""
    if token_kind(token) == "int":
        return str(int(value))
    fraction = token.split(".", 1)[1] if "." in token else ""
    decimals = len(fraction) - len(fraction.lstrip("0123456789"))
    return f"{value:.{decimals}f}"


def boundary_mutations(lines: Lines, counts: Positions = frozenset()) -> list[Mutation]:
    """Sorted, reversed and all-equal lists and blocks; scalars at 0, 1, the ends of the range and +-1.

    Count tokens (found, or ``counts``) keep their values: the data they count keeps its size.
    """
    fields = _Fields.of(lines, counts)
    out: list[Mutation] = []
    for positions in fields.lists[:_MAX_LISTS]:
        line = positions[0][0] + 1
        tokens = [lines[i][j] for i, j in positions]
        ordered = sorted(tokens, key=_number)
        out.append((f"sorted line {line}", _set(lines, zip(positions, ordered, strict=True))))
        out.append((f"reversed line {line}", _set(lines, zip(positions, ordered[::-1], strict=True))))
        out.append((f"equal values line {line}", _set(lines, ((p, tokens[0]) for p in positions))))
    for start, size in fields.blocks[:_MAX_LISTS]:
        rows = lines[start : start + size]
        label = f"lines {start + 1}-{start + size}"
        ordered = sorted(rows, key=lambda row: [_number(t) if token_kind(t) != "str" else 0 for t in row])
        out.append((f"sorted {label}", lines[:start] + ordered + lines[start + size :]))
        out.append((f"reversed {label}", lines[:start] + ordered[::-1] + lines[start + size :]))
        if len(rows[0]) == 1:  # equal rows of several columns are mostly invalid (a graph of one repeated edge)
            out.append((f"equal {label}", lines[:start] + [rows[0]] * size + lines[start + size :]))
    if fields.ints:
        low, high = min(fields.ints), max(fields.ints)
        for i, j in fields.scalars[:_MAX_SCALARS]:
            token = lines[i][j]
            if token_kind(token) != "int":
                continue
            value = int(token)
            for new in dict.fromkeys((0, 1, low, high, value - 1, value + 1)):
                if new != value and (new >= 0 or value < 0) and new <= max(high, 1):  # a value keeps its sign
                    out.append((f"boundary {new} at {i + 1}:{j + 1}", _set(lines, [((i, j), str(new))])))
    out.extend(_word_mutations(lines, fields))
    return out


def _word_mutations(lines: Lines, fields: _Fields) -> Iterator[Mutation]:
    by_line: dict[int, list[Position]] = {}
    for i, j in fields.words:
        by_line.setdefault(i, []).append((i, j))
    for positions in list(by_line.values())[:_MAX_LISTS]:
        if len(positions) >= 2:
            first, second = positions[0], positions[1]
            a, b = lines[first[0]][first[1]], lines[second[0]][second[1]]
            yield f"swap tokens line {first[0] + 1}", _set(lines, [(first, b), (second, a)])
            yield f"duplicate token line {first[0] + 1}", _set(lines, [(second, a)])
    for i, j in [p for p in fields.words if len(lines[p[0]][p[1]]) >= 2][:_MAX_STRINGS]:
        word = lines[i][j]
        where = f"{i + 1}:{j + 1}"
        yield f"reversed string at {where}", _set(lines, [((i, j), word[::-1])])
        yield f"sorted string at {where}", _set(lines, [((i, j), "".join(sorted(word)))])
        yield f"one letter string at {where}", _set(lines, [((i, j), word[0] * len(word))])


def random_mutation(lines: Lines, rng: random.Random, counts: Positions = frozenset(), small: bool = False) -> Lines:
    """Half the values redrawn within their list's range (or the input's); ``small``: all from its lowest three."""
    fields = _Fields.of(lines, counts)
    global_range = (min(fields.ints), max(fields.ints)) if fields.ints else (0, 1)
    alphabet = sorted({c for i, j in fields.words for c in lines[i][j]}) or ["a"]
    groups = [*fields.lists, fields.scalars]
    # Rows of several columns are records (edges, intervals) whose values depend on each other: only
    # one-column blocks, plain lists of values, are redrawn.
    groups += [[(i, 0) for i in range(start, start + size)] for start, size in fields.blocks if len(lines[start]) == 1]
    changes: list[tuple[Position, str]] = []
    for positions in groups:
        numbers = [_number(lines[i][j]) for i, j in positions if token_kind(lines[i][j]) != "str"]
        if not numbers:
            continue
        low, high = (min(numbers), max(numbers)) if len(numbers) >= 2 else global_range
        for i, j in positions:
            token = lines[i][j]
            kind = token_kind(token)
            if kind == "str" or (not small and rng.random() < 0.5):
                continue
            bottom = max(low, 0) if _number(token) >= 0 else low  # a value keeps its sign
            top = max(bottom, min(high, bottom + 2) if small else high)
            new = rng.randint(int(bottom), int(top)) if kind == "int" else rng.uniform(bottom, top)
            changes.append(((i, j), _like(token, new)))
    for i, j in fields.words:
        if small or rng.random() < 0.5:
            changes.append(((i, j), "".join(rng.choice(alphabet) for _ in lines[i][j])))
    return _set(lines, changes)
