"""Import FasterPy's OD-base.jsonl (``input``, ``target``, ``diff``, ``rate``, ``summary``, ``vector``) as is.

Rates are normalised (PIE rows hold ``1 - fast/slow``, Mercury rows ``slow/fast``; see
``kb.schema.normalise_od_base_rate``); FasterPy's summaries are kept; tags and categories come from
this project's summariser. OD-base's vectors are 768-dimensional UniXcoder embeddings: they are kept
only when the caller names the model that made them (``vectors_model``) and it is the one the
knowledge base will be queried with; otherwise every entry is embedded again with the configured
embedder, and the report says so.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.core.jsonl import numbered_lines, read_jsonl
from kb.build import (
    BuildOptions,
    BuildReport,
    InputProblem,
    PairRecord,
    build_kb,
    pair_from_row,
    read_rows,
    source_label,
)
from kb.embed import Embedder
from kb.errors import EmbedderDimensionError, MalformedInputError

log = logging.getLogger("kb")


def _vector(value: object) -> list[float] | None:
    """OD-base stores vectors as the string of a Python list; accept a JSON list too."""
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return None
    if isinstance(value, list) and value and all(isinstance(x, int | float) for x in value):
        return [float(x) for x in value]
    return None


def read_od_base(
    path: Path, on_error: str = "skip", problems: list[InputProblem] | None = None, keep_vectors: bool = False
) -> Iterator[PairRecord]:
    """The rows of an OD-base file as pairs (with their stored vectors when ``keep_vectors``)."""

    def pair(row: dict[str, Any], number: int) -> tuple[PairRecord]:
        record = pair_from_row(row, path.name, number)
        vector = _vector(row.get("vector")) if keep_vectors else None
        if keep_vectors and vector is None:
            raise MalformedInputError(str(path), number, "no usable 'vector'")
        method = "od-base:rate" if record.rate is not None else None
        return (replace(record, vector=vector, rate_method=method),)

    return read_rows(path, pair, "stop" if on_error == "stop" else "skip", problems)


def stored_vector_dimension(path: Path) -> int | None:
    """The dimension of the first stored vector of an OD-base file (None when it has none)."""
    for _, row in read_jsonl(path, lambda bad: None):
        vector = _vector(row.get("vector"))
        return len(vector) if vector else None
    return None


def import_od_base(
    path: Path,
    out: Path,
    options: BuildOptions | None = None,
    vectors_model: Path | None = None,
    embedder: Embedder | None = None,
) -> BuildReport:
    """Build a knowledge base from an OD-base file, re-embedding unless ``vectors_model`` made its vectors."""
    options = options or BuildOptions()
    stored_dim = stored_vector_dimension(path)
    notes: list[str] = []
    keep = False
    if vectors_model is not None:
        options = replace(options, embedder=replace(options.embedder, model_path=vectors_model))
        model_dim = Embedder(options.embedder).info.dim
        if stored_dim is not None and stored_dim != model_dim:
            raise EmbedderDimensionError(str(vectors_model), model_dim, stored_dim)
        keep = stored_dim is not None
        notes.append(f"kept the stored {stored_dim}-d vectors, declared to come from {vectors_model}")
    else:
        info = (embedder or Embedder(options.embedder)).info
        reason = (
            f"the stored vectors are {stored_dim}-dimensional and come from another model (FasterPy used "
            "UniXcoder)"
            if stored_dim
            else "the file has no vectors"
        )
        notes.append(f"re-embedded every entry with {info.label()}: {reason}")
    for note in notes:
        log.warning("%s", note)
    problems: list[InputProblem] = []
    total = sum(1 for _ in numbered_lines(path))
    options = replace(options, rate_from="input")
    return build_kb(
        read_od_base(path, options.on_error, problems, keep_vectors=keep),
        out,
        options,
        sources=[source_label(path), f"vectors:{'kept' if keep else 'embedded'}"],
        problems=problems,
        total=total,
        notes=notes,
        embedder=None if keep else embedder,
    )
