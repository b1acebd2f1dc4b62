"""The knowledge base of optimisation suggestions: build, import, embed, index and query.

The query API other modules use::

    from kb import KnowledgeBase, RetrievalPolicy

    kb = KnowledgeBase.open()                # None: the project's catalogue KB, built on first use
    hits = kb.query(code, k=2, policy=RetrievalPolicy(exclude_problem_ids={"p02555"}))
    for hit in hits:                          # SuggestionHit
        hit.text, hit.rate, hit.speedup, hit.similarity, hit.slow_example, hit.fast_example, hit.tags

Importing ``kb`` is cheap: numpy, hnswlib, torch and sentence-transformers load only when a knowledge
base is opened or a program is embedded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kb.errors import (
    CatalogueError,
    CorruptIndexError,
    EmbedderDimensionError,
    EmbedderMismatchError,
    EmbedderNotFoundError,
    EmbedderUnavailableError,
    IncompatibleKBError,
    KBError,
    KBExistsError,
    KBNotFoundError,
    MalformedInputError,
    MeasurementUnavailableError,
    MissingCodeError,
)
from kb.schema import KBEntry, Provenance, RateEvidence, rate_from_speedup, speedup_from_rate

if TYPE_CHECKING:
    from kb.build import BuildOptions, BuildReport
    from kb.embed import Embedder, EmbedderOptions
    from kb.index import IndexOptions
    from kb.query import KnowledgeBase, RetrievalPolicy, SuggestionHit

_LAZY = {
    "KnowledgeBase": "kb.query",
    "RetrievalPolicy": "kb.query",
    "SuggestionHit": "kb.query",
    "Embedder": "kb.embed",
    "EmbedderOptions": "kb.embed",
    "IndexOptions": "kb.index",
    "BuildOptions": "kb.build",
    "BuildReport": "kb.build",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kb' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "BuildOptions",
    "BuildReport",
    "CatalogueError",
    "CorruptIndexError",
    "Embedder",
    "EmbedderDimensionError",
    "EmbedderMismatchError",
    "EmbedderNotFoundError",
    "EmbedderOptions",
    "EmbedderUnavailableError",
    "IncompatibleKBError",
    "IndexOptions",
    "KBEntry",
    "KBError",
    "KBExistsError",
    "KBNotFoundError",
    "KnowledgeBase",
    "MalformedInputError",
    "MeasurementUnavailableError",
    "MissingCodeError",
    "Provenance",
    "RateEvidence",
    "RetrievalPolicy",
    "SuggestionHit",
    "rate_from_speedup",
    "speedup_from_rate",
]
