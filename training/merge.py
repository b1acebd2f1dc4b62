"""``python -m training merge``: SFT and DPO datasets from annotated solutions (Code-Optimise's merge step).

Solutions are grouped by problem; identical code (after stripping trailing whitespace) counts once: it passes
only if every copy passed, and its runtime is the median of the copies' runtimes.

SFT, one example per selected passing solution:
- ``top-p`` (default): the fastest ``max(1, floor(p x passing))`` solutions of each problem (p = 0.25).
- ``within``: Code-Optimise's dynamic selection as this project implements it: every passing solution whose
  runtime is within ``delta`` of the problem's fastest (runtime <= fastest x (1 + delta)), so a problem whose
  solutions all run alike contributes many and one with a clear winner contributes few.

DPO pairs, at most ``max_pairs`` of each kind per problem, drawn at random among the eligible ones with a
generator seeded by ``seed`` and the problem id (the same pairs whatever the order of the input files):
- ``qvs`` (quick vs slow): two passing solutions, chosen at least ``min_ratio`` times faster than rejected.
- ``pvf`` (pass vs fail): a passing solution chosen, a failing one with code rejected.
- ``all``: both.

Rows (the contract with ``training.dataset``): SFT ``{"id", "group": problem_id, "messages": [system, user,
assistant]}``; DPO ``{"id", "group", "messages": [system, user], "chosen", "rejected"}``: the user turn is
:func:`optimizer.prompt.build_task_messages`, the assistant texts :func:`build_answer` of the code.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from optimizer.prompt import build_answer, build_task_messages
from training.problems import Problem, ProblemDataError, problems_by_id
from training.records import Report, open_for_append, read_jsonl, warn, write_row

Selection = Literal["top-p", "within"]
PairKind = Literal["qvs", "pvf", "all"]
ANNOTATED_FIELDS = ("problem_id", "code", "passed")


@dataclass(frozen=True)
class MergeOptions:
    selection: Selection = "top-p"
    top_p: float = 0.25
    delta: float = 0.1
    pairs: PairKind = "qvs"
    min_ratio: float = 1.25
    max_pairs: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if self.selection not in ("top-p", "within"):
            raise ValueError(f"selection must be 'top-p' or 'within', got {self.selection!r}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top-p must be in (0, 1], got {self.top_p}")
        if self.delta < 0:
            raise ValueError(f"delta must be >= 0, got {self.delta}")
        if self.pairs not in ("qvs", "pvf", "all"):
            raise ValueError(f"pairs must be 'qvs', 'pvf' or 'all', got {self.pairs!r}")
        if self.min_ratio < 1:
            raise ValueError(f"min ratio must be >= 1, got {self.min_ratio}")
        if self.max_pairs < 1:
            raise ValueError(f"max pairs must be >= 1, got {self.max_pairs}")


@dataclass(frozen=True)
class Solution:
    code: str
    passed: bool
    runtime_s: float | None


@dataclass
class MergeStats:
    problems: int = 0
    solutions: int = 0
    sft_rows: int = 0
    sft_problems: int = 0
    dpo_rows: dict[str, int] = field(default_factory=dict)
    dpo_problems: int = 0

    def summary(self) -> str:
        pairs = ", ".join(f"{kind} {n}" for kind, n in self.dpo_rows.items()) or "none"
        return (f"{self.problems} problems, {self.solutions} distinct solutions; SFT {self.sft_rows} rows "
                f"({self.sft_problems} problems); DPO pairs: {pairs} ({self.dpo_problems} problems)")


def group_solutions(rows: Iterable[dict]) -> dict[str, list[Solution]]:
    """Distinct solutions per problem, in first-seen order (module docstring: duplicates)."""
    copies: dict[str, dict[str, list[dict]]] = defaultdict(dict)
    for row in rows:
        code = row.get("code")
        if not isinstance(code, str) or not code.strip():
            continue
        key = code.rstrip()
        copies[str(row["problem_id"])].setdefault(key, []).append(row)
    grouped: dict[str, list[Solution]] = {}
    for problem_id, by_code in copies.items():
        solutions = []
        for code, same in by_code.items():
            runtimes = [r.get("runtime_s") for r in same]
            passed = all(r.get("passed") is True for r in same) and all(_is_runtime(t) for t in runtimes)
            runtime = statistics.median(runtimes) if passed else None
            solutions.append(Solution(code + "\n", passed, runtime))
        grouped[problem_id] = solutions
    return grouped


def _is_runtime(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def fastest_first(solutions: Sequence[Solution]) -> list[Solution]:
    # Ties broken by the code itself: the selection does not depend on the order of the input rows.
    return sorted((s for s in solutions if s.passed), key=lambda s: (s.runtime_s, s.code))


def select_sft(solutions: Sequence[Solution], options: MergeOptions) -> list[Solution]:
    """The passing solutions of one problem that become SFT targets, fastest first."""
    passing = fastest_first(solutions)
    if not passing:
        return []
    if options.selection == "top-p":
        return passing[: max(1, int(options.top_p * len(passing)))]
    limit = passing[0].runtime_s * (1 + options.delta)  # type: ignore[operator]
    return [s for s in passing if s.runtime_s <= limit]  # type: ignore[operator]


def select_pairs(problem_id: str, solutions: Sequence[Solution], kind: Literal["qvs", "pvf"],
                 options: MergeOptions) -> list[tuple[Solution, Solution]]:
    """(chosen, rejected) pairs of one kind for one problem, at most ``max_pairs``, seeded by the problem id."""
    passing = fastest_first(solutions)
    if kind == "qvs":
        eligible = [(q, s) for q, s in itertools.combinations(passing, 2)
                    if s.runtime_s >= q.runtime_s * options.min_ratio and s.runtime_s > q.runtime_s]  # type: ignore[operator]
    else:
        failing = sorted((s for s in solutions if not s.passed), key=lambda s: s.code)
        eligible = list(itertools.product(passing, failing))
    if len(eligible) > options.max_pairs:
        rng = random.Random(f"{options.seed}:{kind}:{problem_id}")
        picked = sorted(rng.sample(range(len(eligible)), options.max_pairs))
        eligible = [eligible[i] for i in picked]
    return eligible


def sft_row(problem: Problem, index: int, solution: Solution) -> dict:
    messages = build_task_messages(problem.prompt, problem.entry_point)
    messages.append({"role": "assistant", "content": build_answer(solution.code)})
    return {"id": f"{problem.id}#sft{index}", "group": problem.id, "messages": messages}


def dpo_row(problem: Problem, kind: str, index: int, chosen: Solution, rejected: Solution) -> dict:
    return {"id": f"{problem.id}#{kind}{index}", "group": problem.id,
            "messages": build_task_messages(problem.prompt, problem.entry_point),
            "chosen": build_answer(chosen.code), "rejected": build_answer(rejected.code)}


def merge(rows: Iterable[dict], problems: dict[str, Problem], options: MergeOptions,
          report: Report = warn) -> tuple[list[dict], list[dict], MergeStats]:
    """The SFT rows and DPO rows of the annotated ``rows``, problems in sorted id order."""
    grouped = group_solutions(rows)
    stats = MergeStats(dpo_rows={k: 0 for k in _kinds(options.pairs)})
    sft: list[dict] = []
    dpo: list[dict] = []
    missing = sorted(set(grouped) - set(problems))
    if missing:
        report(f"skipped {len(missing)} problems not in the problem data: {', '.join(missing[:5])}"
               + (" ..." if len(missing) > 5 else ""))
    for problem_id in sorted(set(grouped) & set(problems), key=_natural):
        problem, solutions = problems[problem_id], grouped[problem_id]
        stats.problems += 1
        stats.solutions += len(solutions)
        chosen = select_sft(solutions, options)
        sft += [sft_row(problem, i, s) for i, s in enumerate(chosen)]
        stats.sft_problems += bool(chosen)
        had_pairs = False
        for kind in _kinds(options.pairs):
            pairs = select_pairs(problem_id, solutions, kind, options)
            dpo += [dpo_row(problem, kind, i, c, r) for i, (c, r) in enumerate(pairs)]
            stats.dpo_rows[kind] += len(pairs)
            had_pairs |= bool(pairs)
        stats.dpo_problems += had_pairs
    stats.sft_rows = len(sft)
    return sft, dpo, stats


def _kinds(pairs: PairKind) -> tuple[Literal["qvs", "pvf"], ...]:
    return ("qvs", "pvf") if pairs == "all" else (pairs,)  # type: ignore[return-value]


def _natural(problem_id: str) -> tuple[str, int, str]:
    """mbpp/9 before mbpp/10."""
    prefix, _, rest = problem_id.partition("/")
    return (prefix, int(rest), "") if rest.isdigit() else (prefix, -1, rest)


def merge_files(inputs: Sequence[Path], options: MergeOptions, sft_out: Path | None, dpo_out: Path | None,
                data: Path | None = None, report: Report = warn) -> MergeStats:
    rows = [row for path in inputs for _, row in read_jsonl(path, required=ANNOTATED_FIELDS, report=report)]
    problems = problems_by_id({str(row["problem_id"]) for row in rows}, data) if rows else {}
    sft, dpo, stats = merge(rows, problems, options, report)
    for out, written in ((sft_out, sft), (dpo_out, dpo)):
        if out is not None:
            with open_for_append(out, resume=False) as handle:
                for row in written:
                    write_row(handle, row)
    return stats


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("merge", help="SFT and DPO datasets from annotated solutions",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", type=Path, nargs="+", required=True, help="annotated JSONL file(s)")
    parser.add_argument("--sft-out", type=Path, default=None, help="SFT JSONL to write")
    parser.add_argument("--dpo-out", type=Path, default=None, help="DPO JSONL to write")
    parser.add_argument("--data", type=Path, default=None, help="shared data folder")
    parser.add_argument("--selection", choices=("top-p", "within"), default=MergeOptions.selection)
    parser.add_argument("--top-p", type=float, default=MergeOptions.top_p,
                        help="fraction of the fastest passing solutions per problem for SFT")
    parser.add_argument("--delta", type=float, default=MergeOptions.delta,
                        help="'within' selection: keep runtime <= fastest x (1 + delta)")
    parser.add_argument("--pairs", choices=("qvs", "pvf", "all"), default=MergeOptions.pairs)
    parser.add_argument("--min-ratio", type=float, default=MergeOptions.min_ratio,
                        help="qvs: the rejected solution is at least this many times slower")
    parser.add_argument("--max-pairs", type=int, default=MergeOptions.max_pairs, help="DPO pairs per problem and kind")
    parser.add_argument("--seed", type=int, default=MergeOptions.seed)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.sft_out is None and args.dpo_out is None:
        warn("error: nothing to write: pass --sft-out and/or --dpo-out")
        return 2
    try:
        options = MergeOptions(selection=args.selection, top_p=args.top_p, delta=args.delta, pairs=args.pairs,
                               min_ratio=args.min_ratio, max_pairs=args.max_pairs, seed=args.seed)
        stats = merge_files(args.input, options, args.sft_out, args.dpo_out, args.data)
    except (ValueError, FileNotFoundError, ProblemDataError) as exc:
        warn(f"error: {exc}")
        return 2
    warn(stats.summary())
    return 0
