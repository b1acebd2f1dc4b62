"""Problems with tests, for self-generated training data and evaluation (Code-Optimise's setting).

Three sources, all read from the shared data folder (``$PYPERF_DATA``, default ``../shared/data``, the one
setting the tests and the knowledge base use):

- MBPP ``mbpp/mbpp_{train,validation,test}.jsonl``: a signature with a docstring, a ``check(candidate)``
  test function and the entry point. Code-Optimise samples its training data on train + validation and
  evaluates on test.
- HumanEval ``humaneval/HumanEval.jsonl.gz``: the same shape; evaluation only.
- CodeNet ``codenet/sample_io_nontest.json``: stdin programs with sample input/output pairs. The data holds no
  problem statements, so a CodeNet problem's text is its examples: enough to check and time a program
  written elsewhere, too little to pose the task well.

Problem ids name their source: ``mbpp/11``, ``humaneval/0``, ``codenet/p00002``; MBPP task ids are unique
across its splits.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# The data folder setting lives in one place (import-light: pathlib and os).
from bench.core.datasets import DATA_ENV, data_dir

ProblemKind = Literal["function", "stdio"]
MBPP_SPLITS = ("train", "validation", "test")
# What each --problems name loads; "mbpp" is Code-Optimise's training set (train + validation).
SOURCES: dict[str, tuple[str, ...]] = {
    "mbpp": ("mbpp-train", "mbpp-validation"),
    "mbpp-train": ("mbpp-train",),
    "mbpp-validation": ("mbpp-validation",),
    "mbpp-test": ("mbpp-test",),
    "humaneval": ("humaneval",),
    "codenet": ("codenet",),
}


class ProblemDataError(ValueError):
    """The data folder or a problem file cannot be used; the message says which and what to do, in one line."""


@dataclass(frozen=True)
class Problem:
    """One problem and its tests.

    ``kind`` "function": ``prompt`` is the signature with its docstring, ``entry_point`` the function to define,
    ``test_code`` a ``check(candidate)`` function. ``kind`` "stdio": ``prompt`` describes the program by its
    examples and ``io_cases`` holds the (input, expected output) pairs it must reproduce.
    """

    id: str
    source: str
    prompt: str
    kind: ProblemKind
    entry_point: str | None = None
    test_code: str = ""
    io_cases: tuple[tuple[str, str], ...] = field(default=())

    @property
    def group(self) -> str:
        """The dataset name without its split (``mbpp``), what the rows' ``source`` field is compared with."""
        return self.source.split("-", 1)[0]


def resolve_data(data: Path | None = None) -> Path:
    """The data folder: ``data`` if given, else the shared setting; a clear error when it does not exist."""
    path = Path(data) if data is not None else data_dir()
    if not path.is_dir():
        raise ProblemDataError(f"data folder not found: {path} (pass --data or set {DATA_ENV})")
    return path


def load_problems(source: str, data: Path | None = None) -> list[Problem]:
    """The problems of one source name of :data:`SOURCES`, in file order."""
    if source not in SOURCES:
        raise ProblemDataError(f"unknown problem source {source!r}; choose from {', '.join(SOURCES)}")
    root = resolve_data(data)
    problems: list[Problem] = []
    for part in SOURCES[source]:
        if part.startswith("mbpp-"):
            problems += _load_mbpp(root, part.removeprefix("mbpp-"))
        elif part == "humaneval":
            problems += _load_humaneval(root)
        else:
            problems += _load_codenet(root)
    return problems


def problems_by_id(ids: Iterable[str], data: Path | None = None) -> dict[str, Problem]:
    """Every problem of the sources that ``ids`` name (by their prefix), keyed by id; unknown prefixes are left
    out, so callers report the ids they could not find."""
    prefixes = {i.split("/", 1)[0] for i in ids}
    names = {"mbpp": ("mbpp-train", "mbpp-validation", "mbpp-test"), "humaneval": ("humaneval",),
             "codenet": ("codenet",)}
    found: dict[str, Problem] = {}
    for prefix in sorted(prefixes & set(names)):
        for name in names[prefix]:
            found.update((p.id, p) for p in load_problems(name, data))
    return found


def _text(value: object) -> str:
    """Dataset text with Windows line endings made plain (MBPP's prompts and tests mix both)."""
    return str(value).replace("\r\n", "\n")


def _read_jsonl(path: Path, opener=open) -> list[dict]:
    if not path.is_file():
        raise ProblemDataError(f"problem file not found: {path}")
    with opener(path, "rt", encoding="utf-8") as f:
        rows = []
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise ProblemDataError(f"{path}:{number}: not JSON: {exc}") from exc
        return rows


def _function_problem(pid: str, source: str, row: dict, path: Path) -> Problem:
    try:
        prompt = _text(row["prompt"])
        return Problem(id=pid, source=source, prompt=prompt, kind="function",
                       entry_point=_entry_point(str(row["entry_point"]), prompt), test_code=_text(row["test"]))
    except KeyError as exc:
        raise ProblemDataError(f"{path}: problem {pid} has no {exc.args[0]!r} field") from exc


def _entry_point(given: str, prompt: str) -> str:
    """The function to define. MBPP has a few broken entry points (trailing spaces; "find_ind" for a prompt that
    declares ``removals``; a whole line of code): the name is stripped, and one the prompt does not declare gives
    way to the prompt's last declared function, the one its tests call."""
    name = given.strip()
    declared = re.findall(r"^def\s+([A-Za-z_]\w*)\s*\(", prompt, flags=re.MULTILINE)
    if declared and name not in declared:
        return declared[-1]
    return name


def _load_mbpp(root: Path, split: str) -> list[Problem]:
    path = root / "mbpp" / f"mbpp_{split}.jsonl"
    return [_function_problem(f"mbpp/{row.get('task_id')}", f"mbpp-{split}", row, path) for row in _read_jsonl(path)]


def _load_humaneval(root: Path) -> list[Problem]:
    path = root / "humaneval" / "HumanEval.jsonl.gz"
    problems = []
    for row in _read_jsonl(path, opener=gzip.open):
        number = str(row.get("task_id", "")).rsplit("/", 1)[-1]
        problems.append(_function_problem(f"humaneval/{number}", "humaneval", row, path))
    return problems


def _load_codenet(root: Path) -> list[Problem]:
    path = root / "codenet" / "sample_io_nontest.json"
    if not path.is_file():
        raise ProblemDataError(f"problem file not found: {path}")
    try:
        cases = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ProblemDataError(f"{path}: not JSON: {exc}") from exc
    problems = []
    for pid, pairs in cases.items():
        io = tuple((str(i), str(o)) for i, o in pairs)
        if io:
            problems.append(Problem(id=f"codenet/{pid}", source="codenet", prompt=_examples_text(io),
                                    kind="stdio", io_cases=io))
    return problems


def _examples_text(io: tuple[tuple[str, str], ...]) -> str:
    """A CodeNet problem's only description: its sample cases."""
    parts = ["Write a Python program that reads standard input and writes standard output, as in these examples."]
    for n, (given, expected) in enumerate(io, start=1):
        parts.append(f"Example {n} input:\n{given.rstrip()}\nExample {n} output:\n{expected.rstrip()}")
    return "\n\n".join(parts)
