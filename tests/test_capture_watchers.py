"""How calls are captured from a project's tests (optimizer/sandbox_driver.py ``_watch_calls``): ``sys.monitoring``
on Python 3.12+, which fires for the target alone, and the profiler fallback (3.11, or the monitoring slot taken by
the tests' own tooling) capture the same calls, made by the same tests."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from interpreter_support import make_venv

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits
from optimizer.package_context import module_context
from optimizer.project_runs import CapturedCalls, capture_calls

FIXTURE = Path(__file__).parent / "fixtures" / "realpkg"
LIMITS = SandboxLimits(timeout_s=120)
# A test tool that holds the profiler's monitoring slot before the first test runs (as a profiler plugin might).
SLOT_TAKEN = "import sys\n\nsys.monitoring.use_tool_id(sys.monitoring.PROFILER_ID, 'a profiler of the project')\n"

pytestmark = pytest.mark.slow


def newer_python() -> str | None:
    """A Python 3.12+ on this machine (PATH, then pyenv's versions), or None."""
    found = [shutil.which(f"python3.{minor}") for minor in range(19, 11, -1)]
    found += [str(p) for p in sorted(Path.home().glob(".pyenv/versions/3.1[2-9]*/bin/python3"), reverse=True)]
    for python in filter(None, found):
        version = subprocess.run([python, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                                 capture_output=True, text=True)
        if version.stdout.strip() == "True":
            return python
    return None


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory):
    base = newer_python()
    if base is None:
        pytest.skip("no Python 3.12+ here (PATH or ~/.pyenv): sys.monitoring needs one")
    python = make_venv(tmp_path_factory.mktemp("py312") / "venv", base=base, with_pytest=True)
    with Runner(jobs=1, python=str(python), limits=LIMITS) as runner:
        yield runner


def capture(runner: Runner, workspace: Path, module: str, qualname: str) -> CapturedCalls:
    path = workspace / module
    return capture_calls(runner, module_context(workspace, path, path.read_text()), qualname, LIMITS)


def test_monitoring_and_the_profiler_capture_the_same_calls(runner: Runner, tmp_path: Path):
    watched = tmp_path / "monitoring"
    shutil.copytree(FIXTURE, watched)
    profiled = tmp_path / "profiler"
    shutil.copytree(FIXTURE, profiled)
    (profiled / "tests" / "conftest.py").write_text(SLOT_TAKEN)
    by_monitoring = capture(runner, watched, "realpkg/catalog.py", "Catalog.percentile_ranks")
    by_profiler = capture(runner, profiled, "realpkg/catalog.py", "Catalog.percentile_ranks")
    assert len(by_monitoring.calls) == 3 and by_monitoring.passed == by_profiler.passed > 0, by_monitoring
    assert by_monitoring.calls == by_profiler.calls
    assert by_monitoring.tests == by_profiler.tests


def test_recursion_varargs_and_generators_are_captured_once_per_call(runner: Runner, tmp_path: Path):
    (tmp_path / "shapes.py").write_text(
        "def depth(items, *rest, scale=1, **options):\n"
        "    inner = [depth(i, scale=scale) for i in items if isinstance(i, list)]\n"
        "    return scale * (1 + max(inner, default=0))\n\n"
        "def pairs(values):\n"
        "    for i, value in enumerate(values):\n"
        "        values = None  # rebinding an argument: a resumed generator must not be recorded again\n"
        "        yield i, value\n"
    )
    (tmp_path / "test_shapes.py").write_text(
        "from shapes import depth, pairs\n\n"
        "def test_depth():\n    assert depth([[1, [2]], 3], 'x', scale=2, flat=True) == 14\n\n"
        "def test_pairs():\n    assert list(pairs('ab')) == [(0, 'a'), (1, 'b')]\n"
    )
    for qualname, expected in (("depth", 3), ("pairs", 1)):
        watched = capture(runner, tmp_path, "shapes.py", qualname)
        assert len(watched.calls) == expected and not watched.failed, (qualname, watched)
        (tmp_path / "conftest.py").write_text(SLOT_TAKEN)
        try:
            profiled = capture(runner, tmp_path, "shapes.py", qualname)
        finally:
            (tmp_path / "conftest.py").unlink()
        assert (watched.calls, watched.tests) == (profiled.calls, profiled.tests), qualname
    assert re.fullmatch(r"test_shapes\.py::test_\w+", watched.calling_tests[0])
