"""Derived calls for a function or method of a project: more verification calls from the captured ones (issue 17).

A rewrite that matches the original on the calls the tests happened to make may still be wrong on an empty list,
``n=0`` or duplicates. From the captured calls whose arguments are plain data (numbers, strings, bytes and
containers of them: pickles that name no class but a few builtins, so reading them here runs none of the
project's code) ``derive_calls`` makes more: boundary values one argument at a time (0, 1, -1, empty, a single
element, equal elements, sorted and reversed, halved), then arguments drawn with hypothesis (derandomized) of the
same types and shapes, from the values seen. Calls with a ``self`` or other objects are not derived from.

The original is the oracle and the filter (``check_on_original``): a derived call on which it raises an
exception type the captured calls never raised, crashes or does not finish, whose outcome cannot be pickled, or
which differs between two of its runs, is dropped and counted. ``first_wrong`` then replays the rest on a
candidate with the deep comparator of ``optimizer.sandbox_driver``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import math
import pickle
import pickletools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice, zip_longest
from typing import Any

from optimizer.functions import draw_examples
from optimizer.project_runs import ProjectRunError

DriverRun = Callable[..., dict]  # run(mode, overlay, **request fields) -> the driver's answer, or ProjectRunError
Arguments = tuple[tuple, dict]

DEFAULT_MAX_CALLS = 32
MAX_TOTAL_BYTES = 8 << 20  # every derived call travels to every replay: as big as a few large captured calls
_HYPOTHESIS_SHARE = 4  # at least a quarter of the derived calls are hypothesis', when there are boundary ones too
_MAX_DRAWN_SIZE = 8  # drawn containers are small: shrunk shapes are where boundary bugs show
_MAX_OBSERVED = 8  # captured calls derived from
_MAX_SEEDS = 256  # values of one argument that seed its strategy (a long list's first items)
_MAX_SHAPES = 4  # shapes of call (arity, keywords) drawn for: each costs a hypothesis run of ~0.1 s
_PLAIN_CLASSES = {"set", "frozenset", "complex", "bytearray"}
_RAISED_NOT_SEEN = "on which the original raised an exception the captured calls never raise"
_NOT_FINISHED = "that crashed or did not finish on the original"
_UNPICKLABLE = "whose outcome on the original could not be pickled"
_UNSTABLE = "that differ between two runs of the original"
_NO_ANSWER = ""  # in place of an outcome: the run ended without one (a recorded outcome is never empty)


@dataclass(frozen=True)
class DerivedCall:
    """A derived call, pickled as the captured ones are (base64 of ``(args, kwargs)``), and how it was made."""

    blob: str
    how: str  # e.g. "empty list for argument 1", "hypothesis"


@dataclass(frozen=True)
class CheckedCalls:
    """The derived calls the original handles, its outcome on each, and what was dropped (why -> how many)."""

    calls: tuple[DerivedCall, ...] = ()
    expected: tuple[str, ...] = ()
    dropped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def describe(self) -> str:
        """E.g. "24 derived calls (left out: 3 on which the original raised ...)"; empty when none were derived."""
        if not self.calls and not any(self.dropped.values()):
            return ""
        text = f"{len(self.calls)} derived call{'s' if len(self.calls) != 1 else ''}"
        dropped = ", ".join(f"{n} {why}" for why, n in self.dropped.items() if n)
        return f"{text} (left out: {dropped})" if dropped else text


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in _PLAIN_CLASSES:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


def plain_arguments(blob: str) -> Arguments | None:
    """A captured call's ``(args, kwargs)`` when they are plain data, else None (nothing of the project runs)."""
    try:
        value = _PlainUnpickler(io.BytesIO(base64.b64decode(blob))).load()
    except Exception:  # any object that is not plain data, or a pickle this interpreter cannot read
        return None
    return value if isinstance(value, tuple) and len(value) == 2 else None


