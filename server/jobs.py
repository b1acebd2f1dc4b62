"""Optimisation jobs: one killable worker process per "Optimize for speed", running the optimizer.

The job process (spawned, stdout pointed at stderr) runs the optimizer's one ``CandidateGenerator`` with
adapters of the model host for the LLM and the knowledge base (``server.remote``), then verifies the
candidates with a sandbox runner of its own. The server waits for its answer without blocking the event loop;
cancelling the wait (``$/cancelRequest``, a progress cancel, the time budget, shutdown) kills the job's whole
process tree, the sandbox's zygotes and whatever they were running included. Jobs run one at a time: two at
once would time each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from optimizer.candidates import Candidate, Engines, VerificationInputs
from optimizer.openai_model import EndpointSettings
from server.model_host import HostAddress
from server.processes import kill_tree
from server.report import changes, details, inputs_in_words

if TYPE_CHECKING:
    from optimizer.project_runs import CapturedCalls

log = logging.getLogger(__name__)
_SPAWN = multiprocessing.get_context("spawn")

JobKind = Literal["function", "program"]
NO_INPUTS = {
    "function": "no verification inputs: add a doctest, a call with literal arguments, or type hints",
    "program": "no verification inputs: set verification.inputFiles or put input*.txt beside the script",
}
MAX_CAPTURES = 32  # captured calls kept by the server, oldest dropped first
OutcomeStatus = Literal["faster", "not_faster", "unverified", "no_candidates", "failed", "timeout"]


@dataclass(frozen=True)
class JobRequest:
    kind: JobKind
    source: str  # the whole module, as of the document version the job started from
    engines: Engines
    name: str | None = None  # the function, for kind "function"
    inputs: VerificationInputs | None = None  # the program's stdin inputs, for kind "program"
    top_k: int = 2
    time_budget_s: float = 120.0
    host: HostAddress | None = None
    rewrite: str | None = None  # a given rewrite of ``source`` (a rule's quick fix): verified, nothing generated
    rewrite_rules: tuple[str, ...] = ()  # the rules that made ``rewrite``: safe ones need no derived inputs
    path: str | None = None  # the document's file (named in the report) and, for a function or method of a project,
    workspace: str | None = None  # the workspace root: its package is imported from there and its tests run there
    captured: CapturedCalls | None = None  # the calls an earlier job captured from the tests for this text and name
    python: str | None = None  # the interpreter that runs the user's code in the sandbox; None: this one
    endpoint: EndpointSettings | None = None  # an OpenAI-compatible endpoint writes the LLM's candidates
    derived_inputs: bool = True  # check untrusted candidates on inputs derived from the given ones

    @property
    def capture_key(self) -> tuple:
        """What captured calls depend on: the file, its text and the target."""
        return self.path, self.workspace, hash(self.source), self.name


@dataclass(frozen=True)
class JobOutcome:
    """What a job found, in the terms the code action shows."""

    status: OutcomeStatus
    reason: str = ""
    code: str | None = None  # the faster module, only when status == "faster"
    speedup: float | None = None
    inputs_used: int = 0
    input_sources: dict[str, int] = field(default_factory=dict)
    engine: str | None = None
    rules: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    verdicts: tuple[str, ...] = ()  # each tried candidate's verdict status ("wrong": its output differed)
    verified_on: str = ""  # the evidence in words, where it is more than input counts (calls captured from tests)
    model: str | None = None  # the model that wrote the faster code, when one did
    details: str = ""  # the markdown report behind "Show details" (``server.report``)
    captured: CapturedCalls | None = None  # the calls captured from the tests, for the next job on this text

    @property
    def improved(self) -> bool:
        return self.status == "faster" and self.code is not None


def title(outcome: JobOutcome) -> str:
    """The code action's title, e.g. "Optimize for speed: 5.6x faster. Verified on input1.txt (1 input); rules
    PERF103, PERF105 applied"."""
    if outcome.status == "faster":
        changed = changes(outcome.engine, outcome.rules, outcome.model)
        return (f"Optimize for speed: {outcome.speedup:.1f}x faster. Verified on {evidence(outcome)}"
                + (f"; {changed}" if changed else ""))
    if outcome.status == "unverified":
        return f"Optimize for speed: unverified, no edit offered ({outcome.reason})"
    return f"Optimize for speed: no verified speedup ({outcome.reason})"


