from pathlib import Path

import pytest

from bench.harness.config import EvalConfig, apply, check, load_config
from bench.harness.rows import DataError


def test_pie_keys_map_to_ours_and_paths_are_relative_to_the_file(tmp_path: Path):
    path = tmp_path / "c.yaml"
    path.write_text("model_generated_outputs_path: gen.jsonl\ninputs_outputs_basepath: tests\n"
                    "num_problems_to_evaluate: -1\nnum_processes: 2\nslow_code_col: input\n")
    config = load_config(path)
    assert config.generations == [tmp_path / "gen.jsonl"] and config.tests == tmp_path / "tests"
    assert config.limit is None and config.jobs == 2 and config.columns.slow == "input"


def test_flags_override_and_none_means_unset():
    config = apply(EvalConfig(num_trials=8), {"num_trials": None, "metric": "wall"})
    assert config.num_trials == 8 and config.metric == "wall"


@pytest.mark.parametrize(("text", "message"), [
    ("language: cpp\n", "only python"),
    ("bogus_key: 1\n", "unknown key 'bogus_key'"),
    ("- a list\n", "must be a mapping"),
    ("a: [\n", "not valid YAML"),
    ("num_trials: -3\n", "num_trials must be a whole number of at least 1, got -3"),
    ("num_trials: five\n", "num_trials must be a whole number of at least 1, got 'five'"),
    ("num_trials: 2\nignore_first_k: 2\n", r"ignore_first_k must be between 0 and num_trials - 1 \(1\), got 2"),
    ("max_time_per_run: 0\n", "max_time_per_run must be a number of seconds above 0, got 0"),
    ("num_processes: 0\n", "jobs must be a whole number of at least 1, got 0"),
    ("max_tests: 1.5\n", "max_tests must be a whole number of at least 1, got 1.5"),
    ("metric: ticks\n", "metric must be 'cpu' or 'wall', got 'ticks'"),
])
def test_bad_configs(tmp_path: Path, text: str, message: str):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        check(load_config(path))


def test_the_file_and_the_flags_are_checked_together():
    one_trial = apply(EvalConfig(), {"num_trials": 1}, source="c.yaml")  # with the default ignore_first_k 1
    assert check(apply(one_trial, {"ignore_first_k": 0})).num_trials == 1
    with pytest.raises(DataError, match="jobs must be a whole number of at least 1, got 0"):
        check(apply(EvalConfig(), {"jobs": 0}))
    assert check(apply(EvalConfig(), {"limit": -1})).limit is None  # pie-perf's -1: every problem
