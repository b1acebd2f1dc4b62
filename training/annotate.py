"""``python -m training annotate``: run each sampled solution on its problem's tests, sandboxed, and time it.

Everything runs through the project's one runner (:class:`bench.core.runner.Runner`, one pool) and timing
(:func:`bench.core.timing.time_programs`: CPU time, ``num_trials`` trials, the first ``ignore_first_k`` dropped, the
median kept), so a solution that loops, forks without end or allocates gigabytes ends as a failure with the
sandbox's reason instead of hanging the run.

- Function problems (MBPP, HumanEval): the problem's prompt (its imports and helpers; the stub it declares is
  then replaced) and the solution are executed as a module named ``solution`` (so a demo under ``if __name__ ==
  "__main__":`` does not run, as in HumanEval-style harnesses), then the problem's ``check`` function in the
  same namespace, ``check(<entry_point>)`` and a final marker line. It passes when it exits 0 with the marker
  last on stdout, so a solution that calls ``sys.exit(0)`` before the tests ran does not pass. A solution that
  does not define the entry point at its top level fails without running.
- Stdio problems (CodeNet): the solution runs on every sample input; its outputs must match the expected ones
  (:func:`bench.core.compare.outputs_match`).

``runtime_s`` is the median CPU time of the whole program (compile, the solution's definitions, the tests), in
seconds, divided by ``repeat`` (function problems: how many times the program calls ``check``, 1000 by default),
for passing solutions; null otherwise. A run costs ~1.5 ms whatever the solution, while most MBPP tests take a
few microseconds: with repeat 1 the runtimes of one problem's solutions are that overhead and its noise (two
runs of the same 120 solutions ranked them alike with a within-problem Spearman of -0.08; with 1000, 0.57).
A solution that times out only when repeated is timed with one call, so ``repeat`` never changes a verdict.
Output rows: the input row plus ``passed, runtime_s, reason``.

``--code-optimise FILE`` converts Code-Optimise's timed MBPP solutions (``mbpp/solutions_*.jsonl``) into the
same rows without running anything: ``code`` = the question's signature + the answer's body, ``passed`` = its
``votes`` (mean runtime) is not null, ``runtime_s`` = votes x 1e-9 (the values, ~1e5 for a few asserts, read as
nanoseconds; only their ratios matter to ``merge``), ``model`` = the file's name without ``solutions_``.
"""

from __future__ import annotations

import argparse
import ast
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.syntax import compiles
from training.problems import Problem, ProblemDataError, problems_by_id
from training.records import Report, open_for_append, read_jsonl, warn, write_row

if TYPE_CHECKING:
    from bench.core.runner import Runner, Worker

PASS_MARKER = "__pyperf_tests_passed__"
SAMPLE_FIELDS = ("problem_id", "sample_id", "code")
CODE_OPTIMISE_NS = 1e-9


@dataclass(frozen=True)
class AnnotateOptions:
    """Sandbox limits and timing of the annotation runs."""

    timeout_s: float = 10.0
    memory_mb: int = 2048
    num_trials: int = 5
    ignore_first_k: int = 1
    jobs: int | None = None  # runner workers (default: one per usable CPU)
    # Function problems: calls of check() per run; runtime_s is the run's time over this. MBPP's tests take a few
    # microseconds, far under the ~1.5 ms a run costs anyway: repeating them makes the solution's own work count.
    # A solution that times out when repeated is run once instead, so repeat never changes a verdict.
    repeat: int = 1000
    progress: bool = True
    resume: bool = False

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError(f"timeout must be > 0, got {self.timeout_s}")
        if self.memory_mb < 64:
            raise ValueError(f"memory limit must be >= 64 MiB, got {self.memory_mb}")
        if not 0 <= self.ignore_first_k < self.num_trials:
            raise ValueError("need 0 <= ignore_first_k < num_trials")
        if self.repeat < 1:
            raise ValueError(f"repeat must be >= 1, got {self.repeat}")


@dataclass(frozen=True)
class Annotation:
    passed: bool
    runtime_s: float | None
    reason: str | None

    def to_json(self) -> dict:
        runtime = None if self.runtime_s is None else round(self.runtime_s, 9)
        return {"passed": self.passed, "runtime_s": runtime, "reason": self.reason}


@dataclass
class AnnotateStats:
    rows: int = 0
    passed: int = 0
    skipped: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.rows} solutions annotated, {self.passed} passed ({self.skipped} already done), "
                f"{self.seconds:.1f} s")