def outcome_kind(outcome: str) -> tuple[str, str | None]:
    """``("returned", None)`` or ``("raised", exception type name)`` of a recorded outcome, read off the pickle's
    opcodes without building it: the outcome is ``((kind, value_or_name), args, kwargs)``, so the first string
    is the kind and, for an exception, the second its type's name."""
    strings: list[str] = []
    for opcode, argument, _ in pickletools.genops(base64.b64decode(outcome)):
        if "UNICODE" in opcode.name and isinstance(argument, str):
            strings.append(argument)
            if len(strings) == 2:
                break
    if strings and strings[0] == "raised":
        return "raised", strings[1] if len(strings) > 1 else ""
    return "returned", None


def derive_calls(captured: Sequence[str], max_calls: int = DEFAULT_MAX_CALLS) -> list[DerivedCall]:
    """Up to ``max_calls`` distinct calls derived from the captured ones with plain-data arguments, none a captured
    one; deterministic. Boundary values first (the cheapest and the likeliest to catch a dropped branch)."""
    # The smallest calls: cheap to vary and to replay, and small inputs are where boundary bugs show.
    smallest = sorted(captured, key=len)[:_MAX_OBSERVED]
    observed = [a for a in map(plain_arguments, smallest) if a is not None]
    if not observed or max_calls <= 0:
        return []
    seen = {pickled_call(args, kwargs) for args, kwargs in observed}
    boundary = _unique(_boundary_calls(observed), seen, max_calls)
    reserved = max_calls // _HYPOTHESIS_SHARE
    drawn = _unique(_drawn_calls(observed, max_calls), seen | {c.blob for c in boundary}, max_calls)
    chosen = boundary[: max_calls - min(reserved, len(drawn))]
    chosen += drawn[: max_calls - len(chosen)]
    total, kept = 0, []
    for call in chosen:
        total += len(call.blob)
        if total > MAX_TOTAL_BYTES:
            break
        kept.append(call)
    return kept


def pickled_call(args: tuple, kwargs: dict) -> str:
    """A call as the sandbox driver takes it and the captured calls are: base64 of the pickled ``(args, kwargs)``."""
    return base64.b64encode(pickle.dumps((tuple(args), dict(kwargs)))).decode()


def _unique(calls: Iterator[tuple[tuple, dict, str]], seen: set[str], limit: int) -> list[DerivedCall]:
    """The first ``limit`` calls not in ``seen``, pickled; the rest are never built (``calls`` is lazy)."""
    out: list[DerivedCall] = []
    for args, kwargs, how in calls:
        if len(out) >= limit:
            break
        try:
            blob = pickled_call(args, kwargs)
        except Exception:  # a variant pickle cannot write (a recursive container, say): nothing to replay
            continue
        if blob not in seen:
            seen.add(blob)
            out.append(DerivedCall(blob, how))
    return out


def _boundary_calls(observed: Sequence[Arguments]) -> Iterator[tuple[tuple, dict, str]]:
    """Each observed call with one argument at a time replaced by a boundary value of its type and shape; every
    argument of every call taken in turn, so that the cap leaves each its likeliest boundaries (empty, 0)."""
    rows = []
    for args, kwargs in observed:
        rows += [_varied(args, kwargs, i, None, value) for i, value in enumerate(args)]
        rows += [_varied(args, kwargs, 0, name, value) for name, value in kwargs.items()]
    return _in_turn(rows)


def _varied(args: tuple, kwargs: dict, i: int, name: str | None, value: object) -> Iterator[tuple[tuple, dict, str]]:
    """The call with positional argument ``i`` (or keyword ``name``) replaced by each boundary of ``value``."""
    for variant, what in _boundary_values(value):
        if name is None:
            yield (*args[:i], variant, *args[i + 1:]), kwargs, f"{what} for argument {i + 1}"
        else:
            yield args, {**kwargs, name: variant}, f"{what} for {name}"


def _in_turn(rows: Sequence[Iterable[tuple[tuple, dict, str]]]) -> Iterator[tuple[tuple, dict, str]]:
    for items in zip_longest(*rows):
        yield from (item for item in items if item is not None)


