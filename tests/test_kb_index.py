"""The HNSW index: recall against exact search, persistence, and damaged files."""

import numpy as np
import pytest

from kb.errors import CorruptIndexError
from kb.index import HNSW_FILE, IndexOptions, VectorIndex, exact_search


def low_rank_vectors(n: int, dim: int = 64, rank: int = 12, seed: int = 0) -> np.ndarray:
    """Clustered, low-rank unit vectors: closer to real embeddings than uniform noise."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(rank, dim))
    centres = rng.normal(size=(40, rank))
    points = centres[rng.integers(0, 40, n)] + 0.35 * rng.normal(size=(n, rank))
    vectors = points @ basis + 0.05 * rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return low_rank_vectors(5000)


@pytest.fixture(scope="module")
def hnsw(vectors) -> VectorIndex:
    return VectorIndex.build(vectors, IndexOptions(kind="hnsw"))


def test_auto_kind_is_exact_for_tiny_sets_and_hnsw_above(vectors):
    assert VectorIndex.build(vectors[:50]).kind == "exact"
    assert VectorIndex.build(vectors[:50], IndexOptions(exact_below=10)).kind == "hnsw"


def test_hnsw_recall_at_5_against_exact_search(vectors, hnsw):
    queries = low_rank_vectors(200, seed=1)
    found = 0
    for query in queries:
        labels, sims = hnsw.search(query, 5)
        exact, _ = exact_search(vectors, query, 5)
        found += len(set(labels.tolist()) & set(exact.tolist()))
        assert np.all(np.diff(sims) <= 1e-6), "hits come nearest first"
    assert found / (5 * len(queries)) >= 0.95


def test_similarities_are_cosines(vectors, hnsw):
    labels, sims = hnsw.search(vectors[7], 3)
    assert labels[0] == 7
    assert sims[0] == pytest.approx(1.0, abs=1e-5)
    assert sims[1] == pytest.approx(float(vectors[labels[1]] @ vectors[7]), abs=1e-5)


def test_same_answers_after_save_and_load(tmp_path, vectors, hnsw):
    recorded = hnsw.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, recorded, ef=64)
    for query in low_rank_vectors(20, seed=2):
        before, after = hnsw.search(query, 5), loaded.search(query, 5)
        assert before[0].tolist() == after[0].tolist()
        np.testing.assert_allclose(before[1], after[1], atol=1e-6)


def test_builds_are_byte_identical(tmp_path, vectors):
    digests = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        digests.append(
            VectorIndex.build(vectors[:2000], IndexOptions(kind="hnsw")).save(tmp_path / name).sha256
        )
    assert digests[0] == digests[1]


@pytest.mark.parametrize("damage", ["truncate", "flip", "missing", "garbage-same-size"])
def test_damaged_index_is_detected_not_crashed_on(tmp_path, hnsw, damage):
    recorded = hnsw.save(tmp_path)
    path = tmp_path / HNSW_FILE
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        path.write_bytes(data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:])
    elif damage == "missing":
        path.unlink()
    else:
        path.write_bytes(b"\0" * len(data))
    with pytest.raises(CorruptIndexError, match="reindex"):
        VectorIndex.load(tmp_path, recorded)


def test_exact_index_needs_matching_vectors(tmp_path, vectors):
    index = VectorIndex.build(vectors[:10])
    recorded = index.save(tmp_path)
    assert VectorIndex.load(tmp_path, recorded, vectors=vectors[:10]).search(vectors[3], 1)[0][0] == 3
    with pytest.raises(CorruptIndexError):
        VectorIndex.load(tmp_path, recorded, vectors=vectors[:9])


def test_k_larger_than_the_index_returns_everything(vectors):
    index = VectorIndex.build(vectors[:4], IndexOptions(kind="hnsw"))
    labels, _ = index.search(vectors[0], 10)
    assert sorted(labels.tolist()) == [0, 1, 2, 3]
