from pathlib import Path

import pytest

from bench.harness.config import EvalConfig, apply, load_config
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
])
def test_bad_configs(tmp_path: Path, text: str, message: str):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        load_config(path)
