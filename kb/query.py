"""The one query API of the knowledge base: ``KnowledgeBase.open(...).query(code)``.

Retrieval follows FasterPy by default: take the ``candidates`` (10) nearest entries whose rate is
above ``min_rate`` (0.5, i.e. at least twice as fast) and whose cosine similarity is at least
``min_similarity`` (0.1); keep the nearest one, then fill up to ``k`` (2) with the highest-rate hits
whose similarity is within ``rate_window`` (0.2) of the nearest. FasterPy's own code
(``knowledge_base.py::_filter``) anchors that window at the second-nearest hit, ranks all hits by
rate (so the nearest one may come back twice) and drops the result when the window holds fewer than
``k - 1`` hits; this follows its paper's description instead. ``rerank="similarity"`` is plain
nearest-first. ``rerank="hybrid"`` ranks by similarity plus ``tag_boost`` for entries that share a change tag
with the ``boost_tags`` a caller passes (the tags of the rules that fired on the code: kb does not run the
rules itself); ``min_score`` drops hits whose score is below it.

``SUGGESTION_POLICY`` is what hovers and prompts use (callers pass it): the best policy of the judged set
(``python -m kb evaluate-retrieval``, kb/judged/), with ``RELEVANCE_THRESHOLD``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np

from kb.embed import Embedder, EmbedderOptions, default_model_path, model_fingerprint
from kb.errors import (
    CorruptIndexError,
    EmbedderDimensionError,
    EmbedderMismatchError,
    EmbedderNotFoundError,
    KBNotFoundError,
)
from kb.index import VectorIndex
from kb.schema import EmbedderInfo, KBEntry
from kb.store import EntryStore, Manifest, entries_path, read_manifest
from kb.tags import CATEGORIES, GENERIC_TAGS

Rerank = Literal["fasterpy", "similarity", "hybrid"]


@dataclass(frozen=True)
class RetrievalPolicy:
    """Which entries may be suggested and in what order (FasterPy's policy by default).

    ``min_rate`` None keeps entries of any (or unknown) rate. ``exclude_ids`` and
    ``exclude_problem_ids`` leave entries out, e.g. the problem being trained on (leave-one-out).
    ``ef`` overrides the index's search breadth for this query.
    """

    min_rate: float | None = 0.5
    min_similarity: float = 0.1
    candidates: int = 10
    rerank: Rerank = "fasterpy"
    rate_window: float = 0.2
    exclude_ids: frozenset[str] = field(default_factory=frozenset)
    exclude_problem_ids: frozenset[str] = field(default_factory=frozenset)
    ef: int | None = None
    tag_boost: float = 0.0
    min_score: float | None = None

    def __post_init__(self) -> None:
        if self.rerank not in ("fasterpy", "similarity", "hybrid"):
            raise ValueError(f"rerank must be fasterpy, similarity or hybrid, got {self.rerank!r}")
        if self.candidates < 1:
            raise ValueError("candidates must be >= 1")
        # Accept any iterable of ids from callers; store frozensets so the policy stays hashable.
        object.__setattr__(self, "exclude_ids", frozenset(self.exclude_ids))
        object.__setattr__(self, "exclude_problem_ids", frozenset(self.exclude_problem_ids))

    def order_in_words(self) -> str:
        """How ``rerank`` (below) orders the hits, in the words ``kb query`` prints before them: FasterPy's order,
        the default, is not by similarity alone."""
        if self.rerank == "fasterpy":
            return (f"ordered as FasterPy retrieves: the nearest first, then by rate among hits within "
                    f"{self.rate_window:.2f} similarity of it (nearest first when no more than -k pass the filters)")
        if self.rerank == "hybrid":
            return f"ordered by similarity (+{self.tag_boost:g} for a shared rule tag)"
        return "ordered nearest first"


# Category and generic tags say where a change is, not which: a match on them would boost most entries.
_UNSPECIFIC_TAGS = frozenset(CATEGORIES) | GENERIC_TAGS
# The least hybrid score a suggestion needs to be shown: the lowest with the most relevant minus wrong hits on the
# judged set (kb/judged/README.md); with tag_boost 0.5 it shows only entries a rule that fired backs up.
RELEVANCE_THRESHOLD = 0.98
SUGGESTION_POLICY = RetrievalPolicy(
    min_rate=0.2, candidates=40, rerank="hybrid", tag_boost=0.5, min_score=RELEVANCE_THRESHOLD
)


@dataclass(frozen=True)
class SuggestionHit:
    """One retrieved suggestion: what to do (``text``), how much it gained, how close it is."""

    entry_id: str
    text: str
    rate: float | None
    speedup: float | None
    similarity: float
    slow_example: str
    fast_example: str
    tags: tuple[str, ...]
    title: str = ""
    category: str = "general"
    problem_id: str | None = None
    source: str = ""

    def to_json(self) -> dict:
        return {
            "entry_id": self.entry_id,
            "text": self.text,
            "rate": _finite(self.rate),
            "speedup": _finite(self.speedup),
            "similarity": round(float(self.similarity), 6),
            "title": self.title,
            "category": self.category,
            "tags": list(self.tags),
            "problem_id": self.problem_id,
            "source": self.source,
            "slow_example": self.slow_example,
            "fast_example": self.fast_example,
        }


@dataclass(frozen=True)
class Candidate:
    """A hit before re-ranking: its label, similarity and rate (and ``score``, what the hybrid ranks by)."""

    label: int
    similarity: float
    rate: float
    score: float | None = None

    @property
    def relevance(self) -> float:
        return self.similarity if self.score is None else self.score


def tag_score(similarity: float, entry_tags: Sequence[str], boost_tags: frozenset[str], boost: float) -> float:
    """Similarity plus ``boost`` when the entry names a change (not a category or a generic tag) in ``boost_tags``."""
    return similarity + (boost if boost_tags.intersection(entry_tags) - _UNSPECIFIC_TAGS else 0.0)


def rerank(candidates: Sequence[Candidate], k: int, policy: RetrievalPolicy) -> list[Candidate]:
    """Order filtered candidates and keep ``k`` of them, per ``policy.rerank``; none below ``min_score``."""
    ordered = sorted(candidates, key=lambda c: (-c.relevance, c.label))
    if policy.rerank != "fasterpy" or len(ordered) <= k:
        chosen = ordered[:k]
    else:
        nearest, rest = ordered[0], ordered[1:]
        window = [c for c in rest if c.similarity >= nearest.similarity - policy.rate_window]
        rate = lambda c: c.rate if not math.isnan(c.rate) else -math.inf  # noqa: E731
        window.sort(key=lambda c: (-rate(c), -c.similarity, c.label))
        chosen = [nearest, *window[: k - 1]]
    if policy.min_score is None:
        return chosen
    return [c for c in chosen if c.relevance >= policy.min_score]


class KnowledgeBase:
    """An opened knowledge base: entries, index and (loaded on first use) the embedder."""

    def __init__(
        self,
        path: Path,
        manifest: Manifest,
        store: EntryStore,
        index: VectorIndex,
        embedder: EmbedderOptions | Embedder | None,
    ) -> None:
        self.path = path
        self.manifest = manifest
        self.store = store
        self.index = index
        self._embedder_options = embedder if isinstance(embedder, EmbedderOptions) else None
        self._embedder: Embedder | None = embedder if isinstance(embedder, Embedder) else None
        self._columns: tuple[list[str], list[str | None], np.ndarray] | None = None
        self._lock = threading.Lock()

    # --- opening ------------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        embedder: EmbedderOptions | Embedder | None = None,
        ef: int | None = None,
        verify: bool = True,
    ) -> KnowledgeBase:
        """Open a knowledge-base folder; None opens the project's default catalogue KB (built on first use).

        ``embedder`` None uses the embedder the knowledge base was built with; given options, or an
        ``Embedder`` to share one loaded model between knowledge bases, must match it
        (EmbedderMismatchError / EmbedderDimensionError otherwise). ``verify`` checks the index
        file's SHA-256 (about 0.06 s per 100 MB).
        """
        if path is None:
            from kb.catalogue import default_kb_path

            path = default_kb_path(embedder)
        path = Path(path)
        manifest = read_manifest(path)
        if manifest.state != "complete":
            raise KBNotFoundError(str(path), "its build has not finished")
        if embedder is not None:
            _check_embedder(path, manifest.embedder, embedder)
        database = entries_path(path)
        if (
            database.is_file()
            and manifest.entries_size is not None
            and database.stat().st_size != manifest.entries_size
        ):
            raise CorruptIndexError(
                str(path),
                f"{database.name} has {database.stat().st_size} bytes, "
                f"{manifest.entries_size} were written (truncated or replaced)",
            )
        store = EntryStore(database)
        if manifest.index is None:
            raise KBNotFoundError(str(path), "the manifest records no index")
        vectors = store.vectors(manifest.embedder.dim) if manifest.index.kind == "exact" else None
        index = VectorIndex.load(path, manifest.index, ef=ef or 64, vectors=vectors, verify=verify)
        return cls(path, manifest, store, index, embedder)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return self.manifest.count

    # --- the embedder -------------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        """The embedder that matches this knowledge base (its model loads on the first embedding)."""
        with self._lock:
            if self._embedder is None:
                options = self._embedder_options or _options_for(self.path, self.manifest.embedder)
                self._embedder = Embedder(options)
            return self._embedder

    def embed(self, codes: Sequence[str]) -> np.ndarray:
        return self.embedder.embed_code(codes)

    # --- querying -----------------------------------------------------------------------------------
    def query(
        self, code: str, k: int = 2, policy: RetrievalPolicy | None = None, boost_tags: Sequence[str] = ()
    ) -> list[SuggestionHit]:
        """The top-``k`` suggestions for a program or snippet (empty code: no suggestions).

        ``policy`` None is FasterPy's (``RetrievalPolicy()``); ``boost_tags`` are the tags of the rules that fired
        on ``code`` (``optimizer.rules`` findings' rules' ``tags``), used by the hybrid re-ranking.
        """
        if not code.strip():
            return []
        return self.query_vector(self.embed([code])[0], k, policy, boost_tags)

    def query_many(
        self, codes: Sequence[str], k: int = 2, policy: RetrievalPolicy | None = None
    ) -> list[list[SuggestionHit]]:
        """``query`` for many programs, embedded in batches."""
        vectors = self.embed([code if code.strip() else " " for code in codes])
        return [
            self.query_vector(vector, k, policy) if code.strip() else []
            for code, vector in zip(codes, vectors, strict=True)
        ]

    def query_vector(
        self,
        vector: np.ndarray,
        k: int = 2,
        policy: RetrievalPolicy | None = None,
        boost_tags: Sequence[str] = (),
    ) -> list[SuggestionHit]:
        """The top-``k`` suggestions for an already embedded program (``query``'s arguments)."""
        policy = policy or RetrievalPolicy()
        found = self.candidates(vector, max(policy.candidates, k), policy)
        if policy.rerank == "hybrid":
            entries = self.store.get(c.label for c in found)
            boost = frozenset(boost_tags)
            found = [
                replace(c, score=tag_score(c.similarity, entries[c.label].tags, boost, policy.tag_boost))
                for c in found
            ]
        chosen = rerank(found, k, policy)
        entries = self.store.get(c.label for c in chosen)
        return [_hit(entries[c.label], c.similarity) for c in chosen]

    def candidates(self, vector: np.ndarray, want: int, policy: RetrievalPolicy) -> list[Candidate]:
        """The ``want`` nearest entries that pass the policy's filters, nearest first."""
        if policy.ef is not None and policy.ef != self.index.ef:
            saved = self.index.ef
            self.index.set_ef(policy.ef)
            try:
                return self._candidates(vector, want, policy)
            finally:
                self.index.set_ef(saved)
        return self._candidates(vector, want, policy)

    def _candidates(self, vector: np.ndarray, want: int, policy: RetrievalPolicy) -> list[Candidate]:
        ids, problems, rates = self._filter_columns()
        excluded = len(policy.exclude_ids) + len(policy.exclude_problem_ids)
        fetch = min(self.index.count, want + excluded * 4 if excluded else want)
        # Filters are applied after the search: fetch more until enough pass, or nothing more can.
        limit = min(self.index.count, max(64 * want, 2048))
        while True:
            labels, similarities = self.index.search(vector, fetch)
            kept: list[Candidate] = []
            for label, similarity in zip(labels.tolist(), similarities.tolist(), strict=True):
                if similarity < policy.min_similarity:
                    break
                rate = rates[label]
                if policy.min_rate is not None and not rate > policy.min_rate:
                    continue
                if ids[label] in policy.exclude_ids or (
                    problems[label] is not None and problems[label] in policy.exclude_problem_ids
                ):
                    continue
                kept.append(Candidate(label, similarity, float(rate)))
            exhausted = (
                len(labels) < fetch
                or fetch >= limit
                or (len(similarities) and similarities[-1] < policy.min_similarity)
            )
            if len(kept) >= want or exhausted:
                return kept[:want]
            fetch = min(limit, fetch * 4)

    def _filter_columns(self) -> tuple[list[str], list[str | None], np.ndarray]:
        with self._lock:
            if self._columns is None:
                self._columns = self.store.filter_columns()
            return self._columns

    # --- entries ------------------------------------------------------------------------------------
    def get(self, entry_id: str) -> KBEntry | None:
        label = self.store.label_of(entry_id)
        return None if label is None else self.store.get([label])[label]

    def entries(self):
        """Every entry in label order (an iterator)."""
        return (entry for _, entry, _ in self.store.iter_entries())


def _hit(entry: KBEntry, similarity: float) -> SuggestionHit:
    return SuggestionHit(
        entry_id=entry.id,
        text=entry.summary,
        rate=entry.rate,
        speedup=entry.speedup,
        similarity=float(similarity),
        slow_example=entry.input,
        fast_example=entry.target,
        tags=entry.tags,
        title=entry.title,
        category=entry.category,
        problem_id=entry.problem_id,
        source=entry.provenance.source,
    )


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 6)


def _check_embedder(path: Path, built_with: EmbedderInfo, embedder: EmbedderOptions | Embedder) -> None:
    configured = (embedder if isinstance(embedder, Embedder) else Embedder(embedder)).info
    if configured.dim != built_with.dim:
        raise EmbedderDimensionError(configured.path_hint or configured.name, configured.dim, built_with.dim)
    if not built_with.compatible_with(configured):
        raise EmbedderMismatchError(str(path), built_with.label(), configured.label())


def _options_for(path: Path, info: EmbedderInfo) -> EmbedderOptions:
    """Embedder options reproducing a knowledge base's embedder from the model folders on this machine."""
    mode, _, weight = info.text_mode.partition(":")
    for folder in (Path(info.path_hint) if info.path_hint else None, default_model_path()):
        if folder is not None and folder.is_dir() and model_fingerprint(folder) == info.fingerprint:
            # One torch thread: a query embeds one short snippet, and on a busy machine two
            # threads waiting for each other made the p95 latency 0.5-0.9 s instead of ~30 ms.
            return EmbedderOptions(
                threads=1,
                model_path=folder,
                text_mode=mode,  # type: ignore[arg-type]
                description_weight=float(weight) if weight else 0.75,
                max_seq_length=info.max_seq_length,
            )
    raise EmbedderNotFoundError(
        info.path_hint or info.name,
        f"the model {path} was built with ({info.label()}) is not on this machine; "
        "pass its folder with --model",
    )
