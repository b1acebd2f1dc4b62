"""What the pipeline passes between its stages: candidates, verdicts and the final result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

VerdictStatus = Literal["faster", "not_faster", "wrong", "invalid", "unverified"]


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
            "seconds": round(self.seconds, 3),
            "tried": [
                {"engine": c.engine, "status": v.status, "speedup": v.speedup, "reason": v.reason}
                for c, v in self.tried
            ],
            "notes": self.notes,
        }
