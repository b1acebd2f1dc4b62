"""Retrieval stage: the knowledge base's suggestions for a piece of code, in the form the prompt takes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.candidates import Suggestion

if TYPE_CHECKING:
    from kb import KnowledgeBase, RetrievalPolicy


class KnowledgeBaseRetriever:
    """The ``Retriever`` of an in-process knowledge base: opens it on first use (embedding model included)."""

    def __init__(self, kb_path: Path | None = None, policy: RetrievalPolicy | None = None) -> None:
        self.kb_path = kb_path
        self.policy = policy
        self._kb: KnowledgeBase | None = None
        self._lock = threading.Lock()

    def open(self) -> KnowledgeBase:
        with self._lock:
            if self._kb is None:
                from kb import KnowledgeBase

                self._kb = KnowledgeBase.open(self.kb_path)
            return self._kb

    def suggest(self, code: str, k: int) -> list[Suggestion]:
        if k <= 0:
            return []
        return [Suggestion.from_json(hit.to_json()) for hit in self.open().query(code, k=k, policy=self.policy)]
