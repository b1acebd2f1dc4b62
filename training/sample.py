"""``python -m training sample``: n solutions per problem from a local GGUF model (Code-Optimise's sampling step).

Each problem is posed with :func:`optimizer.prompt.build_task_messages` and answered through
:class:`optimizer.llm.LocalModel`, or through an OpenAI-compatible endpoint (``--endpoint``,
:class:`optimizer.openai_model.OpenAIModel`); the code is read back with ``extract_code``. With a temperature
above 0 the local model's n samples are independent draws (seeds ``crc32(problem id) + seed + k``, so a resumed
run draws what a fresh one would); at temperature 0, one call returns the greedy answer and n - 1 samples
(LocalModel's best-of-k). An endpoint is asked for all n in one call (seeds ``... + seed + k`` where it takes
them); when it fails the problem is reported and left out, so ``--resume`` tries it again.
A problem's rows are written together once all its samples are in, so ``--resume`` can skip every problem
already in the output. Output rows: ``problem_id, source, sample_id, code`` (null when the answer held no code),
``model`` and the generation's ``tokens, seconds, stopped``.
"""

from __future__ import annotations

import argparse
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.openai_model import add_endpoint_arguments
from optimizer.prompt import build_task_messages
from training.problems import SOURCES, Problem, ProblemDataError, load_problems
from training.records import open_for_append, read_jsonl, warn, write_row

if TYPE_CHECKING:
    from optimizer.candidates import ChatModel


@dataclass(frozen=True)
class SampleOptions:
    """How to sample. ``time_budget_s`` bounds all the samples of one problem together."""

    n: int = 1
    temperature: float = 0.6
    max_tokens: int = 512
    time_budget_s: float = 60.0
    seed: int = 0
    limit: int | None = None
    resume: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.time_budget_s <= 0:
            raise ValueError(f"time budget must be > 0, got {self.time_budget_s}")
        if self.limit is not None and self.limit < 0:
            raise ValueError(f"limit must be >= 0, got {self.limit}")


@dataclass
class SampleStats:
    problems: int = 0
    skipped: int = 0
    rows: int = 0
    with_code: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.problems} problems sampled ({self.skipped} already done), {self.rows} rows written, "
                f"{self.with_code} with code, {self.seconds:.1f} s")


def sample_problem(model: ChatModel, problem: Problem, options: SampleOptions) -> list[dict]:
    """The sample rows of one problem (fewer than n when the time budget ran out; at least one from a local model;
    none when an endpoint failed)."""
    from optimizer.llm import GenerationSettings, ModelError
    from optimizer.openai_model import OpenAIModel

    messages = build_task_messages(problem.prompt, problem.entry_point)
    base_seed = (zlib.crc32(problem.id.encode()) + options.seed) & 0x7FFFFFFF  # llama.cpp seeds are 32-bit
    deadline = time.monotonic() + options.time_budget_s
    generations = []
    try:
        if options.temperature == 0 or isinstance(model, OpenAIModel):
            settings = GenerationSettings(max_tokens=options.max_tokens, time_budget_s=options.time_budget_s,
                                          temperature=options.temperature, n_candidates=options.n, seed=base_seed)
            generations = model.generate(messages, settings)
        else:
            for k in range(options.n):
                left = deadline - time.monotonic()
                if k and left <= 0:
                    break
                settings = GenerationSettings(max_tokens=options.max_tokens, time_budget_s=max(left, 1e-3),
                                              temperature=options.temperature, seed=base_seed + k)
                generations += model.generate(messages, settings)
    except ModelError as exc:
        if isinstance(model, OpenAIModel):  # down, slow or garbage: not this problem's fault, so no row
            warn(f"{problem.id}: {exc}")
            return []
        # The prompt does not fit the context: a row saying so, so the problem counts as tried and failed.
        return [_row(problem, 0, None, model.name, {"error": str(exc)})]
    return [
        _row(problem, k, g.code, model.name, {"tokens": g.tokens, "seconds": round(g.seconds, 3), "stopped": g.stopped})
        for k, g in enumerate(generations)
    ]