def evidence(outcome: JobOutcome) -> str:
    """What a speedup was verified on: "input1.txt (1 input)", or a project function's captured calls."""
    return outcome.verified_on or inputs_in_words(outcome.inputs_used, outcome.input_sources)


def outcome_of(result, kind: JobKind, seconds: float) -> JobOutcome:
    """A ``JobOutcome`` from the optimizer's ``OptimizationResult``."""
    notes = tuple(result.notes)
    verdict, best = result.verdict, result.best
    if result.improved:
        return JobOutcome("faster", "", result.code, verdict.speedup, verdict.inputs_used,
                          dict(verdict.input_sources), best.engine, tuple(best.rules), notes, seconds,
                          verified_on=verdict.evidence, model=best.model)
    if not result.tried:
        reason = "no candidate rewrite was found"
        if notes:
            reason += f"; {notes[0]}"
        return JobOutcome("no_candidates", reason, notes=notes, seconds=seconds)
    if verdict is not None and verdict.status == "unverified":
        reason = verdict.reason or "no verification inputs"
        if reason.startswith("no verification inputs"):
            reason = NO_INPUTS[kind]
        return JobOutcome("unverified", reason, notes=notes, seconds=seconds)
    counts: dict[str, int] = {}
    reasons: dict[str, str] = {}  # the first reason of each status: what a user can act on
    for _, v in result.tried:
        counts[v.status.replace("_", " ")] = counts.get(v.status.replace("_", " "), 0) + 1
        reasons.setdefault(v.status.replace("_", " "), v.reason)
    tried = ", ".join(f"{n} {status}" + (f" ({reasons[status]})" if reasons[status] else "")
                      for status, n in counts.items())
    return JobOutcome("not_faster", f"{len(result.tried)} candidate{'s' if len(result.tried) != 1 else ''} tried: "
                      f"{tried}", notes=notes, seconds=seconds, verdicts=tuple(v.status for _, v in result.tried))


def run_job(request: JobRequest, progress: Callable[[str], None] = lambda _: None) -> JobOutcome:
    """Run one optimisation to the end in this process (the job process calls this)."""
    from bench.core.runner import Runner
    from bench.core.sandbox import SandboxLimits
    from optimizer.functions import FunctionNotFoundError
    from optimizer.generate import CandidateGenerator, GeneratorSettings
    from optimizer.llm import GenerationSettings
    from optimizer.package_context import PackageContextError
    from optimizer.pipeline import Optimizer, OptimizerSettings, UnparsableCodeError
    from optimizer.project_optimize import optimize_in_workspace
    from optimizer.project_runs import ProjectRunError
    from optimizer.verify import VerifySettings
    from server.remote import RemoteModel, RemoteRetriever

    started = time.perf_counter()
    limits = SandboxLimits(timeout_s=max(1.0, min(10.0, request.time_budget_s / 4)))
    # The LLM gets a third of the job's time at most, so verification has the rest.
    generation = GenerationSettings(time_budget_s=max(5.0, min(60.0, request.time_budget_s / 3)))
    generator = CandidateGenerator(
        GeneratorSettings(request.engines, request.top_k, generation=generation, endpoint=request.endpoint),
        model=None if request.endpoint else RemoteModel(request.host), retriever=RemoteRetriever(request.host))
    settings = OptimizerSettings(verify=VerifySettings(limits=limits, derived_inputs=request.derived_inputs))
    captured = None
    fix = None if request.rewrite is None else Candidate(request.rewrite, "rules", rules=request.rewrite_rules)
    try:
        with Runner(jobs=1, limits=limits, python=request.python) as runner, \
                Optimizer(settings, runner=runner, generator=generator, progress=progress) as optimizer:
            if request.kind == "function" and request.name and request.path and request.workspace:
                result, captured = optimize_in_workspace(optimizer, Path(request.workspace), Path(request.path),
                                                         request.source, request.name, request.captured, fix)
            elif fix is not None:
                name = request.name if request.kind == "function" else None
                result = optimizer.verify_rewrite(request.source, fix, name, request.inputs)
            elif request.kind == "function":
                assert request.name is not None
                result = optimizer.optimize_function(request.source, request.name)
            else:
                result = optimizer.optimize_program(request.source, request.inputs or VerificationInputs((), ()))
    except (UnparsableCodeError, FunctionNotFoundError, PackageContextError, ProjectRunError) as exc:
        return JobOutcome("failed", _unquoted(str(exc)), seconds=time.perf_counter() - started)
    outcome = outcome_of(result, request.kind, time.perf_counter() - started)
    return replace(outcome, captured=captured, details=details(result, title(outcome), request.path, request.kind))


