"""``python -m training evaluate``: Code-Optimise's evaluation of local GGUF models on MBPP test or HumanEval.

For each ``--model`` (several are compared side by side): sample ``n`` solutions per problem (greedy, n = 1 by
default; ``training.sample``), annotate them (``training.annotate``: sandboxed, CPU time, median of trials), then
report per model:

- ``pass@1``: the mean over problems of the fraction of its samples that passed (the unbiased pass@1 estimate;
  with n = 1, the fraction of problems solved);
- ``mean_runtime_s``: the mean runtime of all passing solutions;
- ``common_mean_runtime_s``: over the problems every model solved, the mean of each problem's mean passing
  runtime, the fair runtime comparison between models (Code-Optimise compares runtimes on commonly solved
  problems too), and ``common_relative_runtime`` = that over the first model's.

Written under ``--out``: ``<label>/samples.jsonl``, ``<label>/annotated.jsonl`` (``--resume`` continues both),
``report.json``, ``report.md`` and ``report.png``.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from training.annotate import AnnotateOptions, add_annotate_arguments, annotate_file, annotate_options
from training.problems import Problem, ProblemDataError, load_problems
from training.records import read_jsonl, warn
from training.sample import SampleOptions, add_sampling_arguments, options_from_args, sample_to_file


@dataclass
class ModelResult:
    """One model's numbers over the evaluated problems."""

    label: str
    model: str
    problems: int
    samples: int
    solved: int
    pass_at_1: float
    mean_runtime_s: float | None
    sampling_s: float  # model generation time of the samples (from their rows)
    annotation_s: float  # wall time of this run's annotation
    common_mean_runtime_s: float | None = None
    common_relative_runtime: float | None = None
    # problem id -> mean runtime of its passing samples (the solved problems only)
    runtimes: dict[str, float] = field(default_factory=dict, repr=False)


def model_labels(models: Sequence[Path | None]) -> list[str]:
    """A folder name per model: the file's stem, numbered when two share one."""
    stems = [(m.stem if m is not None else "default") for m in models]
    return [s if stems.count(s) == 1 else f"{i}-{s}" for i, s in enumerate(stems)]


def score(label: str, model: str, rows: Sequence[dict], problem_ids: Sequence[str]) -> ModelResult:
    """pass@1 and runtimes of one model's annotated rows, restricted to ``problem_ids``."""
    wanted = set(problem_ids)
    by_problem: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if str(row["problem_id"]) in wanted:
            by_problem[str(row["problem_id"])].append(row)
    fractions, passing_runtimes, runtimes = [], [], {}
    for problem_id in problem_ids:
        samples = by_problem.get(problem_id, [])
        passed = [r["runtime_s"] for r in samples if r.get("passed") and isinstance(r.get("runtime_s"), int | float)]
        fractions.append(len(passed) / len(samples) if samples else 0.0)
        passing_runtimes += passed
        if passed:
            runtimes[problem_id] = statistics.fmean(passed)
    return ModelResult(
        label=label, model=model, problems=len(problem_ids), samples=sum(map(len, by_problem.values())),
        solved=len(runtimes), pass_at_1=statistics.fmean(fractions) if fractions else 0.0,
        mean_runtime_s=statistics.fmean(passing_runtimes) if passing_runtimes else None,
        sampling_s=0.0, annotation_s=0.0, runtimes=runtimes,
    )


def compare_common(results: Sequence[ModelResult]) -> list[str]:
    """Fill the common-problem runtimes in place; the problems every model solved, sorted."""
    common = set.intersection(*(set(r.runtimes) for r in results)) if results else set()
    for result in results:
        if common:
            result.common_mean_runtime_s = statistics.fmean(result.runtimes[p] for p in common)
    base = results[0].common_mean_runtime_s if results else None
    for result in results:
        if base and result.common_mean_runtime_s is not None:
            result.common_relative_runtime = result.common_mean_runtime_s / base
    return sorted(common)


