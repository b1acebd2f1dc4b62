"""Does retrieval find the change a reference solution made? (``python -m kb.evaluate``)

For each (slow, reference) program pair of an evaluation file (``pie/dev.jsonl`` by default), the
project's summariser names the change the reference made (its tags); the knowledge base is queried
with the slow program; the top-``k`` hits "name the change" automatically when one of their tags is
one of the reference's specific tags (the generic "algorithmic"/"restructure" do not count). This
automatic judgement is a proxy: ``--sample N`` writes N rows as Markdown for reading and judging by
hand.

``python -m kb evaluate-retrieval`` is the judged measure instead: precision@k of retrieval policies on
kb/judged/ (programs and the catalogue entries that apply to them, judged by reading the code).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from kb.query import RELEVANCE_THRESHOLD, SUGGESTION_POLICY, KnowledgeBase, RetrievalPolicy, SuggestionHit
from kb.summarise import summarise_change, unified_diff
from kb.tags import GENERIC_TAGS


@dataclass
class EvaluationRow:
    problem_id: str
    slow: str
    reference: str
    reference_tags: tuple[str, ...]
    reference_summary: str
    hits: list[SuggestionHit]

    @property
    def specific_tags(self) -> set[str]:
        return set(self.reference_tags) - GENERIC_TAGS

    @property
    def matched(self) -> bool:
        return any(self.specific_tags & (set(hit.tags) - GENERIC_TAGS) for hit in self.hits)


def read_eval_rows(path: Path) -> list[dict]:
    rows = []
    with path.open() as handle:
        for line in handle:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def evaluate(
    kb: KnowledgeBase,
    rows: list[dict],
    k: int = 2,
    policy: RetrievalPolicy | None = None,
    leave_problem_out: bool = True,
) -> list[EvaluationRow]:
    """Query ``kb`` with every row's slow program (its own problem left out when asked)."""
    policy = policy or RetrievalPolicy()
    slows = [row["slow_code_col"] for row in rows]
    vectors = kb.embed(slows)
    results = []
    for row, vector in zip(rows, vectors, strict=True):
        summary = summarise_change(row["slow_code_col"], row["reference_code_col"])
        row_policy = policy
        if leave_problem_out:
            row_policy = RetrievalPolicy(
                **{**policy.__dict__, "exclude_problem_ids": frozenset({row["problem_id"]})}
            )
        hits = kb.query_vector(vector, k, row_policy)
        results.append(
            EvaluationRow(
                row["problem_id"],
                row["slow_code_col"],
                row["reference_code_col"],
                summary.tags,
                summary.text,
                hits,
            )
        )
    return results


def summarise_results(results: list[EvaluationRow]) -> dict:
    with_specific = [r for r in results if r.specific_tags]
    return {
        "rows": len(results),
        "rows_with_hits": sum(1 for r in results if r.hits),
        "reference_change_recognised": len(with_specific),
        "auto_matched": sum(1 for r in with_specific if r.matched),
        "auto_match_rate": round(sum(1 for r in with_specific if r.matched) / len(with_specific), 4)
        if with_specific
        else None,
    }


