"""Retrieval stage: the knowledge base's suggestions for a piece of code, in the form the prompt takes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.candidates import Suggestion
from optimizer.rules import RULES_BY_CODE, SourceSyntaxError, find_all

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
        """The knowledge base's best ``k`` (``SUGGESTION_POLICY`` unless a policy was given), boosted by the tags
        of the rules that fire on ``code``; none below the policy's relevance threshold."""
        from kb.query import SUGGESTION_POLICY

        if k <= 0:
            return []
        policy = self.policy or SUGGESTION_POLICY
        hits = self.open().query(code, k=k, policy=policy, boost_tags=rule_tags(code))
        return [Suggestion.from_json(hit.to_json()) for hit in hits]


def rule_tags(code: str) -> list[str]:
    """The tags of the rules whose detectors fire on ``code`` (none when it does not parse): the evidence the
    knowledge base's hybrid re-ranking boosts entries by."""
    try:
        findings = find_all(code)
    except SourceSyntaxError:
        return []
    return sorted({tag for finding in findings for tag in RULES_BY_CODE[finding.code].tags})
