"""Nearest-neighbour search over unit vectors: an hnswlib HNSW index (cosine), or exact numpy search.

``VectorIndex`` is the only place that touches hnswlib. Files are checked against the size and
SHA-256 recorded when they were written before hnswlib reads them, so a truncated or damaged index
is reported as ``CorruptIndexError`` (never handed to the C++ loader, which may crash on it).
Labels are the row numbers ``0..n-1`` of the vectors given to ``build``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from kb.errors import CorruptIndexError

IndexKind = Literal["auto", "hnsw", "exact"]
HNSW_FILE = "index.hnsw"


@dataclass(frozen=True)
class IndexOptions:
    """How the index is built and searched.

    ``kind`` "auto" uses exact search below ``exact_below`` entries (it is exact and fast there) and
    HNSW above. ``ef`` is the HNSW search breadth (higher: better recall, slower). ``threads`` > 1
    builds faster but inserts in a varying order, so only ``threads=1`` gives byte-identical files.
    """

    kind: IndexKind = "auto"
    exact_below: int = 1000
    m: int = 16
    ef_construction: int = 200
    ef: int = 64
    threads: int = 1
    seed: int = 100

    def __post_init__(self) -> None:
        if self.kind not in ("auto", "hnsw", "exact"):
            raise ValueError(f"index kind must be auto, hnsw or exact, got {self.kind!r}")
        if self.ef < 1 or self.m < 2 or self.ef_construction < 1 or self.threads < 1:
            raise ValueError("ef, ef_construction and threads must be >= 1 and m >= 2")

    def resolved_kind(self, count: int) -> Literal["hnsw", "exact"]:
        if self.kind != "auto":
            return self.kind
        return "exact" if count < self.exact_below else "hnsw"


@dataclass(frozen=True)
class IndexFile:
    """What the manifest records about a saved index, to check it on load."""

    kind: str
    count: int
    dim: int
    file: str | None = None
    size: int | None = None
    sha256: str | None = None
    m: int | None = None
    ef_construction: int | None = None

    def to_json(self) -> dict:
        return asdict(self)


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class VectorIndex:
    """k-nearest-neighbour search by cosine similarity over a fixed set of unit vectors."""

    def __init__(
        self,
        kind: Literal["hnsw", "exact"],
        dim: int,
        count: int,
        *,
        hnsw=None,
        vectors: np.ndarray | None = None,
        ef: int = 64,
        options: IndexOptions | None = None,
    ) -> None:
        self.kind = kind
        self.dim = dim
        self.count = count
        self._hnsw = hnsw
        self._vectors = vectors
        self._options = options or IndexOptions()
        self.ef = ef

    # --- building ---------------------------------------------------------------------------------
    @classmethod
    def build(cls, vectors: np.ndarray, options: IndexOptions | None = None) -> VectorIndex:
        options = options or IndexOptions()
        vectors = _as_matrix(vectors)
        count, dim = vectors.shape
        kind = options.resolved_kind(count)
        if kind == "exact":
            return cls("exact", dim, count, vectors=vectors, ef=options.ef, options=options)
        import hnswlib

        index = hnswlib.Index(space="cosine", dim=dim)
        index.init_index(
            max_elements=max(count, 1),
            ef_construction=options.ef_construction,
            M=options.m,
            random_seed=options.seed,
        )
        if count:
            index.add_items(vectors, np.arange(count), num_threads=options.threads)
        index.set_ef(options.ef)
        index.set_num_threads(1)
        return cls("hnsw", dim, count, hnsw=index, ef=options.ef, options=options)

    # --- persistence --------------------------------------------------------------------------------
    def save(self, directory: Path) -> IndexFile:
        """Write the HNSW graph (exact indexes need no file: their vectors live with the entries)."""
        if self.kind == "exact":
            return IndexFile("exact", self.count, self.dim)
        path = directory / HNSW_FILE
        tmp = path.with_suffix(".tmp")
        self._hnsw.save_index(str(tmp))
        tmp.replace(path)
        return IndexFile(
            "hnsw",
            self.count,
            self.dim,
            HNSW_FILE,
            path.stat().st_size,
            file_sha256(path),
            self._options.m,
            self._options.ef_construction,
        )

    @classmethod
    def load(
        cls,
        directory: Path,
        recorded: IndexFile,
        *,
        ef: int = 64,
        vectors: np.ndarray | None = None,
        verify: bool = True,
    ) -> VectorIndex:
        """Load what ``save`` wrote, after checking it is the file the manifest describes.

        ``vectors`` are needed for an exact index (they are stored with the entries).
        """
        if recorded.kind == "exact":
            if vectors is None:
                raise CorruptIndexError(str(directory), "the exact index has no vectors")
            vectors = _as_matrix(vectors)
            if vectors.shape != (recorded.count, recorded.dim):
                raise CorruptIndexError(
                    str(directory),
                    f"expected {recorded.count} vectors of dimension "
                    f"{recorded.dim}, found {vectors.shape[0]} of {vectors.shape[1]}",
                )
            return cls("exact", recorded.dim, recorded.count, vectors=vectors, ef=ef)
        if recorded.kind != "hnsw" or not recorded.file:
            raise CorruptIndexError(str(directory), f"unknown index kind {recorded.kind!r}")
        path = directory / recorded.file
        if not path.is_file():
            raise CorruptIndexError(str(directory), f"{recorded.file} is missing")
        size = path.stat().st_size
        if size != recorded.size:
            raise CorruptIndexError(
                str(directory),
                f"{recorded.file} has {size} bytes, {recorded.size} were written (truncated or replaced)",
            )
        if verify and file_sha256(path) != recorded.sha256:
            raise CorruptIndexError(str(directory), f"{recorded.file} does not match its recorded checksum")
        import hnswlib

        index = hnswlib.Index(space="cosine", dim=recorded.dim)
        try:
            index.load_index(str(path), max_elements=max(recorded.count, 1))
        except RuntimeError as exc:
            raise CorruptIndexError(str(directory), f"hnswlib cannot read {recorded.file}: {exc}") from exc
        if index.get_current_count() != recorded.count:
            raise CorruptIndexError(
                str(directory),
                f"{recorded.file} holds {index.get_current_count()} vectors, {recorded.count} were written",
            )
        index.set_ef(ef)
        index.set_num_threads(1)
        return cls("hnsw", recorded.dim, recorded.count, hnsw=index, ef=ef)

    # --- search -------------------------------------------------------------------------------------
    def set_ef(self, ef: int) -> None:
        self.ef = ef
        if self._hnsw is not None:
            self._hnsw.set_ef(ef)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Labels and cosine similarities of the ``k`` nearest vectors, nearest first (1-D arrays)."""
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.dim:
            raise ValueError(f"query has dimension {query.shape[0]}, the index {self.dim}")
        k = min(k, self.count)
        if k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        if self.kind == "exact":
            return _exact_search(self._vectors, query, k)
        if self.ef < k:
            self._hnsw.set_ef(k)
        labels, distances = self._hnsw.knn_query(query, k=k)
        if self.ef < k:
            self._hnsw.set_ef(self.ef)
        return labels[0].astype(np.int64), (1.0 - distances[0]).astype(np.float32)

    def vectors(self) -> np.ndarray:
        """All vectors in label order (for exports and exact-search comparisons)."""
        if self.kind == "exact":
            return self._vectors
        # In slices: hnswlib builds its answer through temporary copies (GBs for 60k vectors at once).
        out = np.empty((self.count, self.dim), dtype=np.float32)
        for start in range(0, self.count, 4096):
            labels = np.arange(start, min(start + 4096, self.count))
            out[start : start + len(labels)] = np.asarray(self._hnsw.get_items(labels), dtype=np.float32)
        return out


def exact_search(vectors: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force cosine search over unit vectors: the reference that HNSW recall is measured against."""
    return _exact_search(_as_matrix(vectors), np.asarray(query, dtype=np.float32).reshape(-1), k)


def _exact_search(vectors: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    similarities = vectors @ query
    k = min(k, similarities.shape[0])
    top = np.argpartition(-similarities, k - 1)[:k] if k < similarities.shape[0] else np.arange(k)
    # Ties broken by label so that the answer does not depend on argpartition's internals.
    order = np.lexsort((top, -similarities[top]))
    top = top[order]
    return top.astype(np.int64), similarities[top].astype(np.float32)


def _as_matrix(vectors: np.ndarray) -> np.ndarray:
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    if matrix.ndim != 2:
        raise ValueError(f"expected a 2-D array of vectors, got shape {matrix.shape}")
    return matrix