def _boundary_values(value: object) -> Iterator[tuple[object, str]]:
    """Boundary values of ``value``'s type and shape, each built only when asked for (the value may be large)."""
    if isinstance(value, bool):
        yield not value, repr(not value)
    elif isinstance(value, int | float):
        kind = type(value)
        yield from ((kind(v), repr(kind(v))) for v in (0, 1, -1))
    elif isinstance(value, str | bytes):
        yield value[:0], "empty string"
        yield value[:1], "one character"
        yield value[::-1], "reversed string"
    elif isinstance(value, list | tuple):
        kind, name = type(value), type(value).__name__
        yield kind(), f"empty {name}"
        if value:
            yield kind(value[:1]), f"single-element {name}"
            yield kind(value[:1] * 2), "two equal elements"
            yield kind(value[:1] * len(value)), "all elements equal"
            yield kind(value[: len(value) // 2]), f"first half of the {name}"
            yield kind(reversed(value)), f"reversed {name}"
            with contextlib.suppress(TypeError):  # elements that do not order have no sorted variant
                yield kind(sorted(value)), f"sorted {name}"
    elif isinstance(value, dict):
        yield {}, "empty dict"
        yield dict(list(value.items())[:1]), "single-item dict"
    elif isinstance(value, set | frozenset):
        kind = type(value)
        yield kind(), f"empty {kind.__name__}"
        yield kind(list(value)[:1]), f"single-element {kind.__name__}"


def _drawn_calls(observed: Sequence[Arguments], count: int) -> Iterator[tuple[tuple, dict, str]]:
    """Arguments drawn with hypothesis, per shape of call (arity and keywords; the first few shapes), from the
    values seen there; the shapes taken in turn."""
    from hypothesis.errors import HypothesisException

    shapes: dict[tuple[int, tuple[str, ...]], list[Arguments]] = {}
    for args, kwargs in observed:
        shapes.setdefault((len(args), tuple(kwargs)), []).append((args, kwargs))
    chosen = list(shapes.items())[:_MAX_SHAPES]
    rows = []
    for (arity, names), calls in chosen:
        columns = [[args[i] for args, _ in calls] for i in range(arity)]
        columns += [[kwargs[n] for _, kwargs in calls] for n in names]
        try:
            drawn = draw_examples([_like(values) for values in columns], count // len(chosen) + 1)
        except HypothesisException:  # a strategy it refuses (bounds from odd values): this shape gets boundaries only
            continue
        rows.append([(tuple(v[:arity]), dict(zip(names, v[arity:], strict=True)), "hypothesis") for v in drawn])
    return _in_turn(rows)


def _like(values: Sequence[object]):
    """A strategy for values of the types, shapes and ranges of ``values`` (all of one argument's)."""
    from hypothesis import strategies as st

    by_type: dict[type, list[object]] = {}
    for value in values:
        by_type.setdefault(type(value), []).append(value)
    options = [_like_type(kind, seen[:_MAX_SEEDS]) for kind, seen in by_type.items()]
    return options[0] if len(options) == 1 else st.one_of(options)


def _like_type(kind: type, seen: list[Any]):
    from hypothesis import strategies as st

    if kind is bool:
        return st.booleans()
    if kind is int:
        return st.integers(min(min(seen), 0), max(max(seen), 1))
    if kind is float:
        finite = [v for v in seen if math.isfinite(v)]
        return st.floats(min([*finite, 0.0]), max([*finite, 1.0]), allow_nan=False, allow_infinity=False)
    if kind is str:
        alphabet = sorted({c for s in seen for c in s}) or ["a"]
        return st.text(alphabet=alphabet, max_size=min(max(map(len, seen)), _MAX_DRAWN_SIZE))
    if kind is bytes:
        return st.binary(max_size=min(max(map(len, seen)), _MAX_DRAWN_SIZE))
    size = min(max(map(len, seen)), _MAX_DRAWN_SIZE) if kind in (list, tuple, set, frozenset, dict) else 0
    if kind is list or kind is tuple:
        lengths = {len(v) for v in seen}
        if kind is tuple and len(lengths) == 1:  # a fixed-length record: keep its shape, vary its fields
            return st.tuples(*[_like([v[i] for v in seen]) for i in range(lengths.pop())])
        items = [item for v in seen for item in islice(v, _MAX_SEEDS)]
        return st.lists(_like(items), max_size=size).map(kind) if items else st.just(kind())
    if kind is set or kind is frozenset:
        items = [item for v in seen for item in islice(v, _MAX_SEEDS)]
        return st.sets(_like(items), max_size=size).map(kind) if items else st.just(kind())
    if kind is dict:
        keys = [k for v in seen for k in islice(v, _MAX_SEEDS)]
        if not keys:
            return st.just({})
        values = [x for v in seen for x in islice(v.values(), _MAX_SEEDS)]
        return st.dictionaries(_like(keys), _like(values), max_size=size)
    return st.sampled_from(seen)  # None, complex, bytearray: the values seen


def check_on_original(run: DriverRun, derived: Sequence[DerivedCall], captured_outcomes: Sequence[str],
                      budget_s: float) -> CheckedCalls:
    """The derived calls the original (``run`` without an overlay) handles as it handles the captured ones.

    A run that ends without an answer (a derived call that loops or crashes) is split in halves until the
    call is found; after ``budget_s`` the calls not yet run are dropped as not finished.
    """
    started = time.monotonic()
    allowed = {name for kind, name in map(outcome_kind, captured_outcomes) if kind == "raised"}
    outcomes = _record(run, [c.blob for c in derived], started + budget_s)
    dropped = {_RAISED_NOT_SEEN: 0, _NOT_FINISHED: 0, _UNPICKLABLE: 0, _UNSTABLE: 0}
    calls, expected = [], []
    for call, outcome in zip(derived, outcomes, strict=True):
        if outcome == _NO_ANSWER:
            dropped[_NOT_FINISHED] += 1
        elif outcome is None:
            dropped[_UNPICKLABLE] += 1
        elif outcome_kind(outcome)[0] == "raised" and outcome_kind(outcome)[1] not in allowed:
            dropped[_RAISED_NOT_SEEN] += 1
        else:
            calls.append(call)
            expected.append(outcome)
    if calls:
        differences = _check(run, None, calls, expected)
        stable = [k for k, d in enumerate(differences or [True] * len(calls)) if d is None]
        dropped[_UNSTABLE] = len(calls) - len(stable)
        calls, expected = [calls[k] for k in stable], [expected[k] for k in stable]
    return CheckedCalls(tuple(calls), tuple(expected), dropped, time.monotonic() - started)



def _record(run: DriverRun, blobs: list[str], deadline: float) -> list[str | None]:
    if time.monotonic() >= deadline:
        return [_NO_ANSWER] * len(blobs)
    try:
        return list(run("record", None, calls=blobs)["outcomes"])
    except ProjectRunError:
        if len(blobs) == 1:
            return [_NO_ANSWER]
        half = len(blobs) // 2
        return _record(run, blobs[:half], deadline) + _record(run, blobs[half:], deadline)


def _check(run: DriverRun, overlay: str | None, calls: Sequence[DerivedCall],
           expected: Sequence[str]) -> list[str | None] | None:
    """Each call's difference from the expected outcome (None: alike); None when the run ended without an answer."""
    try:
        return list(run("check", overlay, calls=[c.blob for c in calls], expected=list(expected))["differences"])
    except ProjectRunError:
        return None


def first_wrong(run: DriverRun, candidate: str, checked: CheckedCalls) -> tuple[int, str | None]:
    """How many derived calls ``candidate`` (a module's text) was checked on, up to the first it gets wrong, and
    why it is wrong in words (None when it matches the original on all)."""
    if not checked.calls:
        return 0, None
    differences = _check(run, candidate, checked.calls, checked.expected)
    if differences is None:
        return len(checked.calls), f"did not finish the {len(checked.calls)} derived calls, which the original does"
    for k, (call, difference) in enumerate(zip(checked.calls, differences, strict=True)):
        if difference:
            return k + 1, f"wrong on a derived call ({call.how}): {difference}"
    return len(checked.calls), None
