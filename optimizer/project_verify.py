"""Verifying a rewrite of a function or method with the project's own tests, and saying on what evidence.

Two checks, both required: (a) the calls captured from the tests are replayed on the original and on the
candidate, whose outcomes (return value or exception type, the arguments and ``self`` afterwards) must agree
by ``deep_difference``; calls whose outcome differs between two runs of the original (randomness, time, I/O)
are dropped and counted, as are outcomes that cannot be pickled. (b) The tests that made those calls are run
against the candidate: any failure rejects it. Survivors are timed on the replayed calls, repeated to ~200 ms,
interleaved with the original, with the usual noise-aware threshold (``verify_candidates``).

Trust by origin, as for stdin programs (``needs_derived_inputs``): a candidate that a model wrote, or an unsafe
rule's, must also match the original on calls derived from the captured ones (``optimizer.derived_calls``:
boundary values and hypothesis draws of the same types and shapes, the original as the oracle and the filter).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from bench.core.runner import Runner
from optimizer.candidates import Candidate, Verdict, VerificationInputs
from optimizer.derived_calls import CheckedCalls, check_on_original, derive_calls, first_wrong
from optimizer.package_context import ModuleContext
from optimizer.project_runs import CapturedCalls, ProjectRunError, driver_program, driver_request, driver_runs
from optimizer.syntax import syntax_problem
from optimizer.verify import VerifySettings, needs_derived_inputs, verify_candidates

TARGET_TIME_S = 0.2  # how long the replayed calls should take per timed run, so they dominate its fixed cost
MAX_FAILED_TESTS_SHOWN = 2


@dataclass(frozen=True)
class Evidence:
    """What the verdicts rest on, in the words of a title."""

    calls: int
    tests: tuple[str, ...]
    dropped: dict[str, int]  # why calls were left out -> how many
    derived: CheckedCalls = field(default_factory=CheckedCalls)

    def describe(self) -> str:
        """E.g. "37 calls captured from 5 tests (tests/test_catalog.py), 5 tests pass; 24 derived calls"."""
        files = sorted({t.split("::", 1)[0] for t in self.tests})
        tests = f"{len(self.tests)} test{'s' if len(self.tests) != 1 else ''}"
        verb = "passes" if len(self.tests) == 1 else "pass"
        text = f"{self.calls} call{'s' if self.calls != 1 else ''} captured from {tests} ({', '.join(files)}), " \
               f"{tests} {verb}"
        dropped = ", ".join(f"{n} {why}" for why, n in self.dropped.items() if n)
        text = f"{text}; left out: {dropped}" if dropped else text
        derived = self.derived.describe()
        return f"{text}; {derived}" if derived else text


class ProjectVerifier:
    """Verifies candidate modules for one target on the calls captured from the project's tests."""

    def __init__(self, runner: Runner, context: ModuleContext, qualname: str, captured: CapturedCalls,
                 settings: VerifySettings, progress: Callable[[str], None] = lambda _: None) -> None:
        self.runner, self.context, self.qualname = runner, context, qualname
        self.captured, self.settings, self.progress = captured, settings, progress
        self.name = qualname.rsplit(".", 1)[-1]
        self._run, self._run_derived = driver_runs(runner, context, qualname, settings.limits,
                                                   settings.derived_budget_s)

    def verify(self, modules: Sequence[Candidate]) -> list[Verdict]:
        """One verdict per candidate module (the whole module's text, the target rewritten)."""
        verdicts: list[Verdict | None] = [None] * len(modules)
        for i, module in enumerate(modules):
            problem = syntax_problem(module.code)
            if problem is not None:
                verdicts[i] = Verdict("invalid", problem)
            elif module.code == self.context.files[self.context.file]:
                verdicts[i] = Verdict("not_faster", "identical to the original")
        pending = [i for i, v in enumerate(verdicts) if v is None]
        if pending:
            try:
                for i, verdict in zip(pending, self._verify([modules[i] for i in pending]), strict=True):
                    verdicts[i] = verdict
            except ProjectRunError as exc:
                for i in pending:
                    verdicts[i] = Verdict("unverified", f"the original {exc}")
        return [v for v in verdicts if v is not None]

    def _verify(self, modules: list[Candidate]) -> list[Verdict]:
        captured = self.captured
        tests = captured.calling_tests
        if not captured.calls and captured.errors:
            return [Verdict("unverified", f"your tests could not be collected: {captured.errors[0]}") for _ in modules]
        if not captured.calls:
            reason = f"your tests never call {self.qualname}"
            if captured.skipped:
                reason += f" with arguments that can be pickled ({captured.skipped} calls skipped)"
            return [Verdict("unverified", reason) for _ in modules]
        failing = [t for t in captured.failed if t in tests]
        if failing:
            return [Verdict("unverified", f"tests fail on the original: {_shown(failing)}") for _ in modules]
        self.progress(f"replaying {len(captured.calls)} captured calls on the original")
        calls, expected, mutates, dropped = self._stable_calls()
        if not calls:
            return [Verdict("unverified", "no captured call behaves the same on two runs of the original")
                    for _ in modules]
        wanting = {i for i, m in enumerate(modules) if self.settings.derived_inputs and needs_derived_inputs(m)}
        derived = self._derived_calls(calls, expected) if wanting else CheckedCalls()
        evidence = Evidence(len(calls), tuple(tests), {"with unpicklable arguments": captured.skipped, **dropped},
                            derived)
        common = {"inputs_used": len(calls), "input_sources": {"captured calls": len(calls)},
                  "evidence": evidence.describe()}
        verdicts: list[Verdict | None] = [None] * len(modules)
        checked = [0] * len(modules)
        for i, module in enumerate(modules):
            self.progress(f"checking candidate {i + 1} of {len(modules)} on the calls and {len(tests)} tests")
            problems = self._problems(module.code, calls, expected, tests)
            if not problems and i in wanting:
                checked[i], wrong = first_wrong(self._run, module.code, derived)
                problems = [wrong] if wrong else []
            if problems:
                verdicts[i] = Verdict("wrong", "; ".join(problems), inputs_used=len(calls),
                                      derived_inputs_checked=checked[i])
        survivors = [i for i, v in enumerate(verdicts) if v is None]
        if survivors:
            self.progress(f"timing {len(survivors)} candidate{'s' if len(survivors) != 1 else ''} on the calls")
            timed = self._time([modules[i] for i in survivors], calls, mutates)
            for i, verdict in zip(survivors, timed, strict=True):
                if verdict.status != "invalid":
                    verdicts[i] = replace(verdict, **common, derived_inputs_checked=checked[i])
                else:
                    verdicts[i] = verdict
        return [v for v in verdicts if v is not None]

    def _derived_calls(self, calls: list[str], expected: list[str]) -> CheckedCalls:
        """Calls derived from the captured ones that the original handles as it handles those (none from calls
        whose arguments are not plain data: a method's ``self``, the project's objects)."""
        derived = derive_calls(calls, self.settings.derived_max_inputs)
        if not derived:
            return CheckedCalls()
        self.progress(f"running the original on {len(derived)} derived calls")
        return check_on_original(self._run_derived, derived, expected, self.settings.derived_budget_s)

    def _stable_calls(self) -> tuple[list[str], list[str], list[bool], dict[str, int]]:
        """The calls whose outcome can be pickled and is the same on two runs of the original."""
        calls = list(self.captured.calls)
        first = self._run("record", calls=calls)
        keep = [k for k, outcome in enumerate(first["outcomes"]) if outcome is not None]
        calls = [calls[k] for k in keep]
        expected = [first["outcomes"][k] for k in keep]
        mutates = [first["mutates"][k] for k in keep]
        second = self._run("check", calls=calls, expected=expected)["differences"]
        stable = [k for k, difference in enumerate(second) if difference is None]
        dropped = {"that could not be replayed (pickling)": len(first["outcomes"]) - len(keep),
                   "that differ between two runs of the original": len(calls) - len(stable)}
        return ([calls[k] for k in stable], [expected[k] for k in stable], [mutates[k] for k in stable], dropped)

    def _problems(self, module: str, calls: list[str], expected: list[str], tests: list[str]) -> list[str]:
        """Why the candidate is wrong: the first call it gets wrong, the tests it fails; empty when none."""
        problems = []
        try:
            differences = [d for d in self._run("check", module, calls=calls, expected=expected)["differences"] if d]
            if differences:
                more = f" (and {len(differences) - 1} more calls)" if len(differences) > 1 else ""
                problems.append(differences[0] + more)
        except ProjectRunError as exc:
            problems.append(f"replaying the calls: {exc}")
        try:
            failed = self._run("tests", module, tests=tests, plugin_autoload=self.captured.plugin_autoload)["failed"]
            if failed:
                problems.append(f"{len(failed)} test{'s' if len(failed) != 1 else ''} fail: {_shown(failed)}")
        except ProjectRunError as exc:
            problems.append(f"running the tests: {exc}")
        return problems

    def _time(self, modules: list[Candidate], calls: list[str], mutates: list[bool]) -> list[Verdict]:
        repeat = self._calibrate(calls, mutates)
        stdin = driver_request(self.context, self.qualname, "time", calls=calls, mutates=mutates, repeat=repeat)
        programs = [replace(m, code=driver_program(m.code)) for m in modules]
        inputs = VerificationInputs((stdin,), ("captured calls",))
        # The calls were checked already; inputs derived by mutating a pickle would only fail to load.
        settings = replace(self.settings, derived_inputs=False)
        return verify_candidates(self.runner, driver_program(), programs, inputs, settings)

    def _calibrate(self, calls: list[str], mutates: list[bool]) -> int:
        """Passes over the calls that make a timed run take ~200 ms beyond its fixed cost (loading the package):
        one pass's cost is the difference between runs of 11 passes and of 1."""
        results = [self.runner.run(driver_program(),
                                   driver_request(self.context, self.qualname, "time", calls=calls, mutates=mutates,
                                                  repeat=repeat), self.settings.limits)
                   for repeat in (1, 11)]
        if not all(r.ok for r in results):
            return 1
        per_pass = max((results[1].cpu_s - results[0].cpu_s) / 10, 1e-6)
        return max(1, min(10_000, int(TARGET_TIME_S / per_pass)))


def _shown(tests: Sequence[str]) -> str:
    more = f" and {len(tests) - MAX_FAILED_TESTS_SHOWN} more" if len(tests) > MAX_FAILED_TESTS_SHOWN else ""
    return ", ".join(tests[:MAX_FAILED_TESTS_SHOWN]) + more
