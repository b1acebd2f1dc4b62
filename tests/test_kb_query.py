"""The query API: FasterPy's filter and re-ranking, exclusions, reload stability, embedder checks."""

import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from kb_support import sample_pairs, shared_embedder

from kb.build import BuildOptions, build_from_files
from kb.embed import Embedder, EmbedderOptions
from kb.errors import (
    CorruptIndexError,
    EmbedderDimensionError,
    EmbedderMismatchError,
    EmbedderNotFoundError,
    KBNotFoundError,
)
from kb.index import IndexOptions
from kb.query import Candidate, KnowledgeBase, RetrievalPolicy, SuggestionHit, rerank

SET_QUERY = (
    "names = input().split()\nwanted = input().split()\nk = 0\nfor w in wanted:\n    if w in names:\n"
    "        k += 1\nprint(k)\n"
)


def c(label: int, similarity: float, rate: float) -> Candidate:
    return Candidate(label, similarity, rate)


def test_fasterpy_rerank_keeps_the_nearest_then_the_best_rate_within_the_window():
    hits = [c(0, 0.90, 0.6), c(1, 0.85, 0.7), c(2, 0.75, 0.99), c(3, 0.60, 1.0), c(4, 0.80, 0.9)]
    chosen = rerank(hits, 2, RetrievalPolicy())
    assert [h.label for h in chosen] == [0, 2]  # 3 has the best rate but is 0.3 less similar
    assert [h.label for h in rerank(hits, 3, RetrievalPolicy())] == [0, 2, 4]
    assert [h.label for h in rerank(hits, 2, RetrievalPolicy(rerank="similarity"))] == [0, 1]


def test_rerank_returns_what_there_is_when_few_hits_pass():
    assert [h.label for h in rerank([c(5, 0.3, 0.9)], 2, RetrievalPolicy())] == [5]
    assert rerank([], 2, RetrievalPolicy()) == []
    # Nothing else within the window: the nearest alone, not a far hit (FasterPy's intent).
    assert [
        h.label for h in rerank([c(0, 0.9, 0.6), c(1, 0.5, 0.9), c(2, 0.4, 0.8)], 2, RetrievalPolicy())
    ] == [0]


def test_unknown_rates_rank_last_in_the_window():
    chosen = rerank([c(0, 0.9, 0.6), c(1, 0.85, math.nan), c(2, 0.8, 0.7)], 2, RetrievalPolicy(min_rate=None))
    assert [h.label for h in chosen] == [0, 2]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return shared_embedder()


@pytest.fixture(scope="module")
def small_kb(tmp_path_factory, embedder) -> Path:
    directory = tmp_path_factory.mktemp("query")
    pairs = directory / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps(row) for row in sample_pairs()) + "\n")
    options = BuildOptions(progress=False, rate_from="input", index=IndexOptions(kind="hnsw"))
    build_from_files([pairs], directory / "kb", options, embedder=embedder)
    return directory / "kb"


def test_query_finds_the_matching_suggestion_with_text_rate_and_similarity(small_kb, embedder):
    with KnowledgeBase.open(small_kb, embedder=embedder) as kb:
        hits = kb.query(SET_QUERY, k=2)
    assert hits and isinstance(hits[0], SuggestionHit)
    assert hits[0].problem_id == "t-member"
    assert "set or dict" in hits[0].text
    assert hits[0].rate == pytest.approx(0.8) and hits[0].speedup == pytest.approx(5.0)
    assert 0.1 <= hits[0].similarity <= 1.0
    assert hits[0].slow_example.startswith("a = input().split()")
    assert json.loads(json.dumps(hits[0].to_json()))["entry_id"] == hits[0].entry_id


def test_filters_on_rate_and_similarity(small_kb, embedder):
    with KnowledgeBase.open(small_kb, embedder=embedder) as kb:
        everything = kb.query(SET_QUERY, k=10, policy=RetrievalPolicy(min_rate=None, min_similarity=-1))
        strict = kb.query(SET_QUERY, k=10, policy=RetrievalPolicy(min_rate=0.7, rerank="similarity"))
        none = kb.query(SET_QUERY, k=2, policy=RetrievalPolicy(min_similarity=0.999))
    assert len(everything) == 6
    assert strict and all(hit.rate > 0.7 for hit in strict)
    assert {hit.problem_id for hit in strict} == {"t-sum", "t-member", "t-memo"}
    assert none == []


