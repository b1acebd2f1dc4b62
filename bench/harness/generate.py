"""``python -m bench generate``: fill each row's generated-code column with the optimizer's output.

Protocol for rows with tests (PIE): verification sees only the **input** of the first test case of the
row's problem, never an expected output; the evaluation then runs every test. When nothing verifies, the
original program is written back, so a wrong program is never emitted.

Candidates from any model (``--candidates G.jsonl``, issue 14): the generated code of pie-perf generations
files, matched to the rows by slow code, joins the pool with the rules' rewrite of each (``CandidatePool``);
they are verified under the same protocol, with derived inputs since a model wrote them (issue 17).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain
from pathlib import Path
from typing import Literal

from tqdm import tqdm

from bench.core.cases import load_tests
from bench.harness.function_eval import generate_function_rows
from bench.harness.function_rows import FunctionRow, row_record
from bench.harness.rows import Columns, EvalRow, load_rows
from optimizer.candidates import ENGINE_PRESETS, Candidate, VerificationInputs
from optimizer.generate import CandidateGenerator, GeneratorSettings
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
    seconds: list[float] = field(default_factory=list)
    # Per verdict checked on derived inputs: how many it ran on; and how many verdicts a derived input turned wrong.
    derived_checked: list[int] = field(default_factory=list)
    derived_rejected: int = 0

    def add(self, generation: dict) -> None:
        self.rows += 1
        self.improved += bool(generation.get("improved"))
        self.seconds.append(generation.get("seconds", 0.0))
        for tried in generation.get("tried", []):
            if tried.get("derived_inputs_checked"):
                self.derived_checked.append(tried["derived_inputs_checked"])
                self.derived_rejected += tried["reason"].startswith("wrong on a derived input")

    def summary(self) -> str:
        times = self.seconds or [0.0]
        derived = (f"; {len(self.derived_checked)} verdicts checked on derived inputs (median "
                   f"{statistics.median(self.derived_checked):.0f} each), {self.derived_rejected} wrong on one"
                   if self.derived_checked else "; no verdict checked on derived inputs")
        return (f"{self.rows} rows, {self.improved} with a verified faster candidate; time per program: "
                f"median {statistics.median(times):.1f} s, max {max(times):.1f} s{derived}")


class CandidatePool:
    """A row's candidates from generations files, the rules' rewrite of each, and optionally our engines'.

    Stands in for the optimizer's generator: ``candidates(code)`` is what ``Optimizer.optimize_program`` asks.
    The rules run on a file's candidate keep its origin (``<label>+rules``), so they are checked on derived
    inputs as the candidate itself is.
    """

    def __init__(self, given: dict[str, list[Candidate]], engines: CandidateGenerator | None = None) -> None:
        self.given = given
        self.engines = engines
        self.rules = CandidateGenerator(GeneratorSettings(engines=ENGINE_PRESETS["rules"]))

    def candidates(self, code: str) -> tuple[list[Candidate], list[str]]:
        found, notes = self.engines.candidates(code) if self.engines is not None else ([], [])
        for candidate in self.given.get(code.strip(), []):
            found.append(candidate)
            rewritten, _ = self.rules.candidates(candidate.code)
            found.extend(replace(r, engine=f"{candidate.engine}+rules", model=candidate.model) for r in rewritten)
        seen = {code.strip()}
        distinct = []
        for candidate in found:
            if candidate.code.strip() not in seen:
                seen.add(candidate.code.strip())
                distinct.append(candidate)
        return distinct, notes


def read_candidate_files(paths: Sequence[Path], rows: Sequence[EvalRow]) -> tuple[dict[str, list[Candidate]],
                                                                                 list[str]]:
    """The candidates of each generations file by the (stripped) slow code of ``rows``, and what did not match.

    A row's generated column may hold a string or a list; each candidate is named after its file
    (``candidates:<file stem>``). Reported: file lines that are unusable, file rows whose slow code is no row's,
    and rows that got no candidate from a file.
    """
    wanted = {row.slow_code.strip() for row in rows}
    given: dict[str, list[Candidate]] = {}
    problems: list[str] = []
    for path in paths:
        label = path.stem
        file_rows, skipped = load_rows(path, Path("."), label=label)
        problems.extend(skipped)
        matched: set[str] = set()
        for file_row in file_rows:
            key = file_row.slow_code.strip()
            if key not in wanted:
                continue
            matched.add(key)
            given.setdefault(key, []).extend(
                Candidate(code, f"candidates:{label}", model=label) for _, code in file_row.candidates if code
            )
        if len(file_rows) > len(matched):
            problems.append(f"{path}: {len(file_rows) - len(matched)} of its {len(file_rows)} rows match no input row")
        missing = [row.problem_id for row in rows if row.slow_code.strip() not in matched]
        if missing:
            shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
            problems.append(f"{path}: no candidate for {len(missing)} of the {len(rows)} input rows ({shown})")
    return given, problems


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
                      resume: bool = False, function_rows: Sequence[FunctionRow] = ()) -> GenerationStats:
    """Write one JSONL line per row as it finishes, the stdin rows first, then the function rows (their folders
    relative to ``out``'s); ``resume`` skips rows already in ``out``."""
    done = _done_rows(out) if resume else 0
    stats = GenerationStats()
    out.parent.mkdir(parents=True, exist_ok=True)
    functions = ({**row_record(row, code, out.parent.resolve()), "generation": generation}
                 for row, code, generation, _ in generate_function_rows(function_rows[max(0, done - len(rows)):],
                                                                         optimizer, progress))
    with out.open("a" if resume else "w", encoding="utf-8") as f:
        for record in chain(generate_rows(rows[done:], optimizer, progress), functions):
            f.write(json.dumps(record) + "\n")
            f.flush()
            stats.add(record["generation"])
    return stats


def _done_rows(out: Path) -> int:
    if not out.exists():
        return 0
    with out.open(encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())
