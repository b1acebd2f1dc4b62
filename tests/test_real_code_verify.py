"""Functions and methods of a package, verified in the sandbox on calls captured from the project's own tests
and by those tests (optimizer.project_runs, optimizer.project_verify, optimizer.project_optimize)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits
from optimizer.candidates import Candidate
from optimizer.package_context import module_context
from optimizer.pipeline import Optimizer, OptimizerSettings
from optimizer.project_optimize import optimize_in_workspace
from optimizer.project_runs import capture_calls
from optimizer.verify import VerifySettings

FIXTURE = Path(__file__).parent / "fixtures" / "realpkg"
LIMITS = SandboxLimits(timeout_s=60)


def hoisted(region: str) -> str:
    """The fixture's slow method with its sort hoisted out of the loop: the same results, faster."""
    return region.replace("for score in sorted(scores):", "for score in ordered:").replace(
        "    for value in values:", "    ordered = sorted(scores)\n    for value in values:")


def off_by_one(region: str) -> str:
    """Wrong where a value equals a score: the fixture's tests and captured calls both catch it."""
    return hoisted(region).replace("score >= value", "score > value")


class FixedRewrites:
    """A generator that rewrites the region it is given with fixed functions, and remembers the regions."""

    def __init__(self, *rewrites) -> None:
        self.rewrites = rewrites
        self.regions: list[str] = []

    def candidates(self, code: str) -> tuple[list[Candidate], list[str]]:
        self.regions.append(code)
        return [Candidate(rewrite(code), "test") for rewrite in self.rewrites], []


def fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def workspace(tmp_path) -> Path:
    copy = tmp_path / "realpkg"
    shutil.copytree(FIXTURE, copy)
    return copy


def optimizer(runner: Runner, generator: FixedRewrites) -> Optimizer:
    return Optimizer(OptimizerSettings(verify=VerifySettings(limits=SandboxLimits(timeout_s=30))), runner=runner,
                     generator=generator)


def test_capture_records_self_arguments_and_the_calling_tests(runner: Runner, workspace: Path):
    path = workspace / "realpkg" / "catalog.py"
    captured = capture_calls(runner, module_context(workspace, path, path.read_text()), "Catalog.percentile_ranks",
                             LIMITS)
    assert len(captured.calls) == 3 and captured.skipped == 0 and not captured.failed
    assert captured.calling_tests == [
        "tests/test_catalog.py::test_ranks_are_fractions_of_the_catalogue",
        "tests/test_catalog.py::test_ranks_between_and_outside_the_scores",
        "tests/test_catalog.py::test_ranks_of_scores_that_exist_count_only_those_below",
    ]


def test_unpicklable_arguments_are_skipped_and_counted(runner: Runner, tmp_path: Path):
    (tmp_path / "shapes.py").write_text("def area(w, h, scale=1):\n    return w * h * scale if h else 0\n")
    (tmp_path / "test_shapes.py").write_text(
        "from shapes import area\n\n"
        "def test_area():\n    assert area(2, 3) == 6\n    assert area(1.5, 2, scale=2) == 6.0\n"
        "    assert area(object(), 0) == 0\n    assert area(lambda: 1, 0) == 0\n"
    )
    path = tmp_path / "shapes.py"
    captured = capture_calls(runner, module_context(tmp_path, path, path.read_text()), "area", LIMITS)
    assert len(captured.calls) == 3 and captured.skipped == 1  # a lambda cannot be pickled; object() can
    assert captured.calling_tests == ["test_shapes.py::test_area"]


def test_a_method_is_verified_on_captured_calls_and_by_the_tests(runner: Runner, workspace: Path):
    before = fingerprint(workspace)
    path = workspace / "realpkg" / "catalog.py"
    generator = FixedRewrites(hoisted, off_by_one)
    result, captured = optimize_in_workspace(optimizer(runner, generator), workspace, path, path.read_text(),
                                             "Catalog.percentile_ranks")
    region = generator.regions[0]  # the method alone: it uses no import or module-level name
    assert region.startswith("def percentile_ranks(self, values):") and "class" not in region
    assert result.improved, [(v.status, v.reason) for _, v in result.tried]
    assert result.verdict.evidence == ("3 calls captured from 3 tests (tests/test_catalog.py), 3 tests pass")
    assert "        ordered = sorted(scores)\n        for value in values:" in result.code
    wrong = result.tried[1][1]
    assert wrong.status == "wrong"
    assert wrong.reason.startswith("returned a different value for percentile_ranks(<Catalog>, [0, 50, 100])")
    assert "2 tests fail: tests/test_catalog.py::" in wrong.reason
    assert fingerprint(workspace) == before  # nothing of the user's was written
    # The calls are kept by the caller: a second request on the same text does not run the tests again.
    again, same = optimize_in_workspace(optimizer(runner, FixedRewrites(off_by_one)), workspace, path,
                                        path.read_text(), "Catalog.percentile_ranks", captured)
    assert same is captured and again.tried[0][1].status == "wrong"


def test_tests_failing_on_the_original_and_import_errors_say_so(runner: Runner, workspace: Path):
    path = workspace / "realpkg" / "catalog.py"
    broken = path.read_text().replace("score >= value", "score > value")
    result, _ = optimize_in_workspace(optimizer(runner, FixedRewrites(hoisted)), workspace, path, broken,
                                      "Catalog.percentile_ranks")
    assert result.verdict.status == "unverified"
    assert result.verdict.reason.startswith("tests fail on the original: tests/test_catalog.py::")
    unimportable = path.read_text().replace("from .stats import mean", "from .stats import median")
    result, _ = optimize_in_workspace(optimizer(runner, FixedRewrites(hoisted)), workspace, path, unimportable,
                                      "Catalog.percentile_ranks")
    assert result.verdict.reason.startswith("your tests could not be collected: tests/test_catalog.py: ImportError: "
                                            "cannot import name 'median'"), result.verdict.reason


