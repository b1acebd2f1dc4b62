"""Derived calls for a top-level function verified on its own calls (doctests, literal call sites, hypothesis
inputs), as a project's function is on the calls derived from its captured ones.

A rewrite that matches the original on the one or two calls a docstring shows may still be wrong on an empty list
or ``n=0``. The calls whose arguments are all literals are pickled as captured calls are, and the same derivation
and oracle run on them (``optimizer.derived_calls``): the sandbox driver (``optimizer.sandbox_driver``) imports
the module from a workspace that holds only it, records the original's outcomes, drops the derived calls it
handles differently from the given ones, and replays the rest on each candidate with the deep comparator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bench.core.runner import Runner
from optimizer.derived_calls import CheckedCalls, check_on_original, derive_calls, first_wrong, pickled_call
from optimizer.functions import FunctionCall, literal_arguments
from optimizer.package_context import ModuleContext
from optimizer.project_runs import ProjectRunError, driver_runs
from optimizer.verify import VerifySettings

# The module's name in the one-file workspace: not a name the module itself could import, so none shadows it.
LONE_MODULE = "_pyperf_lone_module"


class FunctionDerivedCalls:
    """The derived calls of function ``name`` of ``module_source`` that the original handles, and each
    candidate module checked on them."""

    def __init__(self, runner: Runner, module_source: str, name: str, settings: VerifySettings,
                 progress: Callable[[str], None] = lambda _: None) -> None:
        self.settings, self.progress = settings, progress
        context = ModuleContext(LONE_MODULE, f"{LONE_MODULE}.py", ("",), {f"{LONE_MODULE}.py": module_source})
        self._run, self._run_derived = driver_runs(runner, context, name, settings.limits, settings.derived_budget_s)
        self.checked = CheckedCalls()

    def check_original(self, calls: Sequence[FunctionCall]) -> CheckedCalls:
        """Derive calls from the literal ones among ``calls`` and keep those the original handles as it handles
        them; none when no call is literal or the module cannot run as an imported module."""
        # literals are plain data: they always pickle
        given = [pickled_call(*arguments) for call in calls if (arguments := literal_arguments(call)) is not None]
        derived = derive_calls(given, self.settings.derived_max_inputs)
        if not derived:
            return self.checked
        self.progress(f"running the original on {len(derived)} derived calls")
        try:
            outcomes = [o for o in self._run("record", calls=given)["outcomes"] if o is not None]
        except ProjectRunError:  # e.g. the module reads stdin when imported: the drivers' runs said what they saw
            return self.checked
        self.checked = check_on_original(self._run_derived, derived, outcomes, self.settings.derived_budget_s)
        return self.checked

    def first_wrong(self, module: str) -> tuple[int, str | None]:
        """How many derived calls ``module`` (a candidate's whole module) was checked on, and why it is wrong."""
        return first_wrong(self._run, module, self.checked)
