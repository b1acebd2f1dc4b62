"""``python -m bench generate``: fill each row's generated-code column with the optimizer's output.

Protocol for rows with tests (PIE): verification sees only the **input** of the first test case of the
row's problem, never an expected output; the evaluation then runs every test. When nothing verifies, the
original program is written back, so a wrong program is never emitted.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tqdm import tqdm

from bench.core.cases import load_tests
from bench.harness.rows import Columns, EvalRow
from optimizer.candidates import VerificationInputs
from optimizer.pipeline import Optimizer, UnparsableCodeError

PROTOCOLS = {
    "first": ("verification used only the input of the first test case of each problem (the original program "
              "as the oracle); evaluation runs every test case"),
    "largest": ("verification used only the input of the largest test case of each problem (the original "
                "program as the oracle, never an expected output); evaluation runs every test case"),
}
VerificationInput = Literal["first", "largest"]


@dataclass
class GenerationStats:
    rows: int = 0
    improved: int = 0
    seconds: list[float] | None = None

    def summary(self) -> str:
        times = self.seconds or [0.0]
        return (f"{self.rows} rows, {self.improved} with a verified faster candidate; time per program: "
                f"median {statistics.median(times):.1f} s, max {max(times):.1f} s")


def verification_inputs(row: EvalRow, which: VerificationInput = "first") -> VerificationInputs:
    """PIE's protocol: the first test's input. The embedded suite's first tests are tiny edge cases on
    purpose, too short to time, so it verifies on its largest input instead."""
    tests = load_tests(row.tests_folder) if row.tests_folder else []
    if not tests:
        return VerificationInputs.from_caller([])
    chosen = tests[0] if which == "first" else max(tests, key=lambda t: len(t.input))
    return VerificationInputs.from_caller([chosen.input], f"{which} test input")


def generate_rows(rows: Sequence[EvalRow], optimizer: Optimizer, progress: bool = True,
                  which: VerificationInput = "first") -> Iterator[dict]:
    """One output record per row: the row's code columns, the generated code and what produced it."""
    for row in tqdm(rows, desc="generating", unit="row", disable=not progress, dynamic_ncols=True):
        record = {"problem_id": row.problem_id, Columns.slow: row.slow_code, Columns.reference: row.reference_code}
        try:
            result = optimizer.optimize_program(row.slow_code, verification_inputs(row, which))
        except UnparsableCodeError as exc:
            record[Columns.generated] = row.slow_code
            record["generation"] = {"improved": False, "notes": [str(exc)], "seconds": 0.0}
        else:
            record[Columns.generated] = result.code
            record["generation"] = result.to_json()
        record["generation"]["protocol"] = PROTOCOLS[which]
        yield record


def write_generations(rows: Sequence[EvalRow], optimizer: Optimizer, out: Path, progress: bool = True,
                      resume: bool = False) -> GenerationStats:
    """Write one JSONL line per row as it finishes; ``resume`` skips rows already in ``out``."""
    done = _done_rows(out) if resume else 0
    stats = GenerationStats(seconds=[])
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a" if resume else "w", encoding="utf-8") as f:
        for record in generate_rows(rows[done:], optimizer, progress):
            f.write(json.dumps(record) + "\n")
            f.flush()
            stats.rows += 1
            stats.improved += bool(record["generation"].get("improved"))
            stats.seconds.append(record["generation"].get("seconds", 0.0))  # type: ignore[union-attr]
    return stats


def _done_rows(out: Path) -> int:
    if not out.exists():
        return 0
    with out.open(encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())
