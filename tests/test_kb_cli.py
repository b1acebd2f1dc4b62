"""``python -m kb``: the commands, their JSON output, their errors; and a cheap ``import kb``."""

import json
import os
import re
import subprocess
import sys
import time

import pytest
from kb_support import REPO_ROOT, sample_pairs

from kb.cli import main

SNIPPET = "n = int(input())\nfor i in range(n):\n    a, b = map(int, input().split())\n    print(a + b)\n"


@pytest.fixture(scope="module")
def pairs_kb(tmp_path_factory):
    directory = tmp_path_factory.mktemp("cli")
    pairs = directory / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps(row) for row in sample_pairs()) + "\n{broken\n")
    assert (
        main(["build", str(pairs), "-o", str(directory / "kb"), "--rate-from", "input", "--no-progress"]) == 0
    )
    return directory / "kb"


def test_build_reports_skipped_lines(tmp_path, capsys):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps(sample_pairs()[0]) + "\nnot json\n")
    assert (
        main(
            [
                "build",
                str(pairs),
                "-o",
                str(tmp_path / "kb"),
                "--rate-from",
                "input",
                "--no-progress",
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["count"] == 1
    assert report["problems"][0].startswith("pairs.jsonl:2:")


def test_build_with_on_error_stop_fails_with_the_line(tmp_path, capsys):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps(sample_pairs()[0]) + "\nnot json\n")
    assert main(["build", str(pairs), "-o", str(tmp_path / "kb"), "--on-error", "stop", "--no-progress"]) == 1
    assert "pairs.jsonl:2" in capsys.readouterr().err


def test_query_from_a_file_as_json(pairs_kb, tmp_path, capsys):
    program = tmp_path / "slow.py"
    program.write_text(SNIPPET)
    assert main(["query", str(program), "--kb", str(pairs_kb), "--json", "-k", "2", "--min-rate", "-1"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["policy"]["min_rate"] is None
    assert 1 <= len(answer["hits"]) <= 2
    assert {"entry_id", "text", "rate", "speedup", "similarity", "tags"} <= set(answer["hits"][0])


def test_query_reads_stdin_and_prints_plain_text(pairs_kb, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(SNIPPET))
    assert main(["query", "--kb", str(pairs_kb), "--rerank", "similarity", "--min-rate", "-1"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("1. [") and "similarity" in out


FASTERPY_ORDER = "ordered as FasterPy retrieves: the nearest first, then by rate among hits"
FEW_HITS_ORDER = "(nearest first when no more than -k pass the filters)"


@pytest.mark.parametrize(
    ("flags", "order"),
    [
        ([], f"{FASTERPY_ORDER} within 0.20 similarity of it {FEW_HITS_ORDER}"),
        (["--rate-window", "0.35"], f"{FASTERPY_ORDER} within 0.35 similarity of it {FEW_HITS_ORDER}"),
        (["--rerank", "similarity"], "ordered nearest first"),
    ],
    ids=["fasterpy", "fasterpy-window", "similarity"],
)
def test_query_says_how_its_hits_are_ordered(pairs_kb, tmp_path, capsys, flags, order):
    program = tmp_path / "slow.py"
    program.write_text(SNIPPET)
    query = ["query", str(program), "--kb", str(pairs_kb), "-k", "5", "--min-rate", "-1", *flags]
    assert main(query) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{order}:" and lines[1].startswith("1. [")
    similarities = [float(s) for s in re.findall(r"^\d+\. \[.*\]  similarity ([0-9.]+)", "\n".join(lines), re.M)]
    assert len(similarities) == 5
    if "similarity" in flags:
        assert similarities == sorted(similarities, reverse=True)
    assert main([*query, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["order"] == order


def test_the_order_of_the_hybrid_policy_names_its_boost():
    from dataclasses import replace

    from kb.query import SUGGESTION_POLICY

    assert SUGGESTION_POLICY.order_in_words() == "ordered by similarity (+0.5 for a shared rule tag)"
    quarter = replace(SUGGESTION_POLICY, tag_boost=0.25)
    assert quarter.order_in_words() == "ordered by similarity (+0.25 for a shared rule tag)"


def test_stats(pairs_kb, capsys):
    assert main(["stats", str(pairs_kb), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["entries"] == 6
    assert stats["embedder"]["dim"] == 384 and stats["embedder"]["text_mode"] == "fused:0.75"
    assert stats["rates"]["known"] == 6


def test_errors_are_one_message_and_status_1(tmp_path, capsys):
    assert main(["stats", str(tmp_path / "missing")]) == 1
    assert "python -m kb build" in capsys.readouterr().err
    program = tmp_path / "slow.py"
    program.write_text(SNIPPET)
    assert main(["query", str(program), "--kb", str(tmp_path)]) == 1
    assert "not a knowledge base" in capsys.readouterr().err


def test_python_dash_m_kb_query_on_the_default_kb(tmp_path):
    env = {**os.environ, "PYPERF_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "kb", "query", "--json"],
        input=SNIPPET,
        text=True,
        capture_output=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)["hits"]
    assert hits[0]["entry_id"].startswith("cat-")
    assert all(hit["rate"] > 0.5 for hit in hits)


def test_import_kb_is_cheap_and_does_not_load_torch():
    code = (
        "import sys, time; t = time.perf_counter(); import kb; from kb import KnowledgeBase; "
        "print(time.perf_counter() - t, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )
    seconds, torch_loaded, st_loaded = done.stdout.split()
    assert torch_loaded == "False" and st_loaded == "False"
    assert float(seconds) < 0.5  # ~0.2 s measured on 2 cores; a loose bound for busy machines


def test_query_on_a_non_utf8_file_is_one_line_and_status_2(tmp_path, capsys):
    program = tmp_path / "latin1.py"
    program.write_bytes("print('café')\n".encode("latin-1"))
    assert main(["query", str(program), "--kb", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "latin1.py: not UTF-8 text (byte 0xe9 at offset 10)" in err


def test_query_on_a_missing_file_is_one_line_and_status_2(tmp_path, capsys):
    assert main(["query", str(tmp_path / "absent.py"), "--kb", str(tmp_path / "none")]) == 2
    assert "absent.py: cannot read it" in capsys.readouterr().err


@pytest.mark.parametrize("data", [b"print('\xff')\n", b"#" * (50 * 1024 * 1024)], ids=["non-utf8", "50MB"])
def test_query_on_bad_stdin_is_refused_quickly_with_one_line(tmp_path, data):
    from kb.cli import MAX_QUERY_BYTES

    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kb", "query", "--kb", str(tmp_path / "none")], input=data,
                          capture_output=True, cwd=REPO_ROOT, timeout=60)
    assert done.returncode == 2 and done.stderr.count(b"\n") == 1, done.stderr[-2000:]
    expected = b"not UTF-8 text" if len(data) < MAX_QUERY_BYTES else b"larger than 1,000,000 bytes (MAX_QUERY_BYTES)"
    assert b"error: stdin: " in done.stderr and expected in done.stderr
    assert time.perf_counter() - started < 20


@pytest.mark.parametrize(("flags", "message"), [
    (["-k", "0"], "argument -k: must be at least 1, got 0"),
    (["--candidates", "-3"], "argument --candidates: must be at least 1, got -3"),
    (["--rate-window", "-1"], "argument --rate-window: must be between 0 and 2, got -1"),
    (["--min-similarity", "5"], "argument --min-similarity: must be between -1 and 1, got 5"),
    (["-k", "x"], "argument -k: expected a whole number, got 'x'"),
])
def test_out_of_range_query_options_are_usage_errors(tmp_path, capsys, flags, message):
    program = tmp_path / "slow.py"
    program.write_text(SNIPPET)
    with pytest.raises(SystemExit) as exit:
        main(["query", str(program), *flags])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
