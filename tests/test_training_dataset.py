"""The SFT dataset builder: the optimizer's prompt, leave-one-out retrieval, bad rows, the other source formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kb_support import sample_pairs, shared_embedder
from training_support import write_jsonl

from kb.query import KnowledgeBase
from optimizer.prompt import build_answer, build_messages, extract_code
from training.cli import main
from training.dataset import DatasetOptions, build_dataset, read_sft_rows
from training.errors import TrainingError


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture()
def pairs_file(tmp_path) -> Path:
    return write_jsonl(tmp_path / "pairs.jsonl", sample_pairs())


def test_pairs_become_the_optimizer_prompt_and_a_python_answer(pairs_file, tmp_path):
    out = tmp_path / "sft.jsonl"
    summary = build_dataset(DatasetOptions(pairs=[pairs_file], out=out, retrieval=False))
    rows = read(out)
    source = sample_pairs()
    assert summary["rows"] == len(rows) == len(source)
    for row, pair in zip(rows, source, strict=True):
        assert row["group"] == pair["problem_id"]
        assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
        assert row["messages"][:2] == list(build_messages(pair["input"]))
        assert row["messages"][2]["content"] == build_answer(pair["target"])
        assert extract_code(row["messages"][2]["content"]) == pair["target"].rstrip("\n") + "\n"
    assert len({row["id"] for row in rows}) == len(rows)


def test_retrieval_leaves_out_the_pairs_own_problem(pairs_file, tmp_path):
    from kb.build import BuildOptions, build_from_files
    from kb.index import IndexOptions

    embedder = shared_embedder()
    options = BuildOptions(progress=False, rate_from="input", index=IndexOptions(kind="exact"))
    build_from_files([pairs_file], tmp_path / "kb", options, embedder=embedder)
    kb = KnowledgeBase.open(tmp_path / "kb", embedder=embedder)
    out = tmp_path / "sft.jsonl"
    build_dataset(DatasetOptions(pairs=[pairs_file], out=out, suggestions=2), kb=kb)
    rows = read(out)
    problem_of = {entry.id: entry.problem_id for entry in kb.entries()}
    # Without leave-one-out, the nearest entry to a pair's slow code is the pair itself: exclusion does real work.
    own_first = [kb.query(pair["input"], k=1)[0].problem_id == pair["problem_id"] for pair in sample_pairs()]
    assert sum(own_first) >= len(own_first) - 1
    assert any(row["suggestions"] for row in rows)
    for row in rows:
        assert all(problem_of[entry_id] != row["group"] for entry_id in row["suggestions"])
        for entry_id in row["suggestions"]:
            assert kb.get(entry_id).summary.strip() in row["messages"][1]["content"]
    kb.close()


def test_a_row_without_an_assistant_turn_is_reported_by_line_and_skipped_or_fatal(tmp_path, capsys):
    turns = [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]
    good = {"id": "a", "group": "g", "messages": turns}
    no_answer = {"id": "b", "group": "g", "messages": [{"role": "user", "content": "x"}]}
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(no_answer) + "\n{not json\n")
    rows = read_sft_rows(path, "skip")
    assert [r["id"] for r in rows] == ["a"]
    err = capsys.readouterr().err
    assert f"{path}:2: no assistant turn" in err and f"{path}:3:" in err
    with pytest.raises(TrainingError, match=r"rows.jsonl:2: no assistant turn"):
        read_sft_rows(path, "fail")


def test_fasterpy_messages_are_converted_and_sft_rows_kept(tmp_path):
    fasterpy = tmp_path / "fasterpy.jsonl"
    write_jsonl(
        fasterpy,
        [
            {
                "messages": [
                    {"role": "system", "content": "You optimise code."},
                    {"role": "user", "content": "Make it fast:\n```python\nprint(sum([i for i in range(9)]))\n```"},
                    {"role": "assistant", "content": "Sure.\n```python\nprint(36)\n```"},
                ]
            },
            {"messages": [{"role": "user", "content": "no code"}, {"role": "assistant", "content": "none"}]},
        ],
    )
    sft = write_jsonl(
        tmp_path / "mbpp.jsonl",
        [{"id": "mbpp-1", "group": "g", "messages": [*build_messages("x=1"), {"role": "assistant", "content": "y"}]}],
    )
    out = tmp_path / "out.jsonl"
    summary = build_dataset(DatasetOptions(fasterpy=[fasterpy], sft=[sft], out=out, retrieval=False))
    rows = read(out)
    assert summary["rows"] == 2
    assert rows[0]["messages"][:2] == list(build_messages("print(sum([i for i in range(9)]))\n"))
    assert extract_code(rows[0]["messages"][2]["content"]) == "print(36)\n"
    assert rows[1]["id"] == "mbpp-1"


def test_duplicate_ids_across_sources_fail(pairs_file, tmp_path):
    with pytest.raises(TrainingError, match="duplicate example ids"):
        build_dataset(DatasetOptions(pairs=[pairs_file, pairs_file], out=tmp_path / "o.jsonl", retrieval=False))


def test_cli_writes_the_dataset_and_reports_bad_input_in_one_line(pairs_file, tmp_path, capsys):
    out = tmp_path / "cli.jsonl"
    assert main(["dataset", "--pairs", str(pairs_file), "--no-retrieval", "--out", str(out)]) == 0
    assert len(read(out)) == len(sample_pairs())
    assert main(["dataset", "--pairs", str(tmp_path / "missing.jsonl"), "--no-retrieval", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: cannot read") and "missing.jsonl" in err[-1]


def test_sources_without_a_usable_example_fail_and_write_nothing(tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("not json\n")
    out = tmp_path / "sft.jsonl"
    with pytest.raises(TrainingError, match=r"no usable example in the sources \(pairs:pairs\.jsonl\)"):
        build_dataset(DatasetOptions(pairs=[pairs], out=out, retrieval=False))
    assert not out.exists()
