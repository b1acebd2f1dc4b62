"""The committed tuning/report split of the PIE dev rows: by problem, disjoint, reproducible from its seed."""

from __future__ import annotations

import json

import pytest

from bench.core.datasets import data_dir
from bench.core.jsonl import read_jsonl
from bench.harness.split import SPLIT_FILE, load_split, select_half, split_problems


def test_halves_are_disjoint_and_balanced() -> None:
    split = load_split()
    assert not set(split["tuning"]) & set(split["report"])
    assert abs(len(split["tuning"]) - len(split["report"])) <= 1


def test_split_is_by_problem_and_seeded() -> None:
    ids = [f"p{i:05d}" for i in range(20)] * 3
    first, again = split_problems(ids, seed=1), split_problems(reversed(ids), seed=1)
    assert first == again
    assert sorted(first["tuning"] + first["report"]) == sorted(set(ids))
    assert split_problems(ids, seed=2) != first


def test_select_half_keeps_every_row_of_a_problem_together() -> None:
    split = {"tuning": ["a"], "report": ["b"]}
    rows = [("a", 1), ("b", 2), ("a", 3), ("c", 4)]
    assert select_half(rows, "tuning", lambda r: r[0], split) == [("a", 1), ("a", 3)]
    assert select_half(rows, "report", lambda r: r[0], split) == [("b", 2)]


def test_committed_split_matches_the_dev_rows() -> None:
    rows = data_dir() / "pie" / "dev.jsonl"
    if not rows.is_file():
        pytest.skip(f"PIE dev rows not found at {rows} (set PYPERF_DATA)")
    committed = json.loads(SPLIT_FILE.read_text())
    ids = [str(record["problem_id"]) for _, record in read_jsonl(rows)]
    assert split_problems(ids, committed["seed"]) == load_split()