def test_leave_one_out_by_id_and_by_problem(small_kb, embedder):
    with KnowledgeBase.open(small_kb, embedder=embedder) as kb:
        first = kb.query(SET_QUERY, k=1)[0]
        by_id = kb.query(SET_QUERY, k=5, policy=RetrievalPolicy(exclude_ids={first.entry_id}))
        by_problem = kb.query(SET_QUERY, k=5, policy=RetrievalPolicy(exclude_problem_ids={"t-member"}))
    assert first.entry_id not in {hit.entry_id for hit in by_id}
    assert "t-member" not in {hit.problem_id for hit in by_problem}


def test_same_answers_after_reopening(small_kb, embedder):
    policy = RetrievalPolicy(min_rate=None, rerank="similarity")
    with KnowledgeBase.open(small_kb, embedder=embedder) as kb:
        vector = kb.embed([SET_QUERY])[0]
        before = [(h.entry_id, h.similarity) for h in kb.query_vector(vector, 4, policy)]
    with KnowledgeBase.open(small_kb, embedder=embedder) as kb:
        after = [(h.entry_id, h.similarity) for h in kb.query_vector(vector, 4, policy)]
    assert [e for e, _ in before] == [e for e, _ in after]
    np.testing.assert_allclose([s for _, s in before], [s for _, s in after], atol=1e-6)


def test_query_many_matches_single_queries_and_ignores_blank_code(small_kb, embedder):
    with KnowledgeBase.open(small_kb, embedder=embedder) as kb:
        many = kb.query_many([SET_QUERY, "   "], k=2)
        single = kb.query(SET_QUERY, k=2)
    assert [h.entry_id for h in many[0]] == [h.entry_id for h in single]
    assert many[1] == [] and kb.query("") == []


def test_a_kb_built_with_another_text_mode_is_refused(small_kb):
    with pytest.raises(EmbedderMismatchError, match="rebuild"):
        KnowledgeBase.open(small_kb, embedder=EmbedderOptions(text_mode="code"))


def test_a_model_folder_of_the_wrong_dimension_is_refused(small_kb, embedder, tmp_path):
    folder = tmp_path / "model768"
    shutil.copytree(embedder.model_path, folder, ignore=shutil.ignore_patterns("*.safetensors"))
    pooling = folder / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "word_embedding_dimension": 768}))
    with pytest.raises(EmbedderDimensionError, match="768"):
        KnowledgeBase.open(small_kb, embedder=EmbedderOptions(model_path=folder))


def test_a_missing_model_folder_is_reported(small_kb, tmp_path):
    with pytest.raises(EmbedderNotFoundError, match="no such folder"):
        KnowledgeBase.open(small_kb, embedder=EmbedderOptions(model_path=tmp_path / "nowhere"))
    with pytest.raises(EmbedderNotFoundError, match="not a sentence-transformers model"):
        Embedder(EmbedderOptions(model_path=tmp_path))


def test_damaged_files_are_reported_with_what_to_do(small_kb, tmp_path):
    copy = tmp_path / "kb"
    shutil.copytree(small_kb, copy)
    index = copy / "index.hnsw"
    index.write_bytes(index.read_bytes()[:-100])
    with pytest.raises(CorruptIndexError, match="python -m kb reindex"):
        KnowledgeBase.open(copy)
    entries = copy / "entries.sqlite"
    entries.write_bytes(entries.read_bytes()[:4096])
    with pytest.raises(CorruptIndexError, match="truncated"):
        KnowledgeBase.open(copy)


def test_not_a_knowledge_base(tmp_path):
    with pytest.raises(KBNotFoundError, match="python -m kb build"):
        KnowledgeBase.open(tmp_path)


def test_reindex_repairs_a_damaged_index(small_kb, embedder, tmp_path):
    from kb.build import reindex

    copy = tmp_path / "kb"
    shutil.copytree(small_kb, copy)
    (copy / "index.hnsw").write_bytes(b"junk")
    reindex(copy, IndexOptions(kind="hnsw"))
    with KnowledgeBase.open(copy, embedder=embedder) as kb:
        assert kb.query(SET_QUERY, k=1)[0].problem_id == "t-member"


def test_policy_ef_is_used_for_one_query_only(small_kb, embedder):
    with KnowledgeBase.open(small_kb, embedder=embedder, ef=32) as kb:
        kb.query(SET_QUERY, policy=replace(RetrievalPolicy(), ef=200))
        assert kb.index.ef == 32
