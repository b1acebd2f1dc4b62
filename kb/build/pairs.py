"""Reading (slow, fast) pairs: JSONL rows with their code under one of several names, and Code-Optimise's MBPP files.

The slow program is under ``input``/``slow``/``slow_code``/... and the fast one under ``target``/``fast``/
``fast_code``/... (``SLOW_FIELDS``/``FAST_FIELDS``); a rate given with the pair is read from its timing fields
(``rate_from_row``). Lines go through the project's one JSONL reader (``bench.core.jsonl``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bench.core.jsonl import MalformedLine, read_jsonl
from kb.errors import MalformedInputError, MissingCodeError
from kb.schema import normalise_od_base_rate, rate_from_speedup

log = logging.getLogger("kb")

OnError = Literal["skip", "stop"]
PairFormat = Literal["auto", "pairs", "mbpp"]
SLOW_FIELDS = ("input", "slow", "slow_code", "slow_code_col", "src_code", "code_v0", "src")
FAST_FIELDS = (
    "target",
    "fast",
    "fast_code",
    "reference_code_col",
    "target_code",
    "tgt_code",
    "code_v1",
    "tgt",
)

@dataclass(frozen=True)
class PairRecord:
    """One input pair, before it becomes an entry."""

    slow: str
    fast: str
    source: str
    line: int
    problem_id: str | None = None
    rate: float | None = None
    speedup: float | None = None
    slow_s: float | None = None
    fast_s: float | None = None
    rate_method: str | None = None
    summary: str | None = None
    title: str = ""
    category: str | None = None
    tags: tuple[str, ...] = ()
    entry_id: str | None = None
    license: str | None = None
    vector: Sequence[float] | None = None
    inputs: tuple[bytes, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True)
class InputProblem:
    """A line of input that was skipped, and why."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"



def _first(row: dict[str, Any], names: Sequence[str]) -> Any:
    for name in names:
        if name in row and row[name] is not None:
            return row[name]
    return None


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def rate_from_row(row: dict[str, Any]) -> tuple[float, float, float | None, float | None, str] | None:
    """(rate, speedup, slow_s, fast_s, method) from the timing fields of an input row, if any."""
    for slow_key, fast_key, method in (
        ("measured_runtime_v0", "measured_runtime_v1", "input:measured_runtime"),
        ("slow_s", "fast_s", "input:times"),
    ):
        slow, fast = _positive(row.get(slow_key)), _positive(row.get(fast_key))
        if slow is not None and fast is not None:
            return rate_from_speedup(slow / fast), slow / fast, slow, fast, method
    speedup = _positive(_first(row, ("speedup", "runtime_lift")))
    if speedup is not None:
        return rate_from_speedup(speedup), speedup, None, None, "input:speedup"
    slow, fast = _positive(row.get("cpu_time_v0")), _positive(row.get("cpu_time_v1"))
    if slow is not None and fast is not None:
        return rate_from_speedup(slow / fast), slow / fast, None, None, "input:cpu_time"
    for key, scale, method in (
        ("rate", 1.0, "input:rate"),
        ("improvement_frac", 100.0, "input:improvement_frac"),
    ):
        if _is_number(row.get(key)):
            rate, speedup = normalise_od_base_rate(float(row[key]) / scale)
            return rate, speedup, None, None, method
    return None


