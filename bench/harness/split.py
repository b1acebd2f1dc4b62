"""The tuning/report split of the PIE dev rows, by problem (issue: generalisation).

Rules and engines are written and tuned on the *tuning* half; the README reports the *report* half, which
nobody looks at while changing them. The split is by problem (every row of a problem lands in the same half, so a
rule written from one submission cannot be scored on a sibling submission of the same task), seeded, and the list
is committed (``pie_dev_split.json``) so it never moves when rows are added:

    python -m bench.harness.split --rows ../shared/data/pie/dev.jsonl     # rewrites pie_dev_split.json
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal, TypeVar

from bench.core.datasets import data_dir
from bench.core.jsonl import read_jsonl

SPLIT_FILE = Path(__file__).with_name("pie_dev_split.json")
SEED = 20261205
Half = Literal["tuning", "report"]
HALVES: tuple[Half, ...] = ("tuning", "report")
Row = TypeVar("Row")


def split_problems(problem_ids: Iterable[str], seed: int = SEED) -> dict[Half, list[str]]:
    """Each distinct problem id in exactly one half; the halves differ in size by at most one problem."""
    problems = sorted(set(problem_ids))
    random.Random(seed).shuffle(problems)
    middle = (len(problems) + 1) // 2
    return {"tuning": sorted(problems[:middle]), "report": sorted(problems[middle:])}


def load_split(path: Path = SPLIT_FILE) -> dict[Half, list[str]]:
    data = json.loads(path.read_text())
    return {half: list(data[half]) for half in HALVES}


def select_half(rows: Sequence[Row], half: Half, problem_of, split: dict[Half, list[str]] | None = None) -> list[Row]:
    """The rows whose problem (``problem_of(row)``) is in ``half``; a problem in neither half is in neither."""
    wanted = set((split or load_split())[half])
    return [row for row in rows if problem_of(row) in wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=Path, default=data_dir() / "pie" / "dev.jsonl")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=SPLIT_FILE)
    args = parser.parse_args(argv)
    split = split_problems((str(record["problem_id"]) for _, record in read_jsonl(args.rows)), args.seed)
    payload = {"about": __doc__.splitlines()[0], "seed": args.seed, "rows": str(args.rows.name), **split}
    args.out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"{args.out}: tuning {len(split['tuning'])} problems, report {len(split['report'])} problems")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
