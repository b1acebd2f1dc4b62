"""Running ``optimizer.sandbox_driver`` in the sandbox: capturing a target's calls from the project's tests,
replaying them on the original or a candidate, and running the tests that made them.

Each run sends the driver's text (plus ``main(overlay)``) as the program and a pickled request on stdin, and
reads back one JSON answer line. What the user sees of a failed run is its cause: "your tests did not finish
within 60 s", or the last line of the error (an import error, say), never "the original fails".
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bench.core.runner import Runner, Worker
from bench.core.sandbox import RunResult, SandboxLimits
from optimizer.package_context import ModuleContext

DRIVER_SOURCE = Path(__file__).with_name("sandbox_driver.py").read_text(encoding="utf-8")
MARKER = "@@pyperf@@"
NO_PYTEST = "ModuleNotFoundError: No module named 'pytest'"  # the driver's last line where pytest is missing


class ProjectRunError(RuntimeError):
    """A driver run ended without an answer; the message says why in the user's terms."""


@dataclass(frozen=True)
class CapturedCalls:
    """The target's calls made while the project's tests ran, each pickled, and what the run showed."""

    calls: tuple[str, ...]  # base64 pickles of (args, kwargs) at call time, ``self`` first for a method
    tests: tuple[tuple[str, ...], ...]  # the test ids that made each call
    skipped: int  # calls whose arguments could not be pickled
    failed: tuple[str, ...]  # tests that failed on the original
    passed: int
    errors: tuple[str, ...] = ()  # test files that could not be collected: "tests/test_x.py: ImportError: ..."
    # Whether pytest loads every plugin installed beside it: only when the tests need one the project does not name
    plugin_autoload: bool = True

    @property
    def calling_tests(self) -> list[str]:
        return sorted({t for tests in self.tests for t in tests})


def driver_program(overlay: str | None = None) -> str:
    """The driver as a program; ``overlay`` is a candidate's text for the target module."""
    return f"{DRIVER_SOURCE}\nmain({overlay!r})\n"


def driver_request(context: ModuleContext, qualname: str, mode: str, **fields: object) -> bytes:
    return pickle.dumps({"files": context.files, "import_roots": list(context.import_roots),
                         "module": context.module, "file": context.file, "qualname": qualname, "mode": mode,
                         "pytest_args": list(context.pytest_args), **fields})


def run_driver(run: Runner | Worker, context: ModuleContext, qualname: str, mode: str,
               overlay: str | None = None, limits: SandboxLimits | None = None, **fields: object) -> dict:
    """The driver's answer; ``ProjectRunError`` when the run ended without one."""
    result = run.run(driver_program(overlay), driver_request(context, qualname, mode, **fields), limits)
    return answer_of(result, limits)


def driver_runs(runner: Runner, context: ModuleContext, qualname: str, limits: SandboxLimits,
                derived_budget_s: float) -> tuple[Callable[..., dict], Callable[..., dict]]:
    """``run(mode, overlay=None, **fields)`` for the target's driver, and the same for derived calls: cut at their
    budget, so a derived call that loops costs no more than that."""
    derived_limits = replace(limits, timeout_s=min(limits.timeout_s, derived_budget_s))

    def run(mode: str, overlay: str | None = None, **fields: object) -> dict:
        return run_driver(runner, context, qualname, mode, overlay, limits, **fields)

    def run_derived(mode: str, overlay: str | None = None, **fields: object) -> dict:
        return run_driver(runner, context, qualname, mode, overlay, derived_limits, **fields)

    return run, run_derived


def answer_of(result: RunResult, limits: SandboxLimits | None) -> dict:
    for line in reversed(result.stdout_text.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    if result.status == "timeout":
        limit = f" within {limits.timeout_s:g} s" if limits else ""
        raise ProjectRunError(f"did not finish{limit}")
    lines = [line for line in result.stderr.decode("utf-8", errors="replace").splitlines() if line.strip()]
    raise ProjectRunError(lines[-1].strip() if lines else f"{result.status}: {result.reason}".strip(": "))


def capture_calls(runner: Runner, context: ModuleContext, qualname: str,
                  limits: SandboxLimits | None = None) -> CapturedCalls:
    """Run the project's tests in the sandbox, recording every call of ``qualname`` in the module.

    First without the plugins installed beside pytest that the project does not name (loading them all costs
    seconds a run: ~1.8 s in this project's own environment); when anything then fails, errors or is not
    collected, once more as the project runs them, and the later test runs load plugins the same way.
    """
    autoload = False
    try:
        answer = run_driver(runner, context, qualname, "capture", limits=limits, plugin_autoload=autoload)
        if answer["exit"] != 0:
            autoload = True
            answer = run_driver(runner, context, qualname, "capture", limits=limits, plugin_autoload=autoload)
    except ProjectRunError as exc:
        if str(exc) == NO_PYTEST:  # the user's interpreter runs the tests: it needs pytest, ours does not count
            raise ProjectRunError(f"running your tests: your interpreter ({runner.python}) has no pytest; "
                                  "install pytest into it") from exc
        raise ProjectRunError(f"running your tests: {exc}") from exc
    return CapturedCalls(tuple(answer["calls"]), tuple(tuple(t) for t in answer["tests"]), answer["skipped"],
                         tuple(answer["failed"]), answer["passed"], tuple(answer["errors"]), autoload)