def test_calls_that_differ_between_runs_of_the_original_are_dropped(runner: Runner, tmp_path: Path):
    (tmp_path / "noisy.py").write_text("import random\n\n\ndef jitter(n):\n    return [random.random() for _ in "
                                       "range(n)]\n")
    (tmp_path / "test_noisy.py").write_text("from noisy import jitter\n\ndef test_jitter():\n"
                                            "    assert len(jitter(3)) == 3\n")
    path = tmp_path / "noisy.py"
    result, captured = optimize_in_workspace(optimizer(runner, FixedRewrites(lambda r: r.replace("_ in", "__ in"))),
                                             tmp_path, path, path.read_text(), "jitter")
    assert len(captured.calls) == 1
    assert result.verdict.reason == "no captured call behaves the same on two runs of the original"


def test_arguments_of_classes_defined_in_a_test_file_are_replayed(runner: Runner, tmp_path: Path):
    (tmp_path / "sizes.py").write_text("def total(things):\n    t = 0\n    for thing in things:\n"
                                       "        t = t + thing.size\n    return t\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_sizes.py").write_text(
        "from sizes import total\n\n\nclass Thing:\n    def __init__(self, size):\n        self.size = size\n\n\n"
        "def test_total():\n    assert total([Thing(i) for i in range(300)]) == 44850\n")
    path = tmp_path / "sizes.py"
    summed = FixedRewrites(lambda region: "def total(things):\n    return sum(thing.size for thing in things)\n")
    result, captured = optimize_in_workspace(optimizer(runner, summed), tmp_path, path, path.read_text(), "total")
    assert len(captured.calls) == 1
    assert result.tried[0][1].status in ("faster", "not_faster"), result.tried[0][1]
    assert result.tried[0][1].evidence.startswith("1 call captured from 1 test (tests/test_sizes.py), 1 test passes")


def test_tests_run_without_unnamed_plugins_unless_they_need_one(runner: Runner, workspace: Path, tmp_path: Path):
    """Installed pytest plugins the project does not name are left out (they cost seconds a run); tests that need
    one (here pytest-benchmark's fixture) run, and are rerun for each candidate, with every plugin loaded."""
    pytest.importorskip("pytest_benchmark")
    path = workspace / "realpkg" / "catalog.py"
    plain = capture_calls(runner, module_context(workspace, path, path.read_text()), "Catalog.percentile_ranks",
                          LIMITS)
    assert not plain.plugin_autoload and len(plain.calls) == 3

    project = tmp_path / "benched"
    project.mkdir()
    (project / "shapes.py").write_text("def area(w, h):\n    return w * h\n")
    (project / "test_shapes.py").write_text(
        "from shapes import area\n\ndef test_area(benchmark):\n    assert benchmark(area, 2, 3) == 6\n")
    shapes = project / "shapes.py"
    needs_plugin = capture_calls(runner, module_context(project, shapes, shapes.read_text()), "area", LIMITS)
    assert needs_plugin.plugin_autoload and len(needs_plugin.calls) == 1 and not needs_plugin.failed, needs_plugin
    swapped = FixedRewrites(lambda region: region.replace("w * h", "h * w"))
    result, _ = optimize_in_workspace(optimizer(runner, swapped), project, shapes, shapes.read_text(), "area",
                                      needs_plugin)
    (verdict,) = [v for _, v in result.tried]
    assert verdict.status in ("faster", "not_faster"), verdict  # its test ran with the plugin, and passed
    assert "1 test passes" in verdict.evidence, verdict.evidence


def test_returned_iterators_compare_by_what_they_yield(runner: Runner, tmp_path: Path):
    """zip, map or a generator returned by the target: two runs compare by their items (the objects never are
    equal), an endless one is cut, and a rewrite that yields other items is wrong."""
    (tmp_path / "windows.py").write_text(
        "import itertools\n\n"
        "def pairs(values):\n    return zip(values, values[1:])\n\n"
        "def counter(start):\n    return itertools.count(start)\n")
    (tmp_path / "test_windows.py").write_text(
        "from windows import counter, pairs\n\n"
        "def test_pairs():\n    assert list(pairs([1, 2, 3])) == [(1, 2), (2, 3)]\n\n"
        "def test_counter():\n    assert next(counter(5)) == 5\n")
    path = tmp_path / "windows.py"
    as_generator = FixedRewrites(
        lambda region: region.replace("return zip(values, values[1:])",
                                      "return ((a, b) for a, b in zip(values, values[1:]))"),
        lambda region: region.replace("values[1:]", "values[2:]"))
    result, captured = optimize_in_workspace(optimizer(runner, as_generator), tmp_path, path, path.read_text(),
                                             "pairs")
    assert len(captured.calls) == 1
    same, other = (verdict for _, verdict in result.tried)
    assert same.status in ("faster", "not_faster"), same  # a generator of the same pairs
    assert other.status == "wrong" and "returned a different value for pairs([1, 2, 3])" in other.reason, other
    endless = FixedRewrites(lambda region: region.replace("itertools.count(start)", "itertools.count(start, 1)"))
    result, _ = optimize_in_workspace(optimizer(runner, endless), tmp_path, path, path.read_text(), "counter")
    assert result.tried[0][1].status in ("faster", "not_faster"), result.tried[0][1]  # cut, not hung
