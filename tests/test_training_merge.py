"""SFT and DPO datasets from annotated solutions: top-p picks the fastest, qvs pairs really are quick vs slow, pvf
pairs pass vs fail, the caps and the seed hold, and the rows speak the prompt module's format. Then the same on
Code-Optimise's own timed solutions."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from optimizer.prompt import SYSTEM_PROMPT, build_task_messages, extract_code
from training.annotate import convert_files
from training.merge import MergeOptions, group_solutions, merge, merge_files, select_sft
from training.problems import Problem

P = Problem(id="t/1", source="t", prompt='def f(x):\n    """Double x."""\n', kind="function", entry_point="f",
            test_code="def check(c):\n    assert c(2) == 4\n")
# Eight passing solutions, runtimes given out of order, and three failures (one without code).
RUNTIMES = [0.8, 0.1, 0.5, 0.3, 0.2, 0.7, 0.4, 0.6]


def annotated(runtimes: list[float] = RUNTIMES, failures: int = 3, pid: str = "t/1") -> list[dict]:
    rows = [{"problem_id": pid, "sample_id": i, "code": f"def f(x):\n    return x * 2  # v{i}\n", "passed": True,
             "runtime_s": t} for i, t in enumerate(runtimes)]
    rows += [{"problem_id": pid, "sample_id": 100 + k, "code": f"def f(x):\n    return x + {k}\n", "passed": False,
              "runtime_s": None} for k in range(failures - 1)]
    rows.append({"problem_id": pid, "sample_id": 999, "code": None, "passed": False, "runtime_s": None})
    return rows


def runtime_of(rows: list[dict]) -> dict[str, float]:
    return {r["code"].rstrip(): r["runtime_s"] for r in rows if r["passed"]}


def answer_code(text: str) -> str:
    code = extract_code(text)
    assert code is not None
    return code.rstrip()


def test_top_p_picks_the_fastest_and_at_least_one() -> None:
    rows = annotated()
    sft, _, stats = merge(rows, {"t/1": P}, MergeOptions(top_p=0.25))
    picked = sorted(runtime_of(rows)[answer_code(r["messages"][2]["content"])] for r in sft)
    assert picked == sorted(RUNTIMES)[:2]  # floor(0.25 * 8) = 2, the two fastest
    assert stats.sft_rows == 2 and stats.sft_problems == 1
    single = select_sft(group_solutions(annotated([0.3, 0.2, 0.9]))["t/1"], MergeOptions(top_p=0.25))
    assert [s.runtime_s for s in single] == [0.2]
    assert select_sft(group_solutions(annotated([]))["t/1"], MergeOptions()) == []


def test_within_selection_keeps_solutions_near_the_fastest() -> None:
    solutions = group_solutions(annotated([0.100, 0.105, 0.109, 0.2, 0.5]))["t/1"]
    chosen = select_sft(solutions, MergeOptions(selection="within", delta=0.1))
    assert [s.runtime_s for s in chosen] == [0.100, 0.105, 0.109]
    assert len(select_sft(solutions, MergeOptions(selection="within", delta=5.0))) == 5


def test_qvs_pairs_are_quick_versus_slow_by_the_minimum_ratio() -> None:
    rows = annotated()
    speed = runtime_of(rows)
    _, dpo, stats = merge(rows, {"t/1": P}, MergeOptions(pairs="qvs", min_ratio=2.0, max_pairs=100))
    assert dpo and stats.dpo_rows == {"qvs": len(dpo)}
    expected = sum(1 for a in RUNTIMES for b in RUNTIMES if b >= 2 * a)
    assert len(dpo) == expected
    for row in dpo:
        chosen, rejected = speed[answer_code(row["chosen"])], speed[answer_code(row["rejected"])]
        assert rejected >= 2.0 * chosen


def test_pvf_pairs_pass_versus_fail_and_skip_answers_without_code() -> None:
    rows = annotated(failures=3)
    speed = runtime_of(rows)
    _, dpo, _ = merge(rows, {"t/1": P}, MergeOptions(pairs="pvf", max_pairs=100))
    assert len(dpo) == 8 * 2  # every passing solution against the two failures that have code
    for row in dpo:
        assert answer_code(row["chosen"]) in speed and answer_code(row["rejected"]) not in speed


def test_pairs_are_capped_and_deterministic_with_a_seed() -> None:
    rows = annotated()
    options = MergeOptions(pairs="all", min_ratio=1.0, max_pairs=5, seed=1)
    _, first, stats = merge(rows, {"t/1": P}, options)
    _, again, _ = merge(list(reversed(rows)), {"t/1": P}, options)
    assert stats.dpo_rows == {"qvs": 5, "pvf": 5}
    assert [(r["chosen"], r["rejected"]) for r in first] == [(r["chosen"], r["rejected"]) for r in again]
    others = [merge(rows, {"t/1": P}, MergeOptions(pairs="all", min_ratio=1.0, max_pairs=5, seed=s))[1]
              for s in range(2, 6)]
    assert any([r["chosen"] for r in o] != [r["chosen"] for r in first] for o in others)


def test_duplicate_code_counts_once_and_must_always_pass() -> None:
    code = "def f(x):\n    return 2 * x\n"
    rows = [{"problem_id": "t/1", "code": code, "passed": True, "runtime_s": t} for t in (0.1, 0.3, 0.2)]
    rows.append({"problem_id": "t/1", "code": code + "\n\n", "passed": True, "runtime_s": 0.9})
    rows += [{"problem_id": "t/1", "code": "def f(x):\n    return x\n", "passed": p, "runtime_s": 0.1 if p else None}
             for p in (True, False)]
    solutions = group_solutions(rows)["t/1"]
    assert [(s.passed, s.runtime_s) for s in solutions] == [(True, 0.25), (False, None)]


def test_rows_follow_the_contract_and_the_prompt_module() -> None:
    sft, dpo, _ = merge(annotated(), {"t/1": P}, MergeOptions(pairs="all"))
    prompt = build_task_messages(P.prompt, P.entry_point)
    for row in sft:
        assert set(row) == {"id", "group", "messages"} and row["group"] == "t/1"
        assert row["messages"][:2] == prompt and row["messages"][0]["content"] == SYSTEM_PROMPT
        assert row["messages"][2]["role"] == "assistant"
    for row in dpo:
        assert set(row) == {"id", "group", "messages", "chosen", "rejected"} and row["messages"] == prompt
        assert row["chosen"] != row["rejected"]
    ids = [r["id"] for r in sft + dpo]
    assert len(ids) == len(set(ids))


def test_unknown_problems_and_bad_lines_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in annotated(pid="t/1") + annotated(pid="t/2")) + "{bad\n")
    report: list[str] = []
    stats = merge_files([path], MergeOptions(), tmp_path / "sft.jsonl", None, report=report.append)
    assert stats.problems == 0  # no data folder knows t/1 or t/2
    assert any("skipped 2 problems not in the problem data" in line for line in report)
    assert any(line.startswith(f"{path}:") and "skipped: not JSON" in line for line in report)


@pytest.fixture(scope="module")
def code_optimise(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = sorted((shared_data / "mbpp").glob("solutions_*.jsonl"))
    if not files:
        pytest.skip(f"Code-Optimise's solutions not found under {shared_data}/mbpp")
    out = tmp_path_factory.mktemp("co") / "annotated.jsonl"
    convert_files(files[:2], out)
    return out


def test_merge_code_optimise_solutions(code_optimise: Path, shared_data: Path, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in code_optimise.read_text().splitlines()]
    speed: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        if r["passed"]:
            speed.setdefault((r["problem_id"], r["code"].rstrip()), []).append(r["runtime_s"])
    sft_out, dpo_out = tmp_path / "sft.jsonl", tmp_path / "dpo.jsonl"
    stats = merge_files([code_optimise], MergeOptions(pairs="qvs", min_ratio=1.25, max_pairs=8), sft_out, dpo_out,
                        shared_data)
    sft = [json.loads(line) for line in sft_out.read_text().splitlines()]
    dpo = [json.loads(line) for line in dpo_out.read_text().splitlines()]
    assert stats.problems >= 40 and len(sft) == stats.sft_rows and len(dpo) == stats.dpo_rows["qvs"]
    assert {r["group"] for r in sft} <= {r["problem_id"] for r in rows}
    for row in dpo:
        group = row["group"]
        chosen = speed[(group, answer_code(row["chosen"]))]
        rejected = speed[(group, answer_code(row["rejected"]))]
        assert statistics.median(rejected) >= 1.25 * statistics.median(chosen)
    # Each problem's SFT targets are its fastest passing solutions (median over copies of the same code; code that
    # failed in any copy does not count as passing).
    failed = {(r["problem_id"], r["code"].rstrip()) for r in rows if not r["passed"] and r["code"]}
    median = {key: statistics.median(v) for key, v in speed.items() if key not in failed}
    for group in sorted({r["group"] for r in sft}):
        picked = {answer_code(r["messages"][2]["content"]) for r in sft if r["group"] == group}
        inside = [t for (g, code), t in median.items() if g == group and code in picked]
        outside = [t for (g, code), t in median.items() if g == group and code not in picked]
        assert len(inside) == len(picked) and max(inside) <= min(outside, default=float("inf"))
