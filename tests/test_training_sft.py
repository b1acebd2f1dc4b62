"""LoRA SFT on a tiny random Llama: the assistant-only labels, the loop, checkpoints, resume, bad input."""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
import signal
from pathlib import Path

import pytest
import torch
from training_support import one_torch_thread, sft_rows, write_jsonl

from training.errors import TrainingError
from training.loop import LoopOptions, TrainingInterrupted, checkpoint_dirs, cosine_with_warmup, train
from training.lora import LoraOptions, add_lora
from training.model import load_model, load_tokenizer, resolve_base
from training.sft import (
    IGNORE,
    SFTOptions,
    SFTTask,
    prompt_and_full,
    run_sft,
    split_by_group,
    tokenize_example,
    tokenize_rows,
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def tiny(tiny_hf_model):
    base = resolve_base(tiny_hf_model)
    return load_model(base, torch.device("cpu"), torch.float32), load_tokenizer(base)


def fresh_peft(tiny, seed: int = 0):
    model, _ = tiny
    torch.manual_seed(seed)
    return add_lora(copy.deepcopy(model), LoraOptions())


def test_labels_cover_exactly_the_assistant_turn(tiny):
    _, tokenizer = tiny
    messages = sft_rows(1)[0]["messages"]
    ids, labels = tokenize_example(tokenizer, messages)
    prefix, full = prompt_and_full(tokenizer, messages)
    start = next(i for i, label in enumerate(labels) if label != IGNORE)
    assert all(label == IGNORE for label in labels[:start])
    assert labels[start:] == ids[start:]
    assert tokenizer.decode(ids[:start]) == prefix
    answer = tokenizer.decode(ids[start:])
    assert answer.startswith(messages[-1]["content"]) and answer == full[len(prefix) :]
    assert "<|im_end|>" in answer  # the model learns to end its turn
    assert prefix.endswith("<|im_start|>assistant\n")


def test_cosine_schedule_warms_up_then_decays_to_zero():
    factors = [cosine_with_warmup(step, 2, 10) for step in range(11)]
    assert factors[:2] == [0.5, 1.0]
    assert factors[2] == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(factors[2:]))
    assert factors[10] == pytest.approx(0.0)


def test_tokenize_rows_skips_overlong_and_keeps_the_shortest(tiny):
    _, tokenizer = tiny
    rows = sft_rows(6)
    lengths = sorted(len(tokenize_example(tokenizer, r["messages"])[0]) for r in rows)
    kept, stats = tokenize_rows(tokenizer, rows, max_length=lengths[-1] - 1, limit=2, shortest=True)
    assert stats["too_long"] >= 1 and stats["used"] == 2
    assert [len(t.input_ids) for t in kept] == lengths[:2]


def options(out: Path, **changes) -> LoopOptions:
    defaults = dict(out=out, epochs=2, batch_size=2, grad_accum=2, lr=2e-2, save_every=2, progress=False, seed=3)
    return LoopOptions(**{**defaults, **changes})


def sft_task(tiny, n: int = 8) -> SFTTask:
    _, tokenizer = tiny
    examples, _ = tokenize_rows(tokenizer, sft_rows(n), 1024)
    return SFTTask(examples, 2, tokenizer.pad_token_id, seed=3)


def adapter_weights(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.named_parameters() if v.requires_grad}


def test_training_lowers_the_loss_and_writes_log_plot_checkpoints(tiny, tmp_path):
    model = fresh_peft(tiny)
    result = train(model, sft_task(tiny), options(tmp_path / "run"), {"task": "sft"})
    log = json.loads(result.log.read_text())
    assert result.steps == log["total_steps"] == 4 and log["finished"]
    assert [e["step"] for e in log["steps"]] == [1, 2, 3, 4]
    assert result.last_loss < result.first_loss
    assert result.plot.is_file() and result.plot.stat().st_size > 1000
    assert (result.adapter / "adapter_model.safetensors").is_file()
    assert [p.name for p in checkpoint_dirs(tmp_path / "run")] == ["step-000002", "step-000004"]
    assert all(math.isfinite(e["grad_norm"]) for e in log["steps"])


