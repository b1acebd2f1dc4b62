"""Evaluation settings: defaults, then a YAML file (pie-perf/FasterPy ``sample_eval_config.yaml`` keys
or our own names), then command-line flags, each overriding the one before."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from bench.core.timing import TimingSettings
from bench.harness.rows import Columns, DataError


@dataclass(frozen=True)
class EvalConfig:
    generations: list[Path] | None = None
    tests: Path | None = None
    reference_file: Path | None = None
    out: Path | None = None
    limit: int | None = None
    num_trials: int = 5
    ignore_first_k: int = 1
    max_time_per_run: float = 10.0
    max_tests: int | None = None
    jobs: int | None = None
    mode: str = "zygote"
    metric: str = "cpu"
    slow_code_col: str = Columns.slow
    reference_code_col: str = Columns.reference
    model_generated_potentially_faster_code_col: str = Columns.generated

    @property
    def columns(self) -> Columns:
        return Columns(self.slow_code_col, self.reference_code_col,
                       self.model_generated_potentially_faster_code_col)


def check(config: EvalConfig) -> EvalConfig:
    """``config`` when its numbers and choices make sense, else DataError saying which: checked once the config
    file and the flags are both applied (a file's ``num_trials: 1`` may meet ``--ignore-first-k 0``), before
    any work."""
    problem = _problem(config)
    if problem is not None:
        raise DataError(problem)
    return config


def _problem(config: EvalConfig) -> str | None:
    try:  # the timing numbers: TimingSettings checks its own
        TimingSettings(config.num_trials, config.ignore_first_k, config.metric)  # type: ignore[arg-type]
    except ValueError as exc:
        return str(exc)

    def whole(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if isinstance(config.max_time_per_run, bool) or not isinstance(config.max_time_per_run, int | float) \
            or not config.max_time_per_run > 0:
        return f"max_time_per_run must be a number of seconds above 0, got {config.max_time_per_run!r}"
    for name in ("limit", "max_tests", "jobs"):
        value, least = getattr(config, name), 0 if name == "limit" else 1
        if value is not None and (not whole(value) or value < least):
            return f"{name} must be a whole number of at least {least}, got {value!r}"
    if config.mode not in ("zygote", "subprocess"):
        return f"mode must be 'zygote' or 'subprocess', got {config.mode!r}"
    return None


# pie-perf / FasterPy key -> our field; keys mapped to None are accepted and have no effect here.
_PIE_KEYS: dict[str, str | None] = {
    "model_generated_outputs_path": "generations",
    "inputs_outputs_basepath": "tests",
    "reference_file_path": "reference_file",
    "output_report_file_path": "out",
    "num_problems_to_evaluate": "limit",
    "num_processes": "jobs",
    "temp_dir": None,           # every run gets its own sandboxed scratch folder
    "is_prompt_based": None,
    "cpu_number": None,         # each worker is pinned to a CPU of its own
    "return_if_acc_below": None,  # a program stops at its first failed test, as with 1.0
    "cflags": None,
    "cpp_results_path": None,
}
_OUR_KEYS = {f.name for f in fields(EvalConfig)}
_PATH_FIELDS = {"generations", "tests", "reference_file", "out"}


def load_config(path: Path) -> EvalConfig:
    """Read a YAML config; relative paths are taken relative to the config file's folder."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise DataError(f"{path}: cannot read the config: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict):
        raise DataError(f"{path}: the config must be a mapping of keys to values")
    return apply(EvalConfig(), data, base=path.parent, source=str(path))


def apply(config: EvalConfig, values: dict[str, Any], base: Path | None = None,
          source: str = "flags") -> EvalConfig:
    """``config`` with ``values`` (our names or pie-perf's) applied; ``None`` values are skipped."""
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key == "language":
            if value != "python":
                raise DataError(f"{source}: language {value!r} is not supported; only python is")
            continue
        name = _PIE_KEYS.get(key, key if key in _OUR_KEYS else "")
        if name is None or value is None:
            continue
        if not name:
            raise DataError(f"{source}: unknown key {key!r}")
        if name == "generations":
            value = [_path(v, base) for v in (value if isinstance(value, list) else [value])]
        elif name in _PATH_FIELDS:
            value = _path(value, base)
        if name == "limit" and int(value) < 0:
            continue  # pie-perf's -1: every problem
        changes[name] = value
    return replace(config, **changes)


def _path(value: str | Path, base: Path | None) -> Path:
    path = Path(value).expanduser()
    return base / path if base is not None and not path.is_absolute() else path