def _is_number(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str:
    if isinstance(value, list):  # some dumps keep code as a list of lines
        return "\n".join(str(line) for line in value)
    return value if isinstance(value, str) else ""


def pair_from_row(row: dict[str, Any], source: str, line: int) -> PairRecord:
    """A PairRecord from one JSON row of a pairs file; MissingCodeError when a side has no code."""
    slow, fast = _text(_first(row, SLOW_FIELDS)), _text(_first(row, FAST_FIELDS))
    where = f"{source}:{line}"
    if not slow.strip():
        raise MissingCodeError(where, "slow (input)")
    if not fast.strip():
        raise MissingCodeError(where, "fast (target)")
    found = rate_from_row(row)
    rate, speedup, slow_s, fast_s, method = found if found else (None, None, None, None, None)
    tags = row.get("tags")
    inputs = row.get("inputs") or ()
    return PairRecord(
        slow=slow,
        fast=fast,
        source=source,
        line=line,
        problem_id=str(row["problem_id"]) if row.get("problem_id") is not None else None,
        rate=rate,
        speedup=speedup,
        slow_s=slow_s,
        fast_s=fast_s,
        rate_method=method,
        summary=row.get("summary")
        if isinstance(row.get("summary"), str) and row["summary"].strip()
        else None,
        title=str(row.get("title") or ""),
        category=row.get("category") if isinstance(row.get("category"), str) else None,
        tags=tuple(str(tag) for tag in tags) if isinstance(tags, list) else (),
        entry_id=str(row["id"]) if isinstance(row.get("id"), str) else None,
        license=row.get("license") if isinstance(row.get("license"), str) else None,
        inputs=tuple(str(item).encode() for item in inputs) if isinstance(inputs, list) else (),
    )


def _detect_format(path: Path) -> PairFormat:
    for _, row in read_jsonl(path, lambda bad: None):
        return "mbpp" if "answers" in row and "question" in row else "pairs"
    return "pairs"


def read_rows(
    path: Path,
    make: Callable[[dict[str, Any], int], Iterable[PairRecord]],
    on_error: OnError = "skip",
    problems: list[InputProblem] | None = None,
) -> Iterator[PairRecord]:
    """The pairs ``make(row, line)`` turns each JSON line of ``path`` into; a line that is malformed or lacks
    code raises (``stop``) or is reported by number and skipped (``skip``)."""

    def skip(number: int, exc: MalformedInputError | MissingCodeError) -> None:
        if on_error == "stop":
            raise exc
        problem = InputProblem(path.name, number, str(exc).split(". Fix the line")[0].split(": ", 1)[-1])
        log.warning("skipped %s", problem)
        if problems is not None:
            problems.append(problem)

    def malformed(bad: MalformedLine) -> None:
        skip(bad.line, MalformedInputError(str(path), bad.line, bad.reason))

    for number, row in read_jsonl(path, malformed):
        try:
            yield from make(row, number)
        except (MalformedInputError, MissingCodeError) as exc:
            skip(number, exc)


def read_pairs(
    path: Path,
    fmt: PairFormat = "auto",
    on_error: OnError = "skip",
    problems: list[InputProblem] | None = None,
) -> Iterator[PairRecord]:
    """The pairs of a JSONL file; bad lines raise (``stop``) or are reported and skipped (``skip``)."""
    if fmt == "auto":
        fmt = _detect_format(path)
    if fmt == "mbpp":
        yield from read_rows(path, lambda row, number: mbpp_pairs(row, path.name, number), on_error, problems)
    else:
        yield from read_rows(path, lambda row, number: (pair_from_row(row, path.name, number),), on_error, problems)


def mbpp_pairs(
    row: dict[str, Any], source: str, line: int, min_speedup: float = 1.05
) -> Iterator[PairRecord]:
    """The fastest and the slowest passing solution of one Code-Optimise MBPP problem, as a pair.

    ``answers[].votes`` is the solution's mean runtime when it passed its tests and null otherwise.
    The problem's ``question`` (signature and docstring) is kept as the function's first lines,
    without the docstring.
    """
    question = str(row.get("question") or "")
    answers = row.get("answers")
    if not question.strip() or not isinstance(answers, list):
        raise MalformedInputError(source, line, "an MBPP solutions row needs 'question' and 'answers'")
    signature = question.replace("\r\n", "\n").strip().splitlines()[0]
    passing: dict[str, float] = {}
    for answer in answers:
        votes = _positive(answer.get("votes")) if isinstance(answer, dict) else None
        body = _clean_body(str(answer.get("text") or "")) if isinstance(answer, dict) else ""
        if votes is None or not body.strip():
            continue
        passing[body] = min(votes, passing.get(body, math.inf))
    if len(passing) < 2:
        return
    ranked = sorted(passing.items(), key=lambda item: (item[1], item[0]))
    (fast_body, fast_time), (slow_body, slow_time) = ranked[0], ranked[-1]
    if slow_time / fast_time < min_speedup:
        return
    speedup = slow_time / fast_time
    yield PairRecord(
        slow=f"{signature}\n{slow_body}",
        fast=f"{signature}\n{fast_body}",
        source=source,
        line=line,
        problem_id=f"mbpp-{row.get('id')}",
        rate=rate_from_speedup(speedup),
        speedup=speedup,
        slow_s=slow_time,
        fast_s=fast_time,
        rate_method="input:mbpp_votes",
        license="Apache-2.0",
    )


def _clean_body(text: str) -> str:
    """A solution body without blank lines, comment-only lines or trailing test code at column 0."""
    kept: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not raw.strip() or raw.strip().startswith("#"):
            continue
        if not raw.startswith((" ", "\t")):
            break  # the function body ended; what follows is the model's own test code
        kept.append(raw.rstrip())
    return "\n".join(kept)