def _unquoted(message: str) -> str:
    """A message without the quotes a KeyError puts around it; quotes inside it stay ("No module named 'x'")."""
    if len(message) >= 2 and message[0] == message[-1] and message[0] in "'\"":
        return message[1:-1]
    return message


def _job_main(request: JobRequest, conn: Connection, log_level: int) -> None:
    """Entry point of a job process."""
    from server.processes import detach_from_lsp_stream, die_with_parent

    detach_from_lsp_stream()
    die_with_parent()
    logging.basicConfig(level=log_level, format="pyperf job: %(levelname)s %(message)s")
    try:
        outcome = run_job(request, lambda message: conn.send(("progress", message)))
    except Exception as exc:
        logging.exception("the optimisation job failed")
        outcome = JobOutcome("failed", f"{type(exc).__name__}: {exc}")
    conn.send(("done", outcome))


class JobRunner:
    """Starts job processes one at a time and kills them (and their sandboxes) when asked to stop."""

    def __init__(self) -> None:
        self._turn = asyncio.Lock()
        self._live: set[int] = set()
        # Calls captured from a project's tests, by file text and target: running the tests is the slow part,
        # and another request on the same version (other engines, a quick fix) needs the same calls.
        self._captures: dict[tuple, CapturedCalls] = {}

    async def run(self, request: JobRequest, on_progress: Callable[[str], None] = lambda _: None) -> JobOutcome:
        """The job's outcome; ``asyncio.CancelledError`` in the caller kills the job."""
        if self._turn.locked():
            on_progress("waiting for the optimisation already running")
        async with self._turn:
            if request.kind == "function" and request.path and request.captured is None:
                request = replace(request, captured=self._captures.get(request.capture_key))
            outcome = await self._run(request, on_progress)
        if outcome.captured is not None:
            self._captures.pop(request.capture_key, None)
            self._captures[request.capture_key] = outcome.captured
            while len(self._captures) > MAX_CAPTURES:
                del self._captures[next(iter(self._captures))]
        return outcome

    async def _run(self, request: JobRequest, on_progress: Callable[[str], None]) -> JobOutcome:
        loop = asyncio.get_running_loop()
        receiver, sender = _SPAWN.Pipe(duplex=False)
        process = _SPAWN.Process(target=_job_main, args=(request, sender, logging.getLogger().level),
                                 name="pyperf-job", daemon=False)
        started = time.perf_counter()
        await loop.run_in_executor(None, process.start)
        sender.close()
        assert process.pid is not None
        self._live.add(process.pid)
        messages: asyncio.Queue = asyncio.Queue()

        def readable() -> None:
            try:
                messages.put_nowait(receiver.recv())
            except (EOFError, OSError):
                loop.remove_reader(receiver.fileno())
                messages.put_nowait(("done", JobOutcome("failed", "the optimisation process died")))

        loop.add_reader(receiver.fileno(), readable)
        try:
            deadline = started + request.time_budget_s
            while True:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    return JobOutcome("timeout", f"stopped after {request.time_budget_s:g} s "
                                      "(verification.timeBudgetSeconds)", seconds=time.perf_counter() - started)
                try:
                    kind, payload = await asyncio.wait_for(messages.get(), remaining)
                except TimeoutError:
                    continue
                if kind == "progress":
                    on_progress(payload)
                else:
                    return payload
        finally:
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(receiver.fileno())
            receiver.close()
            kill_tree(process.pid)
            self._live.discard(process.pid)
            await loop.run_in_executor(None, process.join, 5)

    def kill_all(self) -> None:
        """Kill every running job (server shutdown)."""
        for pid in list(self._live):
            kill_tree(pid)
        self._live.clear()
