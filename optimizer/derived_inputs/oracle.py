"""The original program as the oracle: it filters the derived inputs and gives the outputs to match.

Nothing here knows how a program is run: the caller passes ``run(stdin_text) -> (ok, stdout)`` (the
verifier's wraps a sandbox worker), so tests can use an in-process fake. A derived input on which
the original errors, times out or prints nothing says nothing about a candidate and is dropped.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.core.compare import DEFAULT_FLOAT_TOL, outputs_match
from optimizer.derived_inputs.derive import DEFAULT_MAX_INPUTS, DEFAULT_MAX_TOTAL_BYTES, DerivedInput, derive_inputs

Run = Callable[[str], tuple[bool, str]]
# Bump when derivation changes, so cached inputs of an older derivation are not reused.
DERIVATION_VERSION = 1
DEFAULT_BUDGET_S = 5.0
_SHOWN_CHARS = 60


@dataclass(frozen=True)
class CheckedInput:
    """A derived input the original handled, with what the original printed on it."""

    derived: DerivedInput
    expected: str


@dataclass(frozen=True)
class Mismatch:
    """The first derived input on which a candidate parts from the original."""

    checked: CheckedInput
    actual: str | None  # None: the candidate did not exit cleanly

    def describe(self) -> str:
        """The verdict's reason: "wrong on a derived input (shrink n=3->2): `2\\n1 2\\n` printed -1, the original 1"."""
        shown = _shorten(self.checked.derived.text.replace("\n", "\\n"))
        got = "failed" if self.actual is None else f"printed {_shorten(self.actual.strip())}"
        return (
            f"wrong on a derived input ({self.checked.derived.how}): `{shown}` {got}, "
            f"the original {_shorten(self.checked.expected.strip())}"
        )


def _shorten(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def filter_by_oracle(
    inputs: Sequence[DerivedInput],
    run: Run,
    *,
    budget_s: float = DEFAULT_BUDGET_S,
    clock: Callable[[], float] = time.monotonic,
) -> list[CheckedInput]:
    """The inputs on which the original (``run``) exits cleanly and prints something, in order.

    Stops starting new runs once ``budget_s`` has passed; the inputs not reached are dropped.
    """
    start = clock()
    kept: list[CheckedInput] = []
    for derived in inputs:
        if clock() - start >= budget_s:
            break
        ok, stdout = run(derived.text)
        if ok and stdout.strip():
            kept.append(CheckedInput(derived, stdout))
    return kept


def first_mismatch(
    checked: Sequence[CheckedInput], run_candidate: Run, float_tol: float = DEFAULT_FLOAT_TOL
) -> Mismatch | None:
    """None when the candidate prints the original's output on every checked input (the bench's comparison rule)."""
    for item in checked:
        ok, stdout = run_candidate(item.derived.text)
        if not ok:
            return Mismatch(item, None)
        if not outputs_match(stdout, item.expected, float_tol):
            return Mismatch(item, stdout)
    return None


class DerivedInputCache:
    """Checked inputs per program version: the original is run on its derived inputs once, not per candidate.

    Keyed by the program's text, the given inputs, the seed, the caps and ``DERIVATION_VERSION``;
    the oldest entries go first past ``max_entries``.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, list[CheckedInput]] = OrderedDict()

    def checked_inputs(
        self,
        program: str,
        given: Sequence[str | bytes],
        run: Run,
        *,
        seed: int = 0,
        max_inputs: int = DEFAULT_MAX_INPUTS,
        max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
        budget_s: float = DEFAULT_BUDGET_S,
    ) -> list[CheckedInput]:
        """Derive from ``given``, keep what ``run`` (the original ``program``) handles; cached."""
        key = _cache_key(program, given, seed, max_inputs, max_total_bytes)
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        derived = derive_inputs(given, seed=seed, max_inputs=max_inputs, max_total_bytes=max_total_bytes)
        checked = filter_by_oracle(derived, run, budget_s=budget_s)
        self._entries[key] = checked
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return checked

    def __len__(self) -> int:
        return len(self._entries)


def _cache_key(program: str, given: Sequence[str | bytes], seed: int, max_inputs: int, max_total_bytes: int) -> str:
    return f"{_digest([program])}:{_digest(given)}:{seed}:{max_inputs}:{max_total_bytes}:v{DERIVATION_VERSION}"


def _digest(parts: Sequence[str | bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little") + data)  # length-prefixed: ["ab"] is not ["a", "b"]
    return digest.hexdigest()
