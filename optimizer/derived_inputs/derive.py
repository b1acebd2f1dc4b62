"""Derive more stdin inputs from the given ones: shrinks first, then boundary and random mutations.

Pure and deterministic for a seed: nothing here runs a program (``oracle.py`` does, through a callable).
The order is a priority: small shrunk inputs are cheap to run and are where off-by-one and
dropped-branch bugs show, so they come first; full-size mutations come last and are dropped first
by the caps.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import zip_longest

from optimizer.derived_inputs.mutate import boundary_mutations, random_mutation
from optimizer.derived_inputs.structure import (
    Lines,
    ParsedInput,
    Shrunk,
    case_splits,
    count_links,
    group_by_target,
    shrink,
    shrink_all,
)

DEFAULT_MAX_INPUTS = 32
DEFAULT_MAX_TOTAL_BYTES = 1 << 20
# How many counted things of one input get shrunk one by one (largest first), and how many of the
# shrunk inputs get mutated in turn.
_MAX_SHRUNK_TARGETS = 6
_MUTATED_SHRINKS = 3
_RANDOM_ROUNDS = 3


@dataclass(frozen=True)
class DerivedInput:
    """A derived stdin input and how it was derived (e.g. ``"shrink n=5->2; sorted line 2"``)."""

    text: str
    how: str
    given: int = 0  # index of the given input it came from

    @property
    def stdin(self) -> bytes:
        return self.text.encode("utf-8")


def derive_inputs(
    given: Sequence[str | bytes],
    *,
    seed: int = 0,
    max_inputs: int = DEFAULT_MAX_INPUTS,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
) -> list[DerivedInput]:
    """Up to ``max_inputs`` distinct inputs derived from ``given``, ``max_total_bytes`` in all, none a given one.

    Inputs that are not UTF-8 text are skipped: their tokens cannot be told apart safely.
    """
    texts = [_text(g) for g in given]
    per_given = [
        _derive_one(text, random.Random(f"derived-inputs:{seed}:{k}"), max_total_bytes)
        for k, text in enumerate(texts)
        if text is not None
    ]
    indices = [k for k, text in enumerate(texts) if text is not None]
    seen = {_key(t) for t in texts if t is not None}
    out: list[DerivedInput] = []
    total = 0
    for row in zip_longest(*per_given):
        for k, item in zip(indices, row, strict=True):
            if item is None or len(out) >= max_inputs:
                continue
            how, text = item
            size = len(text.encode("utf-8"))
            if _key(text) in seen or not text.strip() or total + size > max_total_bytes:
                continue
            seen.add(_key(text))
            total += size
            out.append(DerivedInput(text, how, k))
    return out


def _key(text: str) -> tuple[tuple[str, ...], ...]:
    """What a program reading tokens sees: two texts that differ only in spacing are one input."""
    return tuple(tuple(line.split()) for line in text.strip().splitlines())


def _text(given: str | bytes) -> str | None:
    if isinstance(given, str):
        return given
    try:
        return given.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _derive_one(text: str, rng: random.Random, max_total_bytes: int) -> list[tuple[str, str]]:
    """(how, text) pairs for one given input, in priority order, tiers interleaved."""
    parsed = ParsedInput.parse(text)
    shrinks = sorted(_shrinks(parsed.lines), key=lambda item: len(parsed.render(item.lines)))
    small = [item for item in shrinks if any(item.lines)][:_MUTATED_SHRINKS]
    mutated_small = [
        (f"{item.how}; {what}", lines) for item in small for what, lines in boundary_mutations(item.lines, item.counts)
    ]
    full = len(text) <= max_total_bytes // 4  # a full-size mutation must leave room for the small ones
    mutated_full = boundary_mutations(parsed.lines) if full else []
    randoms: list[tuple[str, Lines]] = []
    for r in range(_RANDOM_ROUNDS):
        for item in [*small, *([Shrunk("", parsed.lines, frozenset())] if full else [])]:
            prefix = f"{item.how}; " if item.how else ""
            for kind, small_values in (("small", True), ("random", False)):
                mutated = random_mutation(item.lines, rng, item.counts, small=small_values)
                randoms.append((f"{prefix}{kind} values #{r + 1}", mutated))
    tiers = [[(item.how, item.lines) for item in shrinks], mutated_small, mutated_full, randoms]
    return [(how, parsed.render(lines)) for how, lines in _interleave(tiers)]


def _interleave(tiers: Iterable[list[tuple[str, Lines]]]) -> list[tuple[str, Lines]]:
    return [item for row in zip_longest(*tiers) for item in row if item is not None]


def _shrinks(lines: Lines) -> list[Shrunk]:
    """Fewer test cases, and every counted list, block or string cut to a few items with its count."""
    out: list[Shrunk] = []
    bases = [Shrunk("", lines, frozenset())]
    for split in case_splits(lines):
        n = len(split.cases)
        for keep in dict.fromkeys(((0,), (n - 1,), (n // 2,), (0, 1), (n - 2, n - 1))):
            label = f"case {keep[0] + 1} of {n}" if len(keep) == 1 else f"cases {keep[0] + 1}-{keep[-1] + 1} of {n}"
            subset = Shrunk(label, split.render_subset(keep), frozenset({(0, 0)}) if split.counted else frozenset())
            out.append(subset)
            bases.append(subset)
    groups = group_by_target(count_links(lines))
    for target in sorted(groups, key=lambda t: -t.size)[:_MAX_SHRUNK_TARGETS]:
        size = target.size
        picks = [(f"shrink n={size}->{k}", range(k)) for k in (1, 2, 3) if k < size]
        for how, keep in [*picks, (f"shrink n={size}->1 (last)", [size - 1])] if size >= 2 else []:
            out.append(Shrunk(how, *shrink(lines, target, groups[target], keep)))
    for base in bases:
        for k in (1, 2):
            smallest = shrink_all(base.lines, k, base.counts)
            if smallest.how:
                how = f"{base.how}; shrink {smallest.how}" if base.how else f"shrink {smallest.how}"
                out.append(Shrunk(how, smallest.lines, smallest.counts))
    return out
