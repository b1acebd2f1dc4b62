"""Function-level rows (issue 12): a function or method of a package, verified on the calls its own tests make.

A row is a folder holding a package or module and a pytest ``tests/`` folder, a *target* (the dotted module and
the qualified name, ``shop.catalog:Catalog.percentile_ranks``), the slow version of the target's module and,
optionally, a reference faster version and generated candidates (each the whole module's text).

The embedded suite's cases (``bench/suite/functions/<name>/``) are such folders: ``meta.json`` (``target`` and
what is slow and why), ``slow.py`` and ``fast.py`` (the two versions of the target module, which itself is absent
from the folder) and the rest of the package beside ``tests/``. In a JSONL rows file a function row reads::

    {"kind": "function", "problem_id": "ranks", "folder": "cases/ranks",
     "target": "shop.catalog:Catalog.percentile_ranks",
     "slow_code_col": "...", "reference_code_col": "...", "model_generated_potentially_faster_code_col": "..."}

``folder`` is relative to the JSONL file's folder. Every other key is optional: ``target`` defaults to the
folder's ``meta.json``, the slow code to its ``slow.py`` (else the module file in the folder), the reference to
its ``fast.py``; the generated column is a string or a list of candidates, as in a stdin row.
``"pytest_plugins": false`` (in the record or ``meta.json``) keeps the installed pytest plugins out of the
row's test runs, as ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` would: the suite's cases need none, and loading those of
a development environment costs seconds per run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points
from pathlib import Path

from bench.core.cases import folder_name_problem
from bench.core.jsonl import read_jsonl
from bench.harness.rows import FUNCTION_KIND, SUITE_DIR, Columns, DataError, candidate_names
from optimizer.package_context import ModuleContext, module_context

FUNCTIONS_DIR = SUITE_DIR / "functions"
# A case folder's own files: the versions of the target module and its description, never part of the package.
CASE_FILES = ("slow.py", "fast.py", "meta.json")
DEFAULT_COLUMNS = Columns()


@dataclass
class FunctionRow:
    """One target to evaluate: the slow module, the reference and any generated candidates (whole modules)."""

    index: int
    problem_id: str
    folder: Path
    module: str  # dotted name of the target's module, e.g. "shop.catalog"
    qualname: str  # e.g. "Catalog.percentile_ranks"
    slow_code: str
    reference_code: str | None
    candidates: list[tuple[str, str | None]] = field(default_factory=list)
    pytest_args: tuple[str, ...] = ()  # added to every pytest run of the row's tests

    @property
    def target(self) -> str:
        return f"{self.module}:{self.qualname}"

    def context(self) -> ModuleContext:
        """The package as the sandbox sees it, with the slow version as the target module."""
        context = module_context(self.folder, module_file(self.folder, self.module), self.slow_code)
        files = {k: v for k, v in context.files.items() if k not in CASE_FILES}
        return replace(context, files=files, pytest_args=self.pytest_args)


def parse_target(target: object) -> tuple[str, str]:
    """``"pkg.mod:Class.method"`` -> ``("pkg.mod", "Class.method")``; DataError when it is not one."""
    if not isinstance(target, str) or target.count(":") != 1 or not all(target.split(":")):
        raise DataError(f"target {target!r} is not 'dotted.module:qualified.name'")
    module, qualname = target.split(":")
    return module, qualname


def module_file(folder: Path, module: str) -> Path:
    """Where ``module`` lives under ``folder``: an existing file (plain or ``src/`` layout, module or package);
    else where it would go beside the package folders that exist (a suite case leaves it out)."""
    relative = Path(*module.split("."))
    places = [root / name for root in (folder, folder / "src")
              for name in (relative.with_suffix(".py"), relative / "__init__.py")]
    for path in places:
        if path.is_file():
            return path
    for path in places:
        if path.parent.is_dir():
            return path
    raise DataError(f"{folder}: no folder for the module {module!r}")


def load_case(folder: Path, index: int = 0, problem_id: str | None = None, record: dict | None = None,
              columns: Columns = DEFAULT_COLUMNS) -> FunctionRow:
    """A row from a folder, the JSONL ``record``'s values (if any) taking precedence over the folder's files."""
    record = record or {}
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")
    meta_path = folder / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{meta_path}: cannot be read as JSON: {exc}") from exc
    module, qualname = parse_target(record.get("target", meta.get("target")))
    slow = record.get(columns.slow)
    if slow is None:
        source = folder / "slow.py" if (folder / "slow.py").is_file() else module_file(folder, module)
        if not source.is_file():
            raise DataError(f"{folder}: no slow code (a slow.py, the module {module}, or the {columns.slow!r} column)")
        slow = source.read_text(encoding="utf-8")
    reference = record.get(columns.reference)
    if reference is None and (folder / "fast.py").is_file():
        reference = (folder / "fast.py").read_text(encoding="utf-8")
    if not isinstance(slow, str) or not (reference is None or isinstance(reference, str)):
        raise DataError(f"{folder}: the slow and reference code must be strings")
    plugins = record.get("pytest_plugins", meta.get("pytest_plugins", True))
    return FunctionRow(index, problem_id or folder.name, folder, module, qualname, slow, reference,
                       pytest_args=() if plugins else without_plugins())


def without_plugins() -> tuple[str, ...]:
    """pytest arguments that keep out every plugin installed in this interpreter (the sandbox runs the same)."""
    return tuple(arg for plugin in entry_points(group="pytest11") for arg in ("-p", f"no:{plugin.name}"))


def function_suite_rows(functions_dir: Path = FUNCTIONS_DIR) -> list[FunctionRow]:
    """The embedded suite's function cases: one row per ``functions/<name>/`` with a meta.json."""
    folders = sorted(p for p in functions_dir.iterdir() if (p / "meta.json").is_file()) if functions_dir.is_dir() \
        else []
    return [load_case(folder, index) for index, folder in enumerate(folders)]


