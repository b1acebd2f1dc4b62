"""Does retrieval find the change a reference solution made? (``python -m kb.evaluate``)

For each (slow, reference) program pair of an evaluation file (``pie/dev.jsonl`` by default), the
project's summariser names the change the reference made (its tags); the knowledge base is queried
with the slow program; the top-``k`` hits "name the change" automatically when one of their tags is
one of the reference's specific tags (the generic "algorithmic"/"restructure" do not count). This
automatic judgement is a proxy: ``--sample N`` writes N rows as Markdown for reading and judging by
hand.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from kb.query import KnowledgeBase, RetrievalPolicy, SuggestionHit
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
