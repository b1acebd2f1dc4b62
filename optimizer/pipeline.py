"""The optimizer: generate candidates, verify them against the original, offer the best that passed.

One API for the language server and ``python -m bench generate``::

    optimizer = Optimizer(OptimizerSettings(...))
    result = optimizer.optimize_program(code, VerificationInputs.from_caller([b"3\\n1 2 3\\n"]))
    result.code, result.improved, result.verdict.speedup, result.best.engine
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from bench.core.runner import Runner
from optimizer.candidates import Candidate, OptimizationResult, Verdict, VerificationInputs
from optimizer.derived_inputs import DerivedInputCache
from optimizer.function_derived_calls import FunctionDerivedCalls
from optimizer.functions import (
    DRIVER_INPUT,
    FunctionCall,
    call_counts,
    driver_program,
    find_function,
    function_inputs,
    function_span,
)
from optimizer.generate import CandidateGenerator, GeneratorSettings
from optimizer.syntax import syntax_problem
from optimizer.verify import VerifySettings, verify_candidates, wants_derived_check, with_derived_check


class UnparsableCodeError(ValueError):
    """The code to optimise is not valid Python; the message says where."""


@dataclass(frozen=True)
class OptimizerSettings:
    generator: GeneratorSettings = field(default_factory=GeneratorSettings)
    verify: VerifySettings = field(default_factory=VerifySettings)


class Optimizer:
    """Holds the sandbox runner, the model and the knowledge base between calls.

    ``progress`` hears each stage as it starts ("generating candidates", "verifying 3 candidates"): the
    language server shows it while a job runs.
    """

    def __init__(
        self,
        settings: OptimizerSettings | None = None,
        runner: Runner | None = None,
        generator: CandidateGenerator | None = None,
        progress: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.settings = settings or OptimizerSettings()
        self._own_runner = runner is None
        self.runner = runner or Runner(jobs=1, limits=self.settings.verify.limits)
        self.generator = generator or CandidateGenerator(self.settings.generator)
        self.progress = progress
        # The derived inputs the original handled, per program version: the original runs on them once.
        self.derived_inputs = DerivedInputCache()

    def _generate(self, code: str) -> tuple[list[Candidate], list[str]]:
        self.progress("generating candidates")
        candidates, notes = self.generator.candidates(code)
        self.progress(f"verifying {len(candidates)} candidate{'s' if len(candidates) != 1 else ''}")
        return candidates, notes

    def optimize_program(self, code: str, inputs: VerificationInputs) -> OptimizationResult:
        """The best verified candidate for a stdin program, or the program unchanged."""
        started = time.perf_counter()
        problem = syntax_problem(code)
        if problem is not None:
            raise UnparsableCodeError(f"the code to optimise {problem}")
        candidates, notes = self._generate(code)
        verdicts = verify_candidates(
            self.runner, code, candidates, inputs, self.settings.verify, self.derived_inputs
        )
        return best_result(code, list(zip(candidates, verdicts, strict=True)), notes, started)

    def optimize_function(
        self, module_source: str, name: str, extra_calls: Sequence[FunctionCall] = ()
    ) -> OptimizationResult:
        """The best verified rewrite of top-level function ``name``; the result's code is the whole module.

        Verification calls the function on its doctests, literal call sites, hypothesis inputs and
        ``extra_calls`` (e.g. calls observed in the workspace's tests). Without any, candidates that parse
        are returned as ``unverified``, never as faster.
        """
        started = time.perf_counter()
        problem = syntax_problem(module_source)
        if problem is not None:
            raise UnparsableCodeError(f"the module {problem}")
        function = find_function(ast.parse(module_source), name)
        start, end = function_span(module_source, function)
        candidates, notes = self._generate(module_source[start:end])
        modules = [
            replace(c, code=module_source[:start] + _with_newline(c.code) + module_source[end:]) for c in candidates
        ]
        verdicts = self._verify_function(module_source, name, modules, extra_calls)
        tried = list(zip(modules, verdicts, strict=True))
        return best_result(module_source, tried, notes, started)

    def verify_rewrite(
        self, module_source: str, rewrite: Candidate, name: str | None = None,
        inputs: VerificationInputs | None = None, extra_calls: Sequence[FunctionCall] = ()
    ) -> OptimizationResult:
        """Verify one given rewrite of the whole module (a rule's quick fix) as the optimize methods verify
        their candidates: through function ``name``'s calls, or, without a name, as a program on ``inputs``."""
        started = time.perf_counter()
        problem = syntax_problem(module_source)
        if problem is not None:
            raise UnparsableCodeError(f"the module {problem}")
        if name is None:
            verdicts = verify_candidates(
                self.runner, module_source, [rewrite], inputs or VerificationInputs((), ()), self.settings.verify,
                self.derived_inputs,
            )
        else:
            find_function(ast.parse(module_source), name)
            verdicts = self._verify_function(module_source, name, [rewrite], extra_calls)
        return best_result(module_source, [(rewrite, verdicts[0])], [], started)

    def _verify_function(
        self, module_source: str, name: str, modules: list[Candidate], extra_calls: Sequence[FunctionCall]
    ) -> list[Verdict]:
        """Each module's verdict on function ``name``'s doctests, literal call sites and hypothesis inputs, plus
        ``extra_calls``."""
        calls = [*function_inputs(module_source, name), *extra_calls]
        if not calls:
            return [
                Verdict("unverified", "no verification inputs: no doctests, literal call sites or type hints")
                if syntax_problem(m.code) is None
                else Verdict("invalid", syntax_problem(m.code) or "")
                for m in modules
            ]
        repeat = self._calibrate(module_source, name, calls)
        drivers = [replace(m, code=driver_program(m.code, name, calls, repeat)) for m in modules]
        original = driver_program(module_source, name, calls, repeat)
        # A driver reads no stdin: inputs derived from it would say nothing; calls derived from the calls do.
        given_only = replace(self.settings.verify, derived_inputs=False)
        verdicts = verify_candidates(self.runner, original, drivers, DRIVER_INPUT, given_only)
        counts = call_counts(calls)
        verdicts = [
            replace(v, inputs_used=len(calls), input_sources=counts) if v.status != "invalid" else v for v in verdicts
        ]
        wanting = [i for i, v in enumerate(verdicts) if wants_derived_check(modules[i], v, self.settings.verify)]
        if wanting:
            derived = FunctionDerivedCalls(self.runner, module_source, name, self.settings.verify, self.progress)
            derived.check_original(calls)
            for i in wanting:
                verdicts[i] = with_derived_check(verdicts[i], *derived.first_wrong(modules[i].code))
        return verdicts

    def _calibrate(self, module_source: str, name: str, calls: list[FunctionCall]) -> int:
        """Passes over the calls that make them take ~50 ms of a driver run, so the calls, not the driver's
        fixed cost (loading the module), dominate the timing. One pass's cost is the difference between a
        driver making 11 passes and one making 1."""
        limits = self.settings.verify.limits
        one = self.runner.run(driver_program(module_source, name, calls, 1), b"", limits)
        eleven = self.runner.run(driver_program(module_source, name, calls, 11), b"", limits)
        if not (one.ok and eleven.ok):
            return 1
        per_pass = max((eleven.cpu_s - one.cpu_s) / 10, 1e-6)
        return max(1, min(10_000, int(0.05 / per_pass)))

    def close(self) -> None:
        if self._own_runner:
            self.runner.close()

    def __enter__(self) -> Optimizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def best_result(
    original: str, tried: list[tuple[Candidate, Verdict]], notes: list[str], started: float
) -> OptimizationResult:
    """The fastest verified candidate; failing that, the first unverified one (labelled so); else none."""
    faster = [(c, v) for c, v in tried if v.faster and v.speedup is not None]
    best = max(faster, key=lambda pair: pair[1].speedup or 0.0, default=None)
    if best is None:
        best = next(((c, v) for c, v in tried if v.status == "unverified"), None)
    return OptimizationResult(
        original=original,
        code=best[0].code if best and best[1].faster else original,
        best=best[0] if best else None,
        verdict=best[1] if best else None,
        tried=tried,
        seconds=time.perf_counter() - started,
        notes=notes,
    )


def _with_newline(code: str) -> str:
    return code if code.endswith("\n") else code + "\n"
