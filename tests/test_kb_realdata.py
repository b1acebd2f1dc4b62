"""The knowledge base on real data (../shared/data, or $PYPERF_DATA); skipped when the data is absent."""

import pytest
from kb_support import data_dir, shared_embedder

from kb.build import BuildOptions, build_from_files, read_pairs
from kb.evaluate import evaluate, read_eval_rows, summarise_results
from kb.query import KnowledgeBase, RetrievalPolicy

DATA = data_dir()
PAIRS = DATA / "pairs" / "pie_nontest_pairs.jsonl"
DEV = DATA / "pie" / "dev.jsonl"
pytestmark = pytest.mark.skipif(
    not PAIRS.is_file() or not DEV.is_file(), reason=f"shared data not found under {DATA} (set PYPERF_DATA)"
)


@pytest.fixture(scope="module")
def pie_kb(tmp_path_factory):
    out = tmp_path_factory.mktemp("real") / "kb"
    mbpp = sorted((DATA / "mbpp").glob("solutions_*.jsonl"))[:1]
    report = build_from_files(
        [PAIRS, *mbpp], out, BuildOptions(progress=False, rate_from="input"), embedder=shared_embedder()
    )
    assert report.problems == []
    with KnowledgeBase.open(out, embedder=shared_embedder()) as kb:
        yield kb


def test_pie_pairs_are_read_with_their_measured_runtimes():
    pairs = list(read_pairs(PAIRS))
    assert len(pairs) == 141
    assert all(pair.rate_method == "input:measured_runtime" and pair.speedup > 0 for pair in pairs)


def test_mbpp_solution_files_give_pairs():
    for path in sorted((DATA / "mbpp").glob("solutions_*.jsonl")):
        pairs = list(read_pairs(path))
        assert len(pairs) >= 30, path.name
        assert all(pair.speedup >= 1.05 and pair.slow != pair.fast for pair in pairs)


def test_dev_programs_get_suggestions_and_leave_one_out_holds(pie_kb):
    rows = read_eval_rows(DEV)[:40]
    results = evaluate(pie_kb, rows, k=2, policy=RetrievalPolicy())
    summary = summarise_results(results)
    assert summary["rows_with_hits"] >= 35
    assert summary["auto_matched"] >= 5
    problem = pie_kb.get(next(iter(pie_kb.entries())).id).problem_id
    hits = pie_kb.query(
        rows[0]["slow_code_col"], k=5, policy=RetrievalPolicy(min_rate=None, exclude_problem_ids={problem})
    )
    assert problem not in {hit.problem_id for hit in hits}