def sample_markdown(results: list[EvaluationRow], n: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    chosen = rng.sample(results, min(n, len(results)))
    out = ["# Retrieval sample for manual judging", ""]
    for number, row in enumerate(chosen, start=1):
        out.append(f"## {number}. {row.problem_id}  (summariser: {', '.join(row.reference_tags)})")
        out.append(f"Reference change (rules): {row.reference_summary}")
        out.append("```diff")
        out.append(unified_diff(row.slow, row.reference)[:2500])
        out.append("```")
        for rank, hit in enumerate(row.hits, start=1):
            out.append(
                f"- hit {rank}: [{hit.entry_id}] sim {hit.similarity:.3f} rate "
                f"{hit.rate if hit.rate is None else round(hit.rate, 3)} tags {', '.join(hit.tags)}: "
                f"{hit.text}"
            )
        if not row.hits:
            out.append("- (no hits)")
        out.append(f"- auto judgement: {'match' if row.matched else 'no match'}")
        out.append("- manual judgement: ")
        out.append("")
    return "\n".join(out)


JUDGED_DIR = Path(__file__).parent / "judged"
# The policies the judged table compares; the last is SUGGESTION_POLICY without its threshold.
COMPARED_POLICIES: dict[str, RetrievalPolicy] = {
    "current (FasterPy re-ranking)": RetrievalPolicy(),
    "similarity only": RetrievalPolicy(rerank="similarity"),
    "similarity only, min rate 0.2": RetrievalPolicy(rerank="similarity", min_rate=0.2),
    "hybrid (tag boost), min rate 0.2": replace(SUGGESTION_POLICY, min_score=None),
}


@dataclass(frozen=True)
class JudgedProgram:
    """A program and the catalogue entries that apply to it; ``detected_tags``: the rules' tags on it."""

    label: str
    code: str
    relevant: frozenset[str]
    detected_tags: tuple[str, ...]


def load_judged(directory: Path = JUDGED_DIR, pie_rows: Path | None = None) -> list[JudgedProgram]:
    """The judged set: library.jsonl (code stored) and pie_tuning.jsonl (row indices into PIE's dev.jsonl)."""
    from bench.core.datasets import data_dir

    programs = [
        JudgedProgram(row["name"], row["code"], frozenset(row["relevant"]), tuple(row["detected_tags"]))
        for row in read_eval_rows(directory / "library.jsonl")
    ]
    judged_pie = read_eval_rows(directory / "pie_tuning.jsonl")
    if judged_pie:
        rows = read_eval_rows(pie_rows or data_dir() / "pie" / "dev.jsonl")
        for row in judged_pie:
            source = rows[row["row"]]
            if source["problem_id"] != row["problem_id"]:
                raise ValueError(f"row {row['row']} of the PIE rows is {source['problem_id']}, not {row['problem_id']}")
            programs.append(
                JudgedProgram(
                    f"{row['problem_id']}#{row['row']}",
                    source["slow_code_col"],
                    frozenset(row["relevant"]),
                    tuple(row["detected_tags"]),
                )
            )
    return programs


@dataclass(frozen=True)
class PrecisionRow:
    """One policy's result on the judged set: precision@k, and what a threshold leaves shown."""

    policy: str
    precision_at_k: float
    shown: int
    shown_relevant: int
    programs_with_a_hit: int

    @property
    def precision_of_shown(self) -> float:
        return self.shown_relevant / self.shown if self.shown else 0.0


def judged_precision(
    kb: KnowledgeBase,
    programs: Sequence[JudgedProgram],
    vectors: np.ndarray,
    policy: RetrievalPolicy,
    name: str,
    k: int = 2,
) -> PrecisionRow:
    """Precision@k (relevant hits among the top ``k``, over ``k``; fewer hits count as misses), averaged.

    ``vectors`` are the programs' embeddings (``kb.embed``), computed once for all the policies compared.
    """
    total = shown = relevant = with_hit = 0.0
    for program, vector in zip(programs, vectors, strict=True):
        hits = kb.query_vector(vector, k, policy, program.detected_tags)
        good = sum(hit.entry_id in program.relevant for hit in hits)
        total += good / k
        shown, relevant, with_hit = shown + len(hits), relevant + good, with_hit + bool(hits)
    return PrecisionRow(name, total / len(programs), int(shown), int(relevant), int(with_hit))


def threshold_sweep(
    kb: KnowledgeBase, programs: Sequence[JudgedProgram], vectors: np.ndarray, thresholds: Sequence[float], k: int = 2
) -> list[PrecisionRow]:
    """SUGGESTION_POLICY at each threshold: the table RELEVANCE_THRESHOLD was chosen from."""
    return [
        judged_precision(
            kb, programs, vectors, replace(SUGGESTION_POLICY, min_score=value), f"threshold {value:.2f}", k
        )
        for value in thresholds
    ]


def precision_table(rows: Sequence[PrecisionRow], k: int, count: int) -> str:
    lines = [
        f"| policy ({count} judged programs) | precision@{k} | hits shown | relevant shown | programs with a hit |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {row.policy} | {row.precision_at_k:.3f} | {row.shown} | {row.shown_relevant} "
        f"({row.precision_of_shown:.2f}) | {row.programs_with_a_hit} |"
        for row in rows
    ]
    return "\n".join(lines)


def cmd_evaluate_retrieval(args: argparse.Namespace) -> int:
    programs = load_judged(Path(args.judged), Path(args.pie_rows) if args.pie_rows else None)
    with KnowledgeBase.open(args.kb) as kb:
        vectors = kb.embed([program.code for program in programs])
        rows = [
            judged_precision(kb, programs, vectors, policy, name, args.k) for name, policy in COMPARED_POLICIES.items()
        ]
        label = f"hybrid, shown at score >= {RELEVANCE_THRESHOLD} (hovers and prompts)"
        rows.append(judged_precision(kb, programs, vectors, SUGGESTION_POLICY, label, args.k))
        print(precision_table(rows, args.k, len(programs)))
        if args.sweep:
            sweep = threshold_sweep(kb, programs, vectors, [0.70 + 0.02 * i for i in range(16)], args.k)
            print()
            print(precision_table(sweep, args.k, len(programs)))
    return 0


def add_evaluate_retrieval_command(commands: argparse._SubParsersAction) -> None:
    """``python -m kb evaluate-retrieval``: the precision table of the judged set."""
    parser = commands.add_parser("evaluate-retrieval", help="precision@k of retrieval policies on kb/judged/")
    parser.add_argument("--kb", help="knowledge-base folder (default: the project's catalogue KB)")
    parser.add_argument("--judged", default=str(JUDGED_DIR), help="folder of library.jsonl and pie_tuning.jsonl")
    parser.add_argument("--pie-rows", help="PIE's dev.jsonl (default: the data folder's pie/dev.jsonl)")
    parser.add_argument("-k", type=int, default=2)
    parser.add_argument("--sweep", action="store_true", help="also print the threshold sweep")
    parser.set_defaults(handler=cmd_evaluate_retrieval)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kb.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--kb", help="knowledge-base folder (default: the catalogue KB)")
    parser.add_argument(
        "--eval", required=True, help="JSONL with problem_id, slow_code_col, reference_code_col"
    )
    parser.add_argument("-k", type=int, default=2)
    parser.add_argument("--min-rate", type=float, default=0.5, help="negative: no rate filter")
    parser.add_argument("--min-similarity", type=float, default=0.1)
    parser.add_argument("--rerank", choices=("fasterpy", "similarity"), default="fasterpy")
    parser.add_argument("--sample", type=int, default=0, help="write this many rows as Markdown")
    parser.add_argument("--sample-out", default="-", help="where to write the sample (default stdout)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    policy = RetrievalPolicy(
        min_rate=None if args.min_rate < 0 else args.min_rate,
        min_similarity=args.min_similarity,
        rerank=args.rerank,
    )
    with KnowledgeBase.open(args.kb) as kb:
        results = evaluate(kb, read_eval_rows(Path(args.eval)), args.k, policy)
        summary = summarise_results(results)
        summary.update(
            {
                "kb": str(kb.path),
                "text_mode": kb.manifest.embedder.text_mode,
                "policy": {
                    "min_rate": policy.min_rate,
                    "min_similarity": policy.min_similarity,
                    "rerank": policy.rerank,
                    "k": args.k,
                },
            }
        )
    print(json.dumps(summary, indent=2))
    if args.sample:
        text = sample_markdown(results, args.sample, args.seed)
        if args.sample_out == "-":
            sys.stdout.write(text)
        else:
            Path(args.sample_out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