def static_problem(problem: Problem, code: str | None) -> str | None:
    """Why ``code`` cannot pass without running it (no code, a syntax error, no entry point); None if it may."""
    if code is None or not code.strip():
        return "no code: the answer held no python block"
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) and exc.lineno else ""
        return f"does not parse: {exc.__class__.__name__}: {getattr(exc, 'msg', exc)}{where}"
    if problem.kind == "function" and problem.entry_point not in _top_level_names(tree):
        return f"does not define the entry point {problem.entry_point!r}"
    return None


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def build_program(problem: Problem, code: str, repeat: int = 1) -> str:
    """The program that tests ``code`` on a function problem (see the module docstring), calling ``check``
    ``repeat`` times (the first call decides; the others only add to the time)."""
    # The prompt's stub (a docstring is a whole body) is defined first and replaced by the solution's function;
    # a prompt that does not parse on its own is left out rather than failing every solution.
    prefix = f"{problem.prompt.rstrip()}\n\n\n" if compiles(problem.prompt) else ""
    # Executed as a module named "solution", as HumanEval-style harnesses (Code-Optimise's included) do: a demo
    # under `if __name__ == "__main__":` (reading stdin, calling main()) is not part of the solution.
    return (
        "_namespace = {'__name__': 'solution'}\n"
        f"exec(compile({prefix + code.rstrip() + chr(10)!r}, 'solution.py', 'exec'), _namespace)\n"
        f"exec(compile({problem.test_code.rstrip() + chr(10)!r}, 'tests.py', 'exec'), _namespace)\n"
        f"for _ in range({repeat}):\n"
        f"    _namespace['check'](_namespace[{problem.entry_point!r}])\n"
        f"print({PASS_MARKER!r})\n"
    )


def annotate_solution(worker: Worker, problem: Problem, code: str | None, options: AnnotateOptions) -> Annotation:
    """Run and time one solution on one held worker."""
    from bench.core.compare import first_difference, outputs_match
    from bench.core.sandbox import RunResult, SandboxLimits
    from bench.core.timing import TimingSettings, time_programs

    rejected = static_problem(problem, code)
    if rejected is not None:
        return Annotation(False, None, rejected)
    assert code is not None
    if problem.kind == "function":
        program, inputs = build_program(problem, code, options.repeat), [b""]

        def check(_name: str, _index: int, result: RunResult) -> str | None:
            lines = result.stdout.decode("utf-8", errors="replace").rstrip().splitlines()
            return None if lines and lines[-1] == PASS_MARKER else "exited 0 before the tests finished"
    else:
        program, inputs = code, [given.encode() for given, _ in problem.io_cases]
        expected = [want for _, want in problem.io_cases]

        def check(_name: str, index: int, result: RunResult) -> str | None:
            if outputs_match(result.stdout, expected[index]):
                return None
            return first_difference(result.stdout, expected[index])

    settings = TimingSettings(num_trials=options.num_trials, ignore_first_k=options.ignore_first_k, metric="cpu")
    limits = SandboxLimits(timeout_s=options.timeout_s, memory_bytes=options.memory_mb << 20)
    timing = time_programs(worker, {"solution": program}, inputs, settings, check=check, limits=limits)["solution"]
    calls = options.repeat if problem.kind == "function" else 1
    if calls > 1 and timing.failure is not None and "timeout" in timing.failure:
        # A correct but slow solution must not fail for being repeated: time it with one call instead (its own
        # work then dwarfs the run's fixed cost anyway).
        program, calls = build_program(problem, code, 1), 1
        timing = time_programs(worker, {"solution": program}, inputs, settings, check=check, limits=limits)["solution"]
    if not timing.ok:
        failure = timing.failure or "no timing"
        if problem.kind == "function":  # one input: "input 0: " says nothing there
            failure = failure.removeprefix("input 0: ")
        return Annotation(False, None, failure[:300])
    return Annotation(True, timing.median_s / calls, None)


def annotate_rows(rows: Iterable[dict], problems: Mapping[str, Problem], runner: Runner,
                  options: AnnotateOptions) -> Iterator[dict]:
    """Each row with its annotation, in input order, the runner's workers busy in parallel."""

    def one(row: dict) -> dict:
        problem = problems.get(str(row["problem_id"]))
        if problem is None:
            annotation = Annotation(False, None, f"unknown problem {row['problem_id']!r}")
        else:
            with runner.worker() as worker:
                annotation = annotate_solution(worker, problem, row.get("code"), options)
        return {**row, **annotation.to_json()}

    with ThreadPoolExecutor(max_workers=runner.jobs) as pool:
        yield from pool.map(one, rows)


def annotate_file(source: Path, out: Path, options: AnnotateOptions, data: Path | None = None,
                  report: Report = warn, problems: Mapping[str, Problem] | None = None) -> AnnotateStats:
    """Annotate the sampled rows of ``source`` into ``out``; ``resume`` skips rows already there.

    The rows' problems are looked up in ``problems`` if given, else loaded from the data folder by their ids."""
    from tqdm import tqdm

    from bench.core.runner import Runner
    from bench.core.sandbox import SandboxLimits

    rows = [row for _, row in read_jsonl(source, required=SAMPLE_FIELDS, report=report)]
    done: set[tuple[str, str]] = set()
    if options.resume and out.is_file():
        done = {_key(row) for _, row in read_jsonl(out, required=SAMPLE_FIELDS, report=report)}
    todo = [row for row in rows if _key(row) not in done]
    if problems is None:
        problems = problems_by_id({str(row["problem_id"]) for row in todo}, data) if todo else {}
    stats = AnnotateStats(skipped=len(rows) - len(todo))
    start = time.perf_counter()
    limits = SandboxLimits(timeout_s=options.timeout_s, memory_bytes=options.memory_mb << 20)
    with Runner(jobs=options.jobs, limits=limits) as runner, open_for_append(out, options.resume) as handle:
        bar = tqdm(total=len(todo), desc="annotating", unit="solution", disable=not options.progress,
                   dynamic_ncols=True)
        for row in annotate_rows(todo, problems, runner, options):
            write_row(handle, row)
            stats.rows += 1
            stats.passed += bool(row["passed"])
            bar.update()
        bar.close()
    stats.seconds = time.perf_counter() - start
    return stats


