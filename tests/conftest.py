"""Shared fixtures: one sandboxed runner per session, and the shared data folder (skipped when absent)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits

REPO = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The one setting that locates ../shared/data: $PYPERF_DATA, default beside the repository."""
    return Path(os.environ.get("PYPERF_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = data_dir()
    if not (path / "pie" / "dev.jsonl").is_file():
        pytest.skip(f"shared data not found at {path} (set PYPERF_DATA to the folder holding pie/dev.jsonl)")
    return path


@pytest.fixture(scope="session")
def runner() -> Iterator[Runner]:
    with Runner(jobs=1, limits=SandboxLimits(timeout_s=5.0)) as r:
        yield r


# --- training: tiny models built once per session (tests/training_support.py) -----------------------------------


@pytest.fixture(scope="session")
def tiny_hf_model(tmp_path_factory) -> Path:
    """A random-weight Llama folder (hidden 64, 2 layers) with a byte-level BPE tokenizer and a ChatML template."""
    from training_support import write_tiny_hf_model

    return write_tiny_hf_model(tmp_path_factory.mktemp("tiny-hf") / "model")


@pytest.fixture(scope="session")
def tiny_gguf_base(tiny_hf_model, tmp_path_factory) -> Path:
    """The tiny model as an f32 GGUF written by the exporter: a GGUF base transformers can load."""
    from training_support import write_tiny_gguf_base

    return write_tiny_gguf_base(tiny_hf_model, tmp_path_factory.mktemp("tiny-gguf") / "tiny-f32.gguf")
