"""What a knowledge-base entry is, and how its rate relates to a speedup.

An entry keeps FasterPy's OD-base fields (``input`` slow code, ``target`` fast code, ``diff``, ``rate``,
``summary``; the ``vector`` lives in the index) and adds what this project needs: a stable id, a
category and tags, the speedup ratio, where the entry came from and how its rate was obtained.

**Rate.** FasterPy's OD-base ``rate`` comes from PIE's ``improvement_frac / 100``, i.e. the relative
time saved, ``1 - fast/slow`` (0.5 = twice as fast), and FasterPy keeps suggestions with
``rate > 0.5``. Its Mercury rows, however, store ``slow/fast`` (a speedup ratio, always >= 1) in the
same field. Here ``rate`` is always ``1 - fast/slow`` and ``speedup`` is always ``slow/fast``;
``normalise_od_base_rate`` tells the two OD-base conventions apart.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field
from typing import Any

FORMAT_VERSION = 1


def rate_from_speedup(speedup: float) -> float:
    """FasterPy's rate (relative time saved, ``1 - fast/slow``) for a speedup ratio ``slow/fast``."""
    if not speedup > 0:
        raise ValueError(f"a speedup must be positive, got {speedup}")
    return 1.0 - 1.0 / speedup


def speedup_from_rate(rate: float) -> float:
    """The speedup ratio ``slow/fast`` for FasterPy's rate ``1 - fast/slow`` (inf at rate 1)."""
    if rate >= 1.0:
        return math.inf
    return 1.0 / (1.0 - rate)


def normalise_od_base_rate(value: float) -> tuple[float, float]:
    """(rate, speedup) for an OD-base ``rate`` value, whichever of its two conventions it uses.

    PIE rows hold ``1 - fast/slow``, which is below 1 for any finite fast time; Mercury rows hold
    ``slow/fast``, which is at least 1. So a value >= 1 can only be a speedup ratio.
    """
    if value >= 1.0:
        return rate_from_speedup(value), value
    return value, speedup_from_rate(value)


def entry_id_for(input_code: str, target_code: str, prefix: str = "e") -> str:
    """A stable id derived from the code pair (the same pair gets the same id in every build)."""
    digest = hashlib.sha256(f"{input_code.strip()}\0{target_code.strip()}".encode()).hexdigest()
    return f"{prefix}-{digest[:16]}"


@dataclass(frozen=True)
class Provenance:
    """Where an entry came from: a source name, a reference inside it, and the problem it solves."""

    source: str
    ref: str | None = None
    problem_id: str | None = None
    license: str | None = None


@dataclass(frozen=True)
class RateEvidence:
    """How the rate was obtained: ``method`` is e.g. "runner" (measured here), "input:measured_runtime"."""

    method: str
    slow_s: float | None = None
    fast_s: float | None = None
    detail: str | None = None


@dataclass(frozen=True)
class KBEntry:
    """One optimisation suggestion: a slow program, its fast version and the change in plain words."""

    id: str
    input: str
    target: str
    diff: str
    summary: str
    rate: float | None
    speedup: float | None
    provenance: Provenance
    title: str = ""
    category: str = "general"
    tags: tuple[str, ...] = ()
    description: str = ""
    evidence: RateEvidence | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def problem_id(self) -> str | None:
        return self.provenance.problem_id

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = list(self.tags)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KBEntry:
        evidence = data.get("evidence")
        return cls(
            id=data["id"],
            input=data["input"],
            target=data["target"],
            diff=data["diff"],
            summary=data["summary"],
            rate=data.get("rate"),
            speedup=data.get("speedup"),
            provenance=Provenance(**data["provenance"]),
            title=data.get("title", ""),
            category=data.get("category", "general"),
            tags=tuple(data.get("tags", ())),
            description=data.get("description", ""),
            evidence=RateEvidence(**evidence) if evidence else None,
            extra=dict(data.get("extra", {})),
        )

    def to_od_base(self, vector: list[float] | None = None) -> dict[str, Any]:
        """The entry in FasterPy's OD-base.jsonl layout (``vector`` as the string FasterPy stores)."""
        row: dict[str, Any] = {
            "input": self.input,
            "target": self.target,
            "diff": self.diff,
            "rate": self.rate,
            "summary": self.summary,
        }
        if vector is not None:
            row["vector"] = str([float(v) for v in vector])
        return row


@dataclass(frozen=True)
class EmbedderInfo:
    """Which embedder made a knowledge base's vectors, and from what text.

    ``fingerprint`` identifies the model files; ``text_mode`` says what was embedded (the code, a
    description of it, or both). Two knowledge bases' vectors are comparable only when ``name``,
    ``dim``, ``fingerprint`` and ``text_mode`` agree.
    """

    name: str
    dim: int
    fingerprint: str
    text_mode: str
    max_seq_length: int
    dtype: str
    path_hint: str | None = None

    def compatible_with(self, other: EmbedderInfo) -> bool:
        return (self.dim, self.fingerprint, self.text_mode) == (other.dim, other.fingerprint, other.text_mode)

    def label(self) -> str:
        return f"{self.name} (dim {self.dim}, {self.text_mode}, fingerprint {self.fingerprint[:12]})"
