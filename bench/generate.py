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

from tqdm import tqdm

from bench.rows import Columns, EvalRow, load_tests
from server.optimizer.pipeline import Optimizer, UnparsableCodeError
from server.optimizer.verify import VerificationInputs

PROTOCOL = ("verification used only the input of the first test case of each problem (the original program "
            "as the oracle); evaluation runs every test case")


@dataclass
class GenerationStats:
    rows: int = 0
    improved: int = 0
    seconds: list[float] | None = None

    def summary(self) -> str:
        times = self.seconds or [0.0]
        return (f"{self.rows} rows, {self.improved} with a verified faster candidate; time per program: "
                f"median {statistics.median(times):.1f} s, max {max(times):.1f} s")


def verification_inputs(row: EvalRow) -> VerificationInputs:
    tests = load_tests(row.tests_folder) if row.tests_folder else []
    return VerificationInputs.from_caller([tests[0].input] if tests else [], "first test input")


def generate_rows(rows: Sequence[EvalRow], optimizer: Optimizer, progress: bool = True) -> Iterator[dict]:
    """One output record per row: the row's code columns, the generated code and what produced it."""
    for row in tqdm(rows, desc="generating", unit="row", disable=not progress, dynamic_ncols=True):
        record = {"problem_id": row.problem_id, Columns.slow: row.slow_code, Columns.reference: row.reference_code}
        try:
            result = optimizer.optimize_program(row.slow_code, verification_inputs(row))
        except UnparsableCodeError as exc:
            record[Columns.generated] = row.slow_code
            record["generation"] = {"improved": False, "notes": [str(exc)], "seconds": 0.0}
        else:
            record[Columns.generated] = result.code
            record["generation"] = result.to_json()
        record["generation"]["protocol"] = PROTOCOL
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