def _row(problem: Problem, sample_id: int, code: str | None, model: str, extra: dict) -> dict:
    return {"problem_id": problem.id, "source": problem.source, "sample_id": sample_id, "code": code,
            "model": model, **extra}


def done_problems(out: Path) -> set[str]:
    """Problems that already have rows in ``out`` (a missing file has none)."""
    if not out.is_file():
        return set()
    return {str(row["problem_id"]) for _, row in read_jsonl(out, required=("problem_id",))}


def sample_to_file(model: ChatModel, problems: Sequence[Problem], out: Path, options: SampleOptions,
                   on_problem: Callable[[Problem, list[dict]], None] | None = None) -> SampleStats:
    """Sample every problem (the first ``limit``) into ``out``; ``resume`` skips problems already there."""
    from tqdm import tqdm

    chosen = list(problems[: options.limit] if options.limit is not None else problems)
    done = done_problems(out) if options.resume else set()
    todo = [p for p in chosen if p.id not in done]
    stats = SampleStats(skipped=len(chosen) - len(todo))
    start = time.perf_counter()
    with open_for_append(out, options.resume) as handle:
        for problem in tqdm(todo, desc=f"sampling {model.name}", unit="problem", disable=not options.progress,
                            dynamic_ncols=True):
            rows = sample_problem(model, problem, options)
            for row in rows:
                write_row(handle, row)
            stats.problems += 1
            stats.rows += len(rows)
            stats.with_code += sum(row["code"] is not None for row in rows)
            if on_problem is not None:
                on_problem(problem, rows)
    stats.seconds = time.perf_counter() - start
    return stats


def add_sampling_arguments(parser: argparse.ArgumentParser, temperature: float, n: int) -> None:
    """The decoding flags ``sample`` and ``evaluate`` share."""
    parser.add_argument("--problems", default="mbpp", choices=sorted(SOURCES),
                        help="problem set (mbpp = MBPP train + validation, Code-Optimise's training problems)")
    parser.add_argument("--data", type=Path, default=None, help="shared data folder (default: $PYPERF_DATA or "
                        "../shared/data)")
    parser.add_argument("--n", type=int, default=n, help=f"solutions per problem (default {n})")
    parser.add_argument("--temperature", type=float, default=temperature,
                        help=f"sampling temperature, 0 = greedy (default {temperature})")
    parser.add_argument("--max-tokens", type=int, default=SampleOptions.max_tokens)
    parser.add_argument("--time-budget", type=float, default=SampleOptions.time_budget_s,
                        help="seconds per problem, all its samples together")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="only the first N problems")
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: half the CPUs)")
    parser.add_argument("--no-progress", action="store_true")


def options_from_args(args: argparse.Namespace, resume: bool = False) -> SampleOptions:
    return SampleOptions(n=args.n, temperature=args.temperature, max_tokens=args.max_tokens,
                         time_budget_s=args.time_budget, seed=args.seed, limit=args.limit, resume=resume,
                         progress=not args.no_progress)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sample", help="sample n solutions per problem from a GGUF model or an endpoint",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="GGUF file (default: the installed SmolLM2)")
    add_endpoint_arguments(parser, "to sample from instead of --model")
    parser.add_argument("--out", type=Path, required=True, help="JSONL of sampled solutions")
    parser.add_argument("--resume", action="store_true", help="skip problems already in --out")
    add_sampling_arguments(parser, temperature=SampleOptions.temperature, n=SampleOptions.n)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from optimizer.llm import LocalModel, ModelError
    from optimizer.openai_model import EndpointSettings, OpenAIModel

    try:
        options = options_from_args(args, resume=args.resume)
        problems = load_problems(args.problems, args.data)
        model: ChatModel
        if args.endpoint:
            model = OpenAIModel(EndpointSettings(args.endpoint, args.endpoint_model, args.endpoint_key_env))
        else:
            model = LocalModel(args.model, n_threads=args.threads)
            model.load()
        stats = sample_to_file(model, problems, args.out, options)
    except (ValueError, ModelError, FileNotFoundError, ProblemDataError) as exc:
        warn(f"error: {exc}")
        return 2
    warn(f"{args.out}: {stats.summary()}")
    return 0
