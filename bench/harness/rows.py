"""Rows to evaluate and their tests: generation JSONL files, PIE-style test folders, the embedded suite."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bench.core.cases import folder_name_problem
from bench.core.jsonl import read_jsonl

SUITE_DIR = Path(__file__).resolve().parent.parent / "suite"
# A JSONL row with this "kind" is a function-level row (bench.harness.function_rows), not a stdin program.
FUNCTION_KIND = "function"


class DataError(ValueError):
    """Input data that cannot be used; the message says which file and what to fix."""


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
    """Read the stdin rows of a generations JSONL whose tests lie in ``tests_root/{problem_id}/``.

    Candidates are named by ``candidate_names(label, ...)``. A bad line (not a JSON object, no slow code, or a
    problem id that is not a plain folder name) is reported with its number and skipped, or raises
    ``DataError`` if ``strict``.
    """
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    rows: list[EvalRow] = []
    problems: list[str] = []

    def skip(number: int, reason: str) -> None:
        problem = f"{path}:{number}: skipped: {reason}"
        if strict:
            raise DataError(problem)
        problems.append(problem)

    for number, record in read_jsonl(path, lambda bad: skip(bad.line, bad.reason)):
        if record.get("kind") == FUNCTION_KIND:
            continue  # read by bench.harness.function_rows.load_function_rows
        if columns.slow not in record:
            skip(number, f"missing column {columns.slow!r}")
            continue
        slow = record[columns.slow]
        if not isinstance(slow, str):
            skip(number, f"{columns.slow!r} is not a string")
            continue
        problem_id = str(record.get(columns.problem_id, f"row{number}"))
        why = folder_name_problem(problem_id)
        if why is not None:
            skip(number, f"{columns.problem_id!r} {problem_id!r} {why}; it must be a plain folder name")
            continue
        generated = record.get(columns.generated)
        if generated is None:
            codes: list[str | None] = []
        elif isinstance(generated, list):
            codes = [c if isinstance(c, str) else None for c in generated]
        else:
            codes = [generated if isinstance(generated, str) else None]
        reference = record.get(columns.reference)
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