def evaluate_models(models: Sequence[Path | None], problems: Sequence[Problem], out: Path,
                    sample_options: SampleOptions, annotate: AnnotateOptions, data: Path | None = None,
                    n_threads: int | None = None) -> dict:
    """Sample, annotate and score every model; write the reports; return report.json's content."""
    from optimizer.llm import LocalModel

    chosen = list(problems[: sample_options.limit] if sample_options.limit is not None else problems)
    ids = [p.id for p in chosen]
    results: list[ModelResult] = []
    for label, path in zip(model_labels(models), models, strict=True):
        folder = out / label
        samples, annotated = folder / "samples.jsonl", folder / "annotated.jsonl"
        model = LocalModel(path, n_threads=n_threads)
        model.load()  # ModelError (missing or bad file) reaches the caller before anything is written
        sample_to_file(model, chosen, samples, sample_options)
        name = model.name
        del model  # one model in memory at a time
        gc.collect()
        start = time.perf_counter()
        annotate_file(samples, annotated, annotate, data)
        annotation_s = time.perf_counter() - start
        rows = [row for _, row in read_jsonl(annotated, required=("problem_id", "passed"))]
        result = score(label, name, rows, ids)
        # The generation time recorded in the rows, so a resumed run reports what its samples cost.
        wanted = set(ids)
        result.sampling_s = sum(float(row.get("seconds") or 0.0) for _, row in read_jsonl(samples, ("problem_id",))
                                if str(row["problem_id"]) in wanted)
        result.annotation_s = annotation_s
        results.append(result)
    common = compare_common(results)
    report = {
        "problems": ids[0].split("/")[0] if ids else "",
        "source": chosen[0].source if chosen else "",
        "n_problems": len(ids),
        "settings": {"sample": asdict(sample_options), "annotate": asdict(annotate)},
        "common_problems": len(common),
        "models": [{k: v for k, v in asdict(r).items() if k != "runtimes"} for r in results],
        "per_problem_runtime_s": {r.label: r.runtimes for r in results},
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "report.md").write_text(markdown(report))
    plot(results, out / "report.png")
    return report


def _fmt(value: float | None, scale: float = 1.0, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value * scale:.{digits}f}"


def markdown(report: dict) -> str:
    s, a = report["settings"]["sample"], report["settings"]["annotate"]
    lines = [
        f"# Code-Optimise evaluation: {report['source']}, {report['n_problems']} problems",
        "",
        f"n = {s['n']} per problem, temperature {s['temperature']}, max tokens {s['max_tokens']}; runtimes are "
        f"the median CPU time of the whole test program over {a['num_trials']} trials (first "
        f"{a['ignore_first_k']} dropped), divided by the {a['repeat']} check() calls it makes. Common problems: "
        f"{report['common_problems']} (solved by every model).",
        "",
        "| model | pass@1 | solved | mean runtime of passing (µs) | mean runtime, common problems (µs) "
        "| relative (common) | generation s | annotation s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in report["models"]:
        lines.append(
            f"| {m['label']} | {m['pass_at_1']:.3f} | {m['solved']}/{m['problems']} | "
            f"{_fmt(m['mean_runtime_s'], 1e6, 2)} | {_fmt(m['common_mean_runtime_s'], 1e6, 2)} | "
            f"{_fmt(m['common_relative_runtime'])} | {m['sampling_s']:.0f} | {m['annotation_s']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def plot(results: Sequence[ModelResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [r.label for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(4 + 1.5 * len(results), 3.5))
    left.bar(labels, [r.pass_at_1 for r in results], color="tab:blue")
    left.set_ylabel("pass@1")
    left.set_ylim(0, 1)
    right.bar(labels, [(r.common_mean_runtime_s or 0.0) * 1e6 for r in results], color="tab:orange")
    right.set_ylabel("runtime, common problems (µs)", fontsize=9)
    for axis in (left, right):
        axis.tick_params(axis="x", labelrotation=20)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="pass@1 and runtime of GGUF models on MBPP test or HumanEval",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, action="append", default=None,
                        help="GGUF file; repeat to compare models (default: the installed SmolLM2)")
    parser.add_argument("--out", type=Path, default=Path("reports/training/eval"), help="report folder")
    parser.add_argument("--resume", action="store_true", help="continue the samples and annotations in --out")
    add_sampling_arguments(parser, temperature=0.0, n=1)
    parser.set_defaults(problems="mbpp-test")
    add_annotate_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from optimizer.llm import ModelError, default_model_path

    # The default model is named by its file (None, "no model installed", reaches LocalModel's clear error).
    models: list[Path | None] = list(args.model) if args.model else [default_model_path()]
    missing = [str(m) for m in models if m is not None and not m.is_file()]
    if missing:
        warn(f"error: model file not found: {', '.join(missing)}")
        return 2
    try:
        sample_options = options_from_args(args, resume=args.resume)
        annotate = annotate_options(args, resume=args.resume)
        problems = load_problems(args.problems, args.data)
        report = evaluate_models(models, problems, args.out, sample_options, annotate, args.data, args.threads)
    except (ValueError, ModelError, FileNotFoundError, ProblemDataError) as exc:
        warn(f"error: {exc}")
        return 2
    for m in report["models"]:
        warn(f"{m['label']}: pass@1 {m['pass_at_1']:.3f} ({m['solved']}/{m['problems']} solved), mean runtime of "
             f"passing {_fmt(m['mean_runtime_s'], 1e6, 2)} µs")
    warn(f"report: {args.out / 'report.md'}")
    return 0
