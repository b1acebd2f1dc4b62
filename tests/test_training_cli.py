"""``python -m training``: every command registered, a fast --help, one-line errors and exit codes."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest
from training_support import one_torch_thread, sft_rows, write_jsonl

from training import cli
from training.cli import COMMAND_MODULES, build_parser, main

COMMANDS = ("dataset", "sft", "dpo", "export", "sample", "annotate", "merge", "evaluate")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with one_torch_thread():
        yield


def test_every_command_module_imports_and_registers():
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices
    assert tuple(choices) == COMMANDS
    assert len(COMMAND_MODULES) == len(COMMANDS)


def test_help_is_fast_and_imports_neither_torch_nor_transformers():
    code = (
        "import sys\nfrom training.cli import build_parser\nbuild_parser()\n"
        "heavy = [m for m in ('torch', 'transformers', 'peft', 'llama_cpp') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    done = subprocess.run([sys.executable, "-m", "training", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "export" in done.stdout


def test_a_module_still_missing_is_left_out_but_a_broken_import_is_not(monkeypatch):
    parser = build_parser(("training.dataset", "training.not_written_yet"))
    assert next(a for a in parser._actions if a.dest == "command").choices.keys() == {"dataset"}
    broken = types.ModuleType("training.broken")
    monkeypatch.setitem(sys.modules, "training.broken", broken)
    real_import = cli.importlib.import_module

    def fake_import(name):
        if name == "training.broken":
            raise ModuleNotFoundError("No module named 'some_dependency'", name="some_dependency")
        return real_import(name)

    monkeypatch.setattr(cli.importlib, "import_module", fake_import)
    with pytest.raises(ModuleNotFoundError, match="some_dependency"):
        build_parser(("training.broken",))


def test_a_bad_base_model_is_one_line_and_exit_status_2(tmp_path, capsys):
    data = write_jsonl(tmp_path / "sft.jsonl", sft_rows(2))
    not_a_model = tmp_path / "weights.txt"
    not_a_model.write_text("hello")
    assert main(["sft", "--data", str(data), "--base", str(not_a_model), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "neither a Hugging Face model folder" in err[0]


def test_bad_rows_fail_with_their_line_number_when_asked(tmp_path, capsys):
    rows = sft_rows(2)
    rows[1]["messages"] = rows[1]["messages"][:2]
    data = write_jsonl(tmp_path / "sft.jsonl", rows)
    argv = ["sft", "--data", str(data), "--on-bad", "fail", "--base", str(tmp_path), "--out", str(tmp_path / "o")]
    (tmp_path / "config.json").write_text("{}")  # passes the base check; the data is read before the model loads
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "sft.jsonl:2: no assistant turn" in err[-1]


def test_the_interrupted_exit_status_is_130(tiny_hf_model, tmp_path, monkeypatch, capsys):
    from training import loop

    data = write_jsonl(tmp_path / "sft.jsonl", sft_rows(4))

    def interrupt(*args, **kwargs):
        raise loop.TrainingInterrupted("interrupted at step 1 of 2; checkpoint saved to X; rerun with --resume")

    monkeypatch.setattr("training.sft.train", interrupt)
    argv = ["sft", "--data", str(data), "--base", str(tiny_hf_model), "--out", str(tmp_path / "o"), "--no-progress"]
    assert main(argv) == 130
    assert "--resume" in capsys.readouterr().err