def test_ctrl_c_saves_a_checkpoint_and_resume_ends_where_an_uninterrupted_run_does(tiny, tmp_path):
    reference = fresh_peft(tiny)
    train(reference, sft_task(tiny), options(tmp_path / "straight", save_every=100), {})

    def interrupt(step: int) -> None:
        if step == 1:
            os.kill(os.getpid(), signal.SIGINT)

    interrupted = fresh_peft(tiny)
    with pytest.raises(TrainingInterrupted, match=r"interrupted at step 1 of 4.*--resume"):
        train(interrupted, sft_task(tiny), options(tmp_path / "cut", save_every=100), {}, on_step=interrupt)
    assert [p.name for p in checkpoint_dirs(tmp_path / "cut")] == ["step-000001"]

    resumed = fresh_peft(tiny, seed=99)  # a new process: the adapter comes from the checkpoint, not from the seed
    result = train(resumed, sft_task(tiny), options(tmp_path / "cut", save_every=100, resume=True), {})
    assert result.steps == 4
    expected, got = adapter_weights(reference), adapter_weights(resumed)
    assert expected.keys() == got.keys()
    for key in expected:
        torch.testing.assert_close(got[key], expected[key], rtol=1e-5, atol=1e-6)
    log = json.loads(result.log.read_text())
    assert [e["step"] for e in log["steps"]] == [1, 2, 3, 4]


def test_resume_without_a_checkpoint_or_with_another_run_shape_fails(tiny, tmp_path):
    with pytest.raises(TrainingError, match="no checkpoint"):
        train(fresh_peft(tiny), sft_task(tiny), options(tmp_path / "none", resume=True), {})
    train(fresh_peft(tiny), sft_task(tiny), options(tmp_path / "r", max_steps=2), {})
    with pytest.raises(TrainingError, match="belongs to a run of 2 steps"):
        train(fresh_peft(tiny), sft_task(tiny), options(tmp_path / "r", resume=True), {})


@pytest.mark.parametrize("error", [MemoryError, torch.OutOfMemoryError])
def test_out_of_memory_says_what_to_lower(tiny, tmp_path, error):
    class Exhausting(SFTTask):
        def loss(self, model, batch):
            raise error("no memory")

    task = sft_task(tiny)
    task.__class__ = Exhausting
    with pytest.raises(TrainingError, match=r"out of memory at step 1.*lower --batch-size / --max-length"):
        train(fresh_peft(tiny), task, options(tmp_path / "oom"), {})


def test_run_sft_on_a_gguf_base_records_the_run(tiny_gguf_base, tmp_path):
    data = write_jsonl(tmp_path / "sft.jsonl", sft_rows(4))
    summary = run_sft(SFTOptions(data=data, base=str(tiny_gguf_base), loop=options(tmp_path / "g", max_steps=2)))
    assert summary["base_kind"] == "gguf" and summary["steps"] == 2
    run = json.loads((Path(summary["adapter"]) / "run.json").read_text())
    assert run["base"] == str(tiny_gguf_base)


def test_sft_trains_on_the_optimizers_own_tiny_gguf(tmp_path):
    from tiny_gguf import write_tiny_gguf

    base = write_tiny_gguf(tmp_path / "spm.gguf")
    data = write_jsonl(tmp_path / "sft.jsonl", sft_rows(2))
    summary = run_sft(SFTOptions(data=data, base=str(base), loop=options(tmp_path / "s", max_steps=1, batch_size=1)))
    assert summary["steps"] == 1 and math.isfinite(summary["first_loss"])


def test_a_base_that_is_neither_hf_nor_gguf_is_refused(tmp_path):
    text = tmp_path / "model.bin"
    text.write_text("not a model")
    with pytest.raises(TrainingError, match=r"neither a Hugging Face model folder .* nor a GGUF file"):
        resolve_base(text)
    with pytest.raises(TrainingError, match=r"without config\.json"):
        resolve_base(tmp_path)
    with pytest.raises(TrainingError, match="does not exist"):
        resolve_base(tmp_path / "missing")


def test_validation_holds_out_whole_problems_and_is_evaluated_before_at_checkpoints_and_after(tiny_hf_model, tmp_path):
    rows = sft_rows(12)
    train_rows, val_rows = split_by_group(rows, 0.25, seed=1)
    assert val_rows and len(train_rows) + len(val_rows) == len(rows)
    assert not {r["group"] for r in train_rows} & {r["group"] for r in val_rows}
    assert len(val_rows) >= 0.25 * len(rows)

    data = write_jsonl(tmp_path / "sft.jsonl", rows)
    loop = options(tmp_path / "v", epochs=1, batch_size=1, grad_accum=2, save_every=2, max_steps=4)
    summary = run_sft(SFTOptions(data=data, base=str(tiny_hf_model), val_fraction=0.25, loop=loop))
    log = json.loads((tmp_path / "v" / "log.json").read_text())
    assert [e["step"] for e in log["evaluations"]] == [0, 2, 4]
    assert summary["val_loss_before"] == log["evaluations"][0]["val_loss"]
    assert summary["val_loss_after"] == log["evaluations"][-1]["val_loss"]
    assert set(log["config"]["val_ids"]).isdisjoint(log["config"]["example_ids"])
    with pytest.raises(TrainingError, match="--val-fraction"):
        split_by_group(rows, 1.0, seed=0)
