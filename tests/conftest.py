"""Shared fixtures: one sandboxed runner per session, and the shared data folder (skipped when absent)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.runner import Runner
from bench.sandbox import SandboxLimits

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
