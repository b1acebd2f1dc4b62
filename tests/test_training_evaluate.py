"""Evaluation: the scores from annotated rows, and the whole run (sample, annotate, report) with a tiny random GGUF
on real MBPP problems: its garbage fails every test, so the bookkeeping is what is checked."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from training import evaluate
from training.evaluate import compare_common, model_labels, score


def row(pid: str, passed: bool, runtime: float | None = None) -> dict:
    return {"problem_id": pid, "passed": passed, "runtime_s": runtime}


def test_pass_at_1_is_the_mean_fraction_of_passing_samples() -> None:
    rows = [row("a", True, 0.2), row("a", False), row("b", True, 0.4), row("b", True, 0.6), row("c", False),
            row("zzz", True, 9.0)]  # a problem outside the evaluated ones does not count
    result = score("m", "m.gguf", rows, ["a", "b", "c", "d"])
    assert result.pass_at_1 == pytest.approx((0.5 + 1.0 + 0.0 + 0.0) / 4)
    assert result.solved == 2 and result.samples == 5 and result.problems == 4
    assert result.mean_runtime_s == pytest.approx((0.2 + 0.4 + 0.6) / 3)
    assert result.runtimes == {"a": 0.2, "b": pytest.approx(0.5)}


def test_runtimes_are_compared_on_the_problems_every_model_solved() -> None:
    first = score("x", "x", [row("a", True, 1.0), row("b", True, 3.0), row("c", True, 100.0)], ["a", "b", "c"])
    second = score("y", "y", [row("a", True, 0.5), row("b", True, 1.5), row("c", False)], ["a", "b", "c"])
    assert compare_common([first, second]) == ["a", "b"]
    assert first.common_mean_runtime_s == pytest.approx(2.0) and second.common_mean_runtime_s == pytest.approx(1.0)
    assert first.common_relative_runtime == pytest.approx(1.0) and second.common_relative_runtime == pytest.approx(0.5)


def test_model_labels_are_distinct() -> None:
    assert model_labels([Path("a/m.gguf"), Path("b/m.gguf"), Path("n.gguf"), None]) == ["0-m", "1-m", "n", "default"]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    evaluate.register(parser.add_subparsers())
    return parser.parse_args(["evaluate", *argv])


def test_missing_model_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(["--model", str(tmp_path / "absent.gguf"), "--out", str(tmp_path / "out")])
    assert args.func(args) == 2
    assert capsys.readouterr().err.strip() == f"error: model file not found: {tmp_path / 'absent.gguf'}"
    assert not (tmp_path / "out").exists()


def test_two_models_side_by_side_on_mbpp(shared_data: Path, tmp_path: Path,
                                         tmp_path_factory: pytest.TempPathFactory) -> None:
    if not (shared_data / "mbpp" / "mbpp_test.jsonl").is_file():
        pytest.skip(f"MBPP not found under {shared_data}/mbpp")
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    pytest.importorskip("gguf", reason="the gguf package writes the tiny test models")
    from tiny_gguf import write_tiny_gguf

    folder = tmp_path_factory.mktemp("gguf")
    models = [write_tiny_gguf(folder / "a.gguf", seed=1), write_tiny_gguf(folder / "b.gguf", seed=2)]
    out = tmp_path / "eval"
    argv = ["--model", str(models[0]), "--model", str(models[1]), "--data", str(shared_data), "--limit", "3",
            "--max-tokens", "8", "--out", str(out), "--no-progress", "--num-trials", "2"]
    args = parse(argv)
    assert args.problems == "mbpp-test" and args.temperature == 0.0 and args.n == 1
    assert args.func(args) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["n_problems"] == 3 and report["source"] == "mbpp-test"
    assert [m["label"] for m in report["models"]] == ["a", "b"]
    for model in report["models"]:
        assert model["samples"] == 3 and model["pass_at_1"] == 0.0 and model["mean_runtime_s"] is None
        annotated = [json.loads(line) for line in (out / model["label"] / "annotated.jsonl").read_text().splitlines()]
        assert [r["problem_id"] for r in annotated] == ["mbpp/11", "mbpp/12", "mbpp/13"]
        assert all(r["passed"] is False and r["reason"] for r in annotated)
    assert (out / "report.png").stat().st_size > 1000
    assert "| a | 0.000 | 0/3 |" in (out / "report.md").read_text()
    resumed = parse([*argv, "--resume"])
    assert resumed.func(resumed) == 0
    assert len((out / "a" / "samples.jsonl").read_text().splitlines()) == 3  # nothing sampled twice
