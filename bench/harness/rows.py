"""Rows to evaluate and their tests: generation JSONL files, PIE-style test folders, the embedded suite."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

SUITE_DIR = Path(__file__).resolve().parent.parent / "suite"
_TEST_FILE = re.compile(r"input\.(\d+)\.txt$")


class DataError(ValueError):
    """Input data that cannot be used; the message says which file and what to fix."""


@dataclass
class TestCase:
    input: bytes
    expected: bytes


@dataclass
class EvalRow:
    """One program to evaluate: the slow original, the reference and any generated candidates."""

    index: int
    problem_id: str
    slow_code: str
    reference_code: str | None
    # (name, code) of each generated candidate; code None when the generation holds no string
    candidates: list[tuple[str, str | None]] = field(default_factory=list)
    tests_folder: Path | None = None


@dataclass(frozen=True)
class Columns:
    slow: str = "slow_code_col"
    reference: str = "reference_code_col"
    generated: str = "model_generated_potentially_faster_code_col"
    problem_id: str = "problem_id"


def candidate_names(label: str | None, count: int, listed: bool) -> list[str]:
    """``candidate_k`` for an unlabelled file; else ``label#k`` for a list of candidates, ``label`` for one."""
    if label is None:
        return [f"candidate_{k}" for k in range(count)]
    return [f"{label}#{k}" for k in range(count)] if listed else [label] * count


def load_rows(path: Path, tests_root: Path, columns: Columns = Columns(), strict: bool = False,
              label: str | None = None) -> tuple[list[EvalRow], list[str]]:
    """Read a generations JSONL whose tests lie in ``tests_root/{problem_id}/``.

    Candidates are named by ``candidate_names(label, ...)``. A bad line is reported (with its
    number) and skipped, or raises ``DataError`` if ``strict``.
    """
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    rows: list[EvalRow] = []
    problems: list[str] = []
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
                if not isinstance(record, dict):
                    raise ValueError("not a JSON object")
                slow = record[columns.slow]
                if not isinstance(slow, str):
                    raise ValueError(f"{columns.slow!r} is not a string")
            except (ValueError, KeyError) as exc:
                problem = f"{path}:{number}: skipped: {_describe(exc)}"
                if strict:
                    raise DataError(problem) from exc
                problems.append(problem)
                continue
            generated = record.get(columns.generated)
            if generated is None:
                codes: list[str | None] = []
            elif isinstance(generated, list):
                codes = [c if isinstance(c, str) else None for c in generated]
            else:
                codes = [generated if isinstance(generated, str) else None]
            reference = record.get(columns.reference)
            problem_id = str(record.get(columns.problem_id, f"row{number}"))
            rows.append(EvalRow(
                index=len(rows),
                problem_id=problem_id,
                slow_code=slow,
                reference_code=reference if isinstance(reference, str) else None,
                candidates=list(zip(candidate_names(label, len(codes), isinstance(generated, list)), codes,
                                       strict=True)),
                tests_folder=tests_root / problem_id,
            ))
    return rows, problems


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing column {exc.args[0]!r}"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg} at column {exc.colno})"
    return str(exc)


def load_tests(folder: Path) -> list[TestCase]:
    """``input.N.txt`` with ``output.N.txt`` from ``folder``, in order of N; [] if there are none."""
    if not folder.is_dir():
        return []
    numbered = []
    for path in folder.iterdir():
        match = _TEST_FILE.match(path.name)
        expected = folder / f"output.{match.group(1)}.txt" if match else None
        if match and expected and expected.is_file():
            numbered.append((int(match.group(1)), TestCase(path.read_bytes(), expected.read_bytes())))
    return [case for _, case in sorted(numbered, key=lambda item: item[0])]


def suite_rows(suite_dir: Path = SUITE_DIR) -> list[EvalRow]:
    """The embedded benchmark: one row per ``suite/<name>/`` with slow.py, fast.py and tests/."""
    rows = []
    for folder in sorted(p for p in suite_dir.iterdir() if (p / "slow.py").is_file()):
        rows.append(EvalRow(
            index=len(rows),
            problem_id=folder.name,
            slow_code=(folder / "slow.py").read_text(encoding="utf-8"),
            reference_code=(folder / "fast.py").read_text(encoding="utf-8"),
            tests_folder=folder / "tests",
        ))
    return rows
