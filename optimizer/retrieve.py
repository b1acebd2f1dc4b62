"""Retrieval stage: the knowledge base's suggestions for a piece of code, in the form the prompt takes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb import KnowledgeBase, RetrievalPolicy


@dataclass(frozen=True)
class Suggestion:
    """What the prompt shows of a hit: FasterPy's "Applicability: {similarity} Rate: {rate} {text}"."""

    entry_id: str
    text: str
    rate: float
    similarity: float


class Retriever:
    """Opens the knowledge base on first use (embedding model included) and keeps it open."""

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
        hits = self.open().query(code, k=k, policy=self.policy)
        # Entries without a measured rate only pass a policy that admits them; show them as rate 0.
        return [Suggestion(h.entry_id, h.text, h.rate if h.rate is not None else 0.0, h.similarity) for h in hits]
