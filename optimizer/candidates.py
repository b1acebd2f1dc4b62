"""What the pipeline's stages hand each other, and what a stage needs from the one before it.

Data: the engine switches, the stdin inputs a program is verified on, retrieved suggestions, candidates,
verdicts and the final result. Needs: ``ChatModel`` and ``Retriever`` are ``typing.Protocol``s, so the
generation stage runs the same way on an in-process model and knowledge base (``optimizer.llm.LocalModel``,
``optimizer.retrieve.KnowledgeBaseRetriever``) as on the language server's model host (``server.remote``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from optimizer.llm import Generation, GenerationSettings

VerdictStatus = Literal["faster", "not_faster", "wrong", "invalid", "unverified"]


@dataclass(frozen=True)
class Engines:
    """Which candidate generators run: the AST rules, the LLM, and retrieval feeding the LLM its suggestions.

    With both the rules and the LLM on, the LLM works on the rules' output and the rules run again on the LLM's.
    """

    rules: bool = True
    llm: bool = True
    retrieval: bool = True

    @property
    def any(self) -> bool:
        """Whether anything proposes candidates (retrieval alone does not: it only feeds the LLM)."""
        return self.rules or self.llm


# The bench CLI's engine names (``--engine``), each a setting of the three switches.
ENGINE_PRESETS: dict[str, Engines] = {
    "rules": Engines(rules=True, llm=False, retrieval=False),
    "llm": Engines(rules=False, llm=True, retrieval=False),
    "rag-llm": Engines(rules=False, llm=True, retrieval=True),
    "all": Engines(rules=True, llm=True, retrieval=True),
}


@dataclass(frozen=True)
class VerificationInputs:
    """Stdin inputs for a program, with where each came from (e.g. "caller", "sibling input", "first test input")."""

    stdin: tuple[bytes, ...]
    sources: tuple[str, ...]

    @classmethod
    def from_caller(cls, inputs: Sequence[bytes], source: str = "caller") -> VerificationInputs:
        return cls(tuple(inputs), tuple(source for _ in inputs))

    def counts(self, keep: Sequence[int] | None = None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for i, source in enumerate(self.sources):
            if keep is None or i in keep:
                counts[source] = counts.get(source, 0) + 1
        return counts


@dataclass(frozen=True)
class Suggestion:
    """What the prompt shows of a hit: FasterPy's "Applicability: {similarity} Rate: {rate} {text}"."""

    entry_id: str
    text: str
    rate: float
    similarity: float

    @classmethod
    def from_json(cls, hit: dict[str, Any]) -> Suggestion:
        """From ``kb.SuggestionHit.to_json()``, the form the model host sends too."""
        # Entries without a measured rate only pass a policy that admits them; show them as rate 0.
        rate = hit.get("rate")
        return cls(hit["entry_id"], hit["text"], rate if rate is not None else 0.0, hit["similarity"])


class ChatModel(Protocol):
    """What generation needs of a model: answers to chat messages, and a name for the candidates' provenance."""

    @property
    def name(self) -> str: ...

    def generate(self, messages: Sequence[dict[str, str]], settings: GenerationSettings) -> list[Generation]:
        """``settings.n_candidates`` answers at most, within ``settings.time_budget_s``; ModelError when unusable."""
        ...


class Retriever(Protocol):
    """What generation needs of a knowledge base: the ``k`` best suggestions for some code."""

    def suggest(self, code: str, k: int) -> list[Suggestion]:
        """Best first; ``kb.errors.KBError`` when the knowledge base is unusable."""
        ...


@dataclass(frozen=True)
class Candidate:
    """A proposed rewrite and where it came from."""

    code: str
    engine: str  # "rules", "llm", "rag-llm", or a composition such as "rag-llm+rules"
    rules: tuple[str, ...] = ()  # codes of the AST rules applied
    suggestions: tuple[str, ...] = ()  # ids of the knowledge-base entries shown to the model
    model: str | None = None  # the GGUF file that wrote it


@dataclass(frozen=True)
class Verdict:
    """What verification found. Only ``faster`` may be offered as faster."""

    status: VerdictStatus
    reason: str = ""
    speedup: float | None = None
    spread: float | None = None  # the noise of the two timings (relative IQRs added)
    original_s: float | None = None
    candidate_s: float | None = None
    inputs_used: int = 0
    input_sources: dict[str, int] = field(default_factory=dict)
    evidence: str = ""  # what verification rested on, in a title's words, where inputs are more than counts
    # Inputs derived from the given ones the candidate was run on (issue 17); on a mismatch, up to the one it failed.
    derived_inputs_checked: int = 0
    # Per given input: where it came from, the original's and the candidate's seconds in the first timed trial.
    input_times: tuple[tuple[str, float, float], ...] = ()

    @property
    def faster(self) -> bool:
        return self.status == "faster"


@dataclass
class OptimizationResult:
    """The outcome for one piece of code: the best verified candidate, or the original unchanged."""

    original: str
    code: str
    best: Candidate | None
    verdict: Verdict | None
    tried: list[tuple[Candidate, Verdict]] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def improved(self) -> bool:
        return self.best is not None and self.verdict is not None and self.verdict.faster

    def to_json(self) -> dict:
        return {
            "improved": self.improved,
            "engine": self.best.engine if self.best else None,
            "rules": list(self.best.rules) if self.best else [],
            "suggestions": list(self.best.suggestions) if self.best else [],
            "model": self.best.model if self.best else None,
            "speedup": self.verdict.speedup if self.verdict else None,
            "spread": self.verdict.spread if self.verdict else None,
            "inputs_used": self.verdict.inputs_used if self.verdict else 0,
            "derived_inputs_checked": self.verdict.derived_inputs_checked if self.verdict else 0,
            "seconds": round(self.seconds, 3),
            "tried": [
                {"engine": c.engine, "status": v.status, "speedup": v.speedup, "reason": v.reason,
                 "derived_inputs_checked": v.derived_inputs_checked}
                for c, v in self.tried
            ],
            "notes": self.notes,
        }
