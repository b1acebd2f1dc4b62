"""The shape of the tree: import contracts hold, no file holds several concerns' worth of lines, shipped
packages never reach into the repository around them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("bench", "kb", "optimizer", "server", "training")
MAX_LINES = 520  # "no file over ~500 lines"
# Data written as code is not a concern to split: the embedded suite's programs.
EXEMPT = ("bench/suite/",)


def _package_files() -> list[Path]:
    files = [p for package in PACKAGES for p in (REPO / package).rglob("*.py")]
    return [p for p in files if not any(str(p.relative_to(REPO)).startswith(e) for e in EXEMPT)]


def test_import_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint_imports is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    result = subprocess.run([lint_imports, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_no_file_is_over_the_line_limit() -> None:
    long = {str(p.relative_to(REPO)): n for p in _package_files() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def _levels_climbed(expression: str) -> int:
    """How many folders above the file's own folder ``Path(__file__)...`` reaches (``.parent.parent`` = 1)."""
    if match := re.search(r"parents\[(\d+)\]", expression):
        return int(match.group(1))
    return max(expression.count(".parent") - 1, 0)


def test_shipped_packages_do_not_reach_the_repository_around_them() -> None:
    # A path climbed from __file__ past the package's own top folder points nowhere once installed.
    offenders = []
    for path in _package_files():
        depth = len(path.relative_to(REPO).parts) - 1  # folders between the file and the repository root
        for expression in re.findall(r"Path\(__file__\)[\w.()\[\]]*", path.read_text()):
            if _levels_climbed(expression) > depth - 1:
                offenders.append(f"{path.relative_to(REPO)}: {expression}")
    assert offenders == []


def test_production_code_does_not_import_test_helpers() -> None:
    helpers = {p.stem for p in (REPO / "tests").glob("*.py") if not p.name.startswith(("test_", "conftest"))}
    pattern = re.compile(r"^\s*(from|import)\s+(" + "|".join(sorted(helpers)) + r")\b", re.M)
    offenders = [str(p.relative_to(REPO)) for p in _package_files() if pattern.search(p.read_text())]
    assert offenders == []