def _key(row: dict) -> tuple[str, str]:
    return str(row["problem_id"]), str(row["sample_id"])


def convert_code_optimise(path: Path, report: Report = warn) -> Iterator[dict]:
    """Code-Optimise's timed solutions (``mbpp/solutions_*.jsonl``) as annotated rows (module docstring)."""
    model = path.stem.removeprefix("solutions_")
    for number, record in read_jsonl(path, required=("id", "question", "answers"), report=report):
        answers = record["answers"]
        if not isinstance(answers, list):
            report(f"{path}:{number}: skipped: 'answers' is not a list")
            continue
        question = str(record["question"]).replace("\r\n", "\n").rstrip()
        for k, answer in enumerate(answers):
            if not isinstance(answer, dict) or not isinstance(answer.get("text"), str):
                report(f"{path}:{number}: answer {k} skipped: no 'text'")
                continue
            votes = answer.get("votes")
            passed = isinstance(votes, int | float)
            body = _without_trailing_comments(answer["text"].replace("\r\n", "\n").replace("\r", "\n"))
            yield {
                "problem_id": f"mbpp/{record['id']}",
                "source": "mbpp-validation",
                "sample_id": k,
                "code": f"{question}{body.rstrip()}\n",
                "model": model,
                "passed": passed,
                "runtime_s": votes * CODE_OPTIMISE_NS if passed else None,
                "reason": None if passed else "failed its tests in Code-Optimise's annotation",
            }


def _without_trailing_comments(code: str) -> str:
    """The sampler cut answers at the next ``def``: many end in stray comments ("# Test", "# Write a function
    to ..."). Dropping trailing comment and blank lines changes nothing the tests or the timing saw."""
    lines = code.rstrip().split("\n")
    while len(lines) > 1 and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()
    return "\n".join(lines)


def convert_files(paths: Sequence[Path], out: Path, report: Report = warn) -> AnnotateStats:
    stats = AnnotateStats()
    with open_for_append(out, resume=False) as handle:
        for path in paths:
            for row in convert_code_optimise(path, report):
                write_row(handle, row)
                stats.rows += 1
                stats.passed += row["passed"]
    return stats


def add_annotate_arguments(parser: argparse.ArgumentParser) -> None:
    """The sandbox and timing flags ``annotate`` and ``evaluate`` share."""
    parser.add_argument("--timeout", type=float, default=AnnotateOptions.timeout_s, help="seconds per run")
    parser.add_argument("--memory-mb", type=int, default=AnnotateOptions.memory_mb, help="memory per run")
    parser.add_argument("--num-trials", type=int, default=AnnotateOptions.num_trials)
    parser.add_argument("--repeat", type=int, default=AnnotateOptions.repeat,
                        help="function problems: check() calls per run; runtime = run time / repeat")
    parser.add_argument("--ignore-first-k", type=int, default=AnnotateOptions.ignore_first_k)
    parser.add_argument("--jobs", type=int, default=None, help="runner workers (default: one per CPU)")


def annotate_options(args: argparse.Namespace, resume: bool = False) -> AnnotateOptions:
    return AnnotateOptions(timeout_s=args.timeout, memory_mb=args.memory_mb, num_trials=args.num_trials,
                           ignore_first_k=args.ignore_first_k, jobs=args.jobs, repeat=args.repeat,
                           progress=not getattr(args, "no_progress", False), resume=resume)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("annotate", help="run and time sampled solutions on their problems' tests",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--input", type=Path, help="JSONL of sampled solutions (python -m training sample)")
    what.add_argument("--code-optimise", type=Path, nargs="+", metavar="FILE",
                      help="convert Code-Optimise's mbpp/solutions_*.jsonl instead of running anything")
    parser.add_argument("--out", type=Path, required=True, help="JSONL of annotated solutions")
    parser.add_argument("--data", type=Path, default=None, help="shared data folder")
    parser.add_argument("--resume", action="store_true", help="skip solutions already in --out")
    parser.add_argument("--no-progress", action="store_true")
    add_annotate_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        if args.code_optimise:
            stats = convert_files(args.code_optimise, args.out)
        else:
            stats = annotate_file(args.input, args.out, annotate_options(args, resume=args.resume), args.data)
    except (ValueError, FileNotFoundError, ProblemDataError) as exc:
        warn(f"error: {exc}")
        return 2
    warn(f"{args.out}: {stats.summary()}")
    return 0
