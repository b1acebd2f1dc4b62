"""Optimising a function or method of a project: the target alone goes to the generator, the rewrite is
verified on the calls captured from the project's own tests and by those tests (``project_verify``).

The language server's job calls ``optimize_in_workspace``; ``optimize_target`` is the same on calls captured
already (a cache keyed by the document's version keeps them across requests).
"""

from __future__ import annotations

import ast
import time
from dataclasses import replace
from pathlib import Path

from optimizer.candidates import Candidate, OptimizationResult, Verdict
from optimizer.package_context import ModuleContext, PackageContextError, module_context
from optimizer.pipeline import Optimizer, UnparsableCodeError, best_result
from optimizer.project_runs import CapturedCalls, capture_calls
from optimizer.project_verify import ProjectVerifier
from optimizer.syntax import syntax_problem
from optimizer.targets import find_target, model_region, splice

# The whole test suite runs once to capture calls: give it longer than one verification run.
CAPTURE_TIMEOUT_FACTOR = 4
NO_CALLS = CapturedCalls((), (), 0, (), 0)  # a workspace without tests


def optimize_in_workspace(optimizer: Optimizer, workspace: Path, path: Path, source: str, qualname: str,
                          captured: CapturedCalls | None = None, rewrite: Candidate | None = None,
                          ) -> tuple[OptimizationResult, CapturedCalls | None]:
    """The best verified rewrite of ``qualname`` in ``source`` (the editor's text of ``path``), and the calls
    captured from the workspace's tests (None when it has none), for the caller to keep for this version.
    ``rewrite``, a given rewrite of the whole module (a rule's quick fix), is verified instead of generating.

    A top-level function that the tests never call (or a workspace without tests) is verified on its doctests,
    literal call sites and type hints (``Optimizer``); a method has nothing else to be verified on.
    """
    problem = syntax_problem(source)
    if problem is not None:
        raise UnparsableCodeError(f"the module {problem}")
    find_target(ast.parse(source), source, qualname)
    try:
        context = module_context(workspace, path, source)
    except PackageContextError:
        if "." in qualname:
            raise
        context = None  # a lone script, or a workspace too big to copy: the function's own inputs still serve
    if context is not None and context.has_tests and captured is None:
        optimizer.progress("running your tests to capture calls")
        limits = optimizer.settings.verify.limits
        captured = capture_calls(optimizer.runner, context, qualname,
                                 replace(limits, timeout_s=limits.timeout_s * CAPTURE_TIMEOUT_FACTOR))
    if context is None or ("." not in qualname and (captured is None or not captured.calls)):
        if rewrite is not None:
            return optimizer.verify_rewrite(source, rewrite, qualname), captured
        return optimizer.optimize_function(source, qualname), captured
    return optimize_target(optimizer, context, qualname, captured or NO_CALLS, rewrite), captured


def optimize_target(optimizer: Optimizer, context: ModuleContext, qualname: str, captured: CapturedCalls,
                    rewrite: Candidate | None = None) -> OptimizationResult:
    """Generate rewrites of the target from its region alone (or take ``rewrite``, a whole module), put each
    back into the module and verify them."""
    started = time.perf_counter()
    source = context.files[context.file]
    tree = ast.parse(source)
    target = find_target(tree, source, qualname)
    modules: list[Candidate] = []
    verdicts: list[Verdict | None] = []
    notes: list[str] = []
    if rewrite is not None:
        modules, verdicts = [rewrite], [None]
    else:
        optimizer.progress("generating candidates")
        candidates, notes = optimizer.generator.candidates(model_region(source, tree, target))
        for candidate in candidates:
            module = splice(source, tree, target, candidate.code)
            modules.append(replace(candidate, code=module if module is not None else candidate.code))
            verdicts.append(None if module is not None else Verdict("invalid", f"the rewrite has no {target.name}"))
    pending = [i for i, v in enumerate(verdicts) if v is None]
    if pending:
        optimizer.progress(f"verifying {len(pending)} candidate{'s' if len(pending) != 1 else ''}")
        verifier = ProjectVerifier(optimizer.runner, context, qualname, captured, optimizer.settings.verify,
                                   optimizer.progress)
        for i, verdict in zip(pending, verifier.verify([modules[i] for i in pending]), strict=True):
            verdicts[i] = verdict
    tried = [(m, v) for m, v in zip(modules, verdicts, strict=True) if v is not None]
    return best_result(source, tried, notes, started)