def load_function_rows(path: Path, columns: Columns = DEFAULT_COLUMNS, label: str | None = None,
                       ) -> tuple[list[FunctionRow], list[str]]:
    """The ``kind: "function"`` rows of a JSONL file; a bad one is reported with its line number and skipped."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    rows: list[FunctionRow] = []
    problems: list[str] = []
    for number, record in read_jsonl(path, lambda bad: problems.append(f"{path}:{bad.line}: skipped: {bad.reason}")):
        if record.get("kind") != FUNCTION_KIND:
            continue
        problem_id = str(record.get(columns.problem_id, f"row{number}"))
        folder = record.get("folder")
        why = folder_name_problem(problem_id)
        if why is not None:
            problems.append(f"{path}:{number}: skipped: {columns.problem_id!r} {problem_id!r} {why}")
            continue
        if not isinstance(folder, str) or not folder:
            problems.append(f"{path}:{number}: skipped: a function row needs a 'folder' (relative to {path.parent})")
            continue
        try:
            row = load_case(path.parent / folder, len(rows), problem_id, record, columns)
        except DataError as exc:
            problems.append(f"{path}:{number}: skipped: {exc}")
            continue
        generated = record.get(columns.generated)
        codes = generated if isinstance(generated, list) else [] if generated is None else [generated]
        names = candidate_names(label, len(codes), isinstance(generated, list))
        row.candidates = [(name, code if isinstance(code, str) else None) for name, code in zip(names, codes,
                                                                                                strict=True)]
        rows.append(row)
    return rows, problems


def has_stdin_rows(path: Path) -> bool:
    """Whether a rows file holds any row that is not a function row (those need a tests folder)."""
    return any(record.get("kind") != FUNCTION_KIND for _, record in read_jsonl(path, lambda bad: None))


def row_record(row: FunctionRow, generated: str, out_dir: Path) -> dict:
    """A function row as a JSONL record written into ``out_dir``, its folder relative to that."""
    return {"kind": FUNCTION_KIND, "problem_id": row.problem_id, "folder": os.path.relpath(row.folder, out_dir),
            "target": row.target, Columns.slow: row.slow_code, Columns.reference: row.reference_code,
            Columns.generated: generated}


def function_rows(files: list[Path] | None, columns: Columns, problems: list[str]) -> list[FunctionRow]:
    """The function rows to evaluate: the embedded suite's without files; else those of the first file, with the
    candidates of the other files (the same rows, side by side, each named after its file). Bad lines are added
    to ``problems``."""
    if files is None:
        return function_suite_rows()
    labels: list[str | None] = [None] if len(files) == 1 else [path.stem for path in files]
    rows, skipped = load_function_rows(files[0], columns, labels[0])
    problems.extend(skipped)
    for path, label in zip(files[1:], labels[1:], strict=True):
        others, skipped = load_function_rows(path, columns, label)
        problems.extend(skipped)
        if [(r.target, r.slow_code) for r in others] != [(r.target, r.slow_code) for r in rows]:
            raise DataError(f"{path}: its function rows are not the same as those of {files[0]}")
        for row, other in zip(rows, others, strict=True):
            row.candidates.extend(other.candidates)
    return rows
