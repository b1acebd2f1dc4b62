"""The optimizer's ``ChatModel`` and ``Retriever``, answered by the model host over its socket.

An optimisation job runs the optimizer's one ``CandidateGenerator`` in its own process; these adapters let it
use the knowledge base and the LLM that the model host has already loaded. A host that is not running, cannot
be reached or reports a failure raises the error the generator turns into a note (``ModelError`` for the
model, ``KBError`` for the retriever), so the rules' candidates still come through.
"""

from __future__ import annotations

from collections.abc import Sequence

from kb.errors import KBError
from optimizer.candidates import Suggestion
from optimizer.llm import Generation, GenerationSettings, ModelError
from optimizer.retrieve import rule_tags
from server.model_host import HostAddress


def _ask(host: HostAddress | None, message: dict, error: type[Exception]) -> dict:
    """The host's answer to ``message``; ``error`` saying why when there is none."""
    if host is None:
        raise error("the model host is not running")
    try:
        with host.connect() as conn:
            conn.send(message)
            answer = conn.recv()
    except (OSError, EOFError) as exc:
        raise error(f"the model host is unavailable ({exc})") from exc
    if answer.get("error"):
        raise error(f"the model host failed: {answer['error']}")
    return answer


class RemoteModel:
    """A ``ChatModel`` whose answers the model host's LLM writes."""

    def __init__(self, host: HostAddress | None) -> None:
        self.host = host
        self.name = ""  # the host's GGUF file, known once it has answered

    def generate(self, messages: Sequence[dict[str, str]], settings: GenerationSettings) -> list[Generation]:
        answer = _ask(self.host, {"op": "generate", "messages": messages, "settings": settings}, ModelError)
        self.name = answer["model"]
        return answer["generations"]


class RemoteRetriever:
    """A ``Retriever`` answered from the model host's knowledge base (waiting for it to load)."""

    def __init__(self, host: HostAddress | None) -> None:
        self.host = host

    def suggest(self, code: str, k: int) -> list[Suggestion]:
        if k <= 0:
            return []
        request = {"op": "suggest", "code": code, "k": k, "wait": True, "boost_tags": rule_tags(code)}
        answer = _ask(self.host, request, KBError)
        if not answer["ready"]:
            raise KBError("no suggestions: the model host's knowledge base is not loaded")
        return [Suggestion.from_json(hit) for hit in answer["hits"]]
