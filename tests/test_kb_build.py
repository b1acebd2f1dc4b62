"""Building knowledge bases from pairs: rates, bad input, determinism, resuming, measuring."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from kb_support import sample_pairs, shared_embedder

from kb.build import BuildOptions, build_from_files, build_kb, rate_from_row, read_pairs, source_label
from kb.errors import KBError, KBExistsError, MalformedInputError
from kb.query import KnowledgeBase
from kb.schema import entry_id_for
from kb.store import read_manifest

OPTIONS = BuildOptions(progress=False, rate_from="input")


def write_pairs(path: Path, rows: list, extra_lines: tuple[str, ...] = ()) -> Path:
    lines = [json.dumps(row) for row in rows] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def embedder():
    return shared_embedder()


def test_rates_come_from_whichever_timing_fields_the_input_has():
    rates = {row["problem_id"]: rate_from_row(row) for row in sample_pairs()}
    assert rates["t-sum"][:2] == pytest.approx((1 - 0.1 / 0.9, 9.0))  # slow_s / fast_s
    assert rates["t-read"][:2] == pytest.approx((2 / 3, 3.0))  # speedup
    assert rates["t-member"][:2] == pytest.approx((0.8, 5.0))  # FasterPy rate
    assert rates["t-print"][:2] == pytest.approx((2 / 3, 3.0))  # cpu_time_v0 / v1
    assert rates["t-memo"][:2] == pytest.approx((0.9, 10.0))  # PIE improvement_frac
    assert rate_from_row({"input": "x"}) is None


def test_malformed_lines_are_reported_with_their_line_number_and_skipped(tmp_path, embedder):
    path = write_pairs(
        tmp_path / "pairs.jsonl",
        sample_pairs()[:3],
        ('{"input": "x = 1"', '{"input": "", "target": "x = 2"}', "[1, 2]"),
    )
    report = build_from_files([path], tmp_path / "kb", OPTIONS, embedder=embedder)
    assert report.count == 3
    assert [problem.line for problem in report.problems] == [4, 5, 6]
    assert "not valid JSON" in report.problems[0].reason
    assert "no slow (input) code" in report.problems[1].reason


def test_on_error_stop_raises_with_the_line_number(tmp_path, embedder):
    path = write_pairs(tmp_path / "pairs.jsonl", sample_pairs()[:2], ("not json",))
    with pytest.raises(MalformedInputError) as raised:
        build_from_files([path], tmp_path / "kb", replace(OPTIONS, on_error="stop"), embedder=embedder)
    assert raised.value.line == 3
    assert "pairs.jsonl:3" in str(raised.value)


def test_entries_carry_diff_summary_tags_rate_and_provenance(tmp_path, embedder):
    path = write_pairs(tmp_path / "pairs.jsonl", sample_pairs())
    build_from_files([path], tmp_path / "kb", OPTIONS, embedder=embedder)
    with KnowledgeBase.open(tmp_path / "kb", embedder=embedder) as kb:
        entries = {entry.problem_id: entry for entry in kb.entries()}
    read = entries["t-read"]
    assert read.id == entry_id_for(read.input, read.target)
    assert read.diff.startswith("--- input.py")
    assert "sys.stdin.buffer.read()" in read.summary and "input-read-all" in read.tags
    assert read.rate == pytest.approx(2 / 3) and read.speedup == pytest.approx(3.0)
    assert read.provenance.source == "pairs.jsonl" and read.provenance.ref == "2"
    assert read.evidence.method == "input:speedup"
    assert "memoization" in entries["t-memo"].tags


def test_builds_are_deterministic(tmp_path, embedder):
    path = write_pairs(tmp_path / "pairs.jsonl", sample_pairs())
    for name in ("a", "b"):
        build_from_files([path], tmp_path / name, OPTIONS, embedder=embedder)
    first, second = read_manifest(tmp_path / "a"), read_manifest(tmp_path / "b")
    assert first.content_hash == second.content_hash
    assert first.index == second.index


def test_an_interrupted_build_resumes_and_ends_identical(tmp_path, embedder):
    rows = sample_pairs()
    path = write_pairs(tmp_path / "pairs.jsonl", rows)
    options = replace(OPTIONS, chunk_size=2)
    build_from_files([path], tmp_path / "whole", options, embedder=embedder)

    def interrupted():
        yield from list(read_pairs(path))[:4]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_kb(
            interrupted(), tmp_path / "resumed", options, sources=[source_label(path)], embedder=embedder
        )
    assert read_manifest(tmp_path / "resumed").state == "building"
    report = build_from_files([path], tmp_path / "resumed", options, embedder=embedder)
    assert report.resumed == 4 and report.added == 2
    assert read_manifest(tmp_path / "resumed").content_hash == read_manifest(tmp_path / "whole").content_hash


def test_rebuilding_over_a_different_knowledge_base_needs_force(tmp_path, embedder):
    first = write_pairs(tmp_path / "one.jsonl", sample_pairs()[:2])
    second = write_pairs(tmp_path / "two.jsonl", sample_pairs()[2:])
    build_from_files([first], tmp_path / "kb", OPTIONS, embedder=embedder)
    with pytest.raises(KBExistsError, match="--force"):
        build_from_files([second], tmp_path / "kb", OPTIONS, embedder=embedder)
    report = build_from_files([second], tmp_path / "kb", replace(OPTIONS, force=True), embedder=embedder)
    assert report.count == 4


def test_duplicate_pairs_are_kept_once(tmp_path, embedder):
    rows = sample_pairs()[:2]
    path = write_pairs(tmp_path / "pairs.jsonl", [*rows, rows[0]])
    report = build_from_files([path], tmp_path / "kb", OPTIONS, embedder=embedder)
    assert (report.count, report.duplicates) == (2, 1)


def test_rates_are_measured_with_the_bench_runner_when_inputs_exist(tmp_path, embedder):
    pytest.importorskip("bench.core.timing")
    rows = [row for row in sample_pairs() if row["problem_id"] in ("t-sum", "t-member")]
    path = write_pairs(tmp_path / "pairs.jsonl", rows)
    options = replace(OPTIONS, rate_from="measure", measure=replace(OPTIONS.measure, num_trials=3))
    report = build_from_files([path], tmp_path / "kb", options, embedder=embedder)
    assert report.measured == 2
    with KnowledgeBase.open(tmp_path / "kb", embedder=embedder) as kb:
        entry = next(e for e in kb.entries() if e.problem_id == "t-sum")
    assert entry.evidence.method == "runner"
    assert entry.speedup > 3  # the closed formula beats a 100000-step loop by far
    assert entry.rate == pytest.approx(1 - entry.evidence.fast_s / entry.evidence.slow_s)


def test_a_pair_whose_fast_program_prints_something_else_is_not_given_a_measured_rate(tmp_path, embedder):
    pytest.importorskip("bench.core.timing")
    row = {
        "problem_id": "wrong",
        "input": "print(int(input()) * 2)\n",
        "target": "print(int(input()) * 3)\n",
        "inputs": ["4\n"],
    }
    path = write_pairs(tmp_path / "pairs.jsonl", [row])
    options = replace(OPTIONS, rate_from="measure", measure=replace(OPTIONS.measure, num_trials=2))
    report = build_from_files([path], tmp_path / "kb", options, embedder=embedder)
    assert report.count == 0 and report.measure_failed == 1
    assert "no measured rate" in report.problems[0].reason


def test_mbpp_solutions_become_fastest_vs_slowest_passing_pairs(tmp_path):
    row = {
        "id": 7,
        "question": 'def f(xs):\r\n    """Sum the list."""',
        "answers": [
            {
                "text": "\r\n    t = 0\r\n    for x in xs:\r\n        t += x\r\n    return t\r\n"
                "\r\nprint(f([1]))",
                "votes": 90.0,
            },
            {"text": "\r\n    return sum(xs)\r\n", "votes": 30.0},
            {"text": "\r\n    return 1 / 0\r\n", "votes": None},
        ],
    }
    path = write_pairs(tmp_path / "mbpp.jsonl", [row])
    (pair,) = list(read_pairs(path))
    assert pair.fast == "def f(xs):\n    return sum(xs)"
    assert pair.slow.startswith("def f(xs):\n    t = 0") and "print" not in pair.slow
    assert pair.speedup == pytest.approx(3.0) and pair.problem_id == "mbpp-7"


def test_input_without_a_usable_pair_builds_nothing_and_says_why(tmp_path, embedder):
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"slow": "x = 1"\nnot json\n')
    with pytest.raises(KBError, match=r"no usable pair in .*pairs\.jsonl: 2 lines skipped \(above\); nothing was"):
        build_from_files([path], tmp_path / "kb", OPTIONS, embedder=embedder)
    assert not (tmp_path / "kb").exists()
