"""Retrieval that fits the code: the judged set, the hybrid re-ranking, the relevance threshold (issue 14)."""

import json

import pytest
from kb_support import shared_embedder

from kb.catalogue import default_kb_path, load_catalogue
from kb.evaluate import COMPARED_POLICIES, JUDGED_DIR, judged_precision, load_judged, read_eval_rows
from kb.query import SUGGESTION_POLICY, Candidate, KnowledgeBase, RetrievalPolicy, rerank, tag_score
from optimizer.retrieve import rule_tags


def test_the_judged_set_is_large_enough_and_names_only_catalogue_entries():
    ids = {entry.id for entry in load_catalogue()}
    library = read_eval_rows(JUDGED_DIR / "library.jsonl")
    pie = read_eval_rows(JUDGED_DIR / "pie_tuning.jsonl")
    assert len(library) + len(pie) >= 60
    for row in [*library, *pie]:
        assert set(row["relevant"]) <= ids, row
    assert all(set(row) == {"problem_id", "row", "relevant", "detected_tags"} for row in pie), "no PIE code stored"


def test_judged_pie_rows_come_from_the_tuning_half_only():
    split = json.loads((JUDGED_DIR.parent.parent / "bench" / "harness" / "pie_dev_split.json").read_text())
    assert {row["problem_id"] for row in read_eval_rows(JUDGED_DIR / "pie_tuning.jsonl")} <= set(split["tuning"])


def test_stored_detected_tags_are_what_the_rules_find_now(shared_data):
    for program in load_judged(JUDGED_DIR, shared_data / "pie" / "dev.jsonl"):
        assert list(program.detected_tags) == rule_tags(program.code), program.label


def test_only_change_tags_boost_an_entry():
    boost = frozenset({"loops", "set-membership"})
    assert tag_score(0.7, ("set-membership", "data-structures"), boost, 0.5) == pytest.approx(1.2)
    assert tag_score(0.7, ("comprehension", "loops"), boost, 0.5) == pytest.approx(0.7)
    assert tag_score(0.7, ("algorithmic",), frozenset({"algorithmic"}), 0.5) == pytest.approx(0.7)


def test_hybrid_ranks_by_score_and_the_threshold_drops_the_rest():
    hits = [Candidate(0, 0.8, 0.9, 0.8), Candidate(1, 0.6, 0.9, 1.1), Candidate(2, 0.7, 0.9, 0.7)]
    policy = RetrievalPolicy(rerank="hybrid", tag_boost=0.5)
    assert [c.label for c in rerank(hits, 2, policy)] == [1, 0]
    assert [c.label for c in rerank(hits, 2, RetrievalPolicy(rerank="hybrid", min_score=1.0))] == [1]


@pytest.fixture(scope="module")
def default_kb(tmp_path_factory):
    embedder = shared_embedder()
    path = default_kb_path(embedder, directory=tmp_path_factory.mktemp("cache"))
    with KnowledgeBase.open(path, embedder=embedder) as kb:
        yield kb


SET_IN_A_METHOD = '''
class Registry:
    def __init__(self, names):
        self.names = list(names)

    def known(self, name):
        return name in self.names
'''


def test_a_rules_tag_brings_its_entry_and_nothing_unbacked_passes_the_threshold(default_kb):
    hits = default_kb.query(
        SET_IN_A_METHOD, k=2, policy=SUGGESTION_POLICY, boost_tags=["set-membership", "data-structures"]
    )
    assert hits and all("set-membership" in hit.tags for hit in hits), [hit.entry_id for hit in hits]
    assert default_kb.query("x = 1\n", k=2, policy=SUGGESTION_POLICY) == []


def test_the_suggestion_policy_beats_the_fasterpy_policy_on_the_judged_set(default_kb, shared_data):
    programs = load_judged(JUDGED_DIR, shared_data / "pie" / "dev.jsonl")
    vectors = default_kb.embed([program.code for program in programs])
    current = judged_precision(default_kb, programs, vectors, COMPARED_POLICIES["current (FasterPy re-ranking)"], "")
    chosen = judged_precision(default_kb, programs, vectors, SUGGESTION_POLICY, "")
    assert chosen.precision_of_shown > current.precision_of_shown
    assert chosen.shown_relevant * 2 > chosen.shown  # more right than wrong among what a hover shows
