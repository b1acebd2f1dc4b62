"""DPO: the sigmoid loss by hand, response-only log-probabilities, the adapter-disabled reference, learning a pair."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest
import torch
from training_support import one_torch_thread, preference_rows, sft_rows, write_jsonl

from training.dpo import DPOOptions, DPOTask, dpo_loss, read_preferences, run_dpo, sequence_logps, tokenize_preferences
from training.errors import TrainingError
from training.export import adapter_chain
from training.loop import LoopOptions, train
from training.lora import LoraOptions, add_lora
from training.model import load_model, load_tokenizer, resolve_base
from training.sft import SFTOptions, run_sft, tokenize_example


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def tiny(tiny_hf_model):
    base = resolve_base(tiny_hf_model)
    return load_model(base, torch.device("cpu"), torch.float32), load_tokenizer(base)


def fresh_peft(tiny, seed: int = 0):
    torch.manual_seed(seed)
    return add_lora(copy.deepcopy(tiny[0]), LoraOptions(dropout=0.0))


def test_loss_and_rewards_equal_the_hand_computed_values():
    policy_chosen, policy_rejected = torch.tensor([-10.0, -3.0]), torch.tensor([-12.0, -2.0])
    reference_chosen, reference_rejected = torch.tensor([-11.0, -3.5]), torch.tensor([-11.0, -1.0])
    loss, chosen, rejected = dpo_loss(policy_chosen, policy_rejected, reference_chosen, reference_rejected, beta=0.5)
    # pair 0: rewards 0.5*(1) = 0.5 and 0.5*(-1) = -0.5, margin 1.0; pair 1: 0.25 and -0.5, margin 0.75
    expected = [math.log(1 + math.exp(-1.0)), math.log(1 + math.exp(-0.75))]
    assert loss.tolist() == pytest.approx(expected, abs=1e-6)
    assert chosen.tolist() == pytest.approx([0.5, 0.25]) and rejected.tolist() == pytest.approx([-0.5, -0.5])


def test_sequence_log_probability_sums_the_response_tokens_only(tiny):
    model, tokenizer = tiny
    row = preference_rows(1)[0]
    ids, labels = tokenize_example(tokenizer, [*row["messages"], {"role": "assistant", "content": row["chosen"]}])
    short_ids, short_labels = ids[:-3], labels[:-3]
    with torch.no_grad():
        got = sequence_logps(model, [(ids, labels), (short_ids, short_labels)], tokenizer.pad_token_id)
        logprobs = model(torch.tensor([ids])).logits[0].log_softmax(-1)
    by_hand = sum(float(logprobs[t - 1, ids[t]]) for t in range(1, len(ids)) if labels[t] != -100)
    by_hand_short = sum(float(logprobs[t - 1, ids[t]]) for t in range(1, len(short_ids)) if labels[t] != -100)
    assert float(got[0]) == pytest.approx(by_hand, rel=1e-5)
    assert float(got[1]) == pytest.approx(by_hand_short, rel=1e-5)  # padding in the batch changes nothing


def test_the_reference_is_the_model_with_its_adapter_disabled(tiny):
    model = fresh_peft(tiny)
    pairs, _ = tokenize_preferences(tiny[1], preference_rows(2), 1024)
    task = DPOTask(pairs, 2, tiny[1].pad_token_id, beta=0.1, seed=0)
    loss, metrics = task.loss(model, [0, 1])
    # A fresh LoRA adapter is a no-op (B = 0): policy == reference, every reward 0, loss log 2.
    assert float(loss) == pytest.approx(math.log(2), abs=1e-6)
    assert metrics["reward_chosen"] == pytest.approx(0.0, abs=1e-6)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.05)
    loss, metrics = task.loss(model, [0, 1])
    assert metrics["reward_chosen"] != pytest.approx(0.0, abs=1e-6)
    assert float(loss) != pytest.approx(math.log(2), abs=1e-6)


def test_a_few_steps_raise_the_chosen_reward_and_the_margin(tiny, tmp_path):
    model = fresh_peft(tiny)
    pairs, _ = tokenize_preferences(tiny[1], preference_rows(1), 1024)
    task = DPOTask(pairs, 1, tiny[1].pad_token_id, beta=0.1, seed=0)
    options = LoopOptions(out=tmp_path, epochs=6, grad_accum=1, lr=1e-2, warmup_ratio=0.0, save_every=100,
                          progress=False)
    result = train(model, task, options, {"task": "dpo"})
    steps = json.loads(result.log.read_text())["steps"]
    assert steps[0]["reward_chosen"] == pytest.approx(0.0, abs=1e-6)  # logged before the first update
    assert steps[-1]["reward_chosen"] > steps[0]["reward_chosen"]
    assert steps[-1]["reward_margin"] > steps[0]["reward_margin"] + 0.1
    assert result.last_loss < result.first_loss


def test_malformed_preference_rows_are_reported_by_line(tmp_path, capsys):
    good, answered, no_rejected = preference_rows(3)
    answered["messages"] = [*answered["messages"], {"role": "assistant", "content": "x"}]
    del no_rejected["rejected"]
    path = write_jsonl(tmp_path / "pref.jsonl", [good, answered, no_rejected])
    assert [r["id"] for r in read_preferences(path)] == [good["id"]]
    err = capsys.readouterr().err
    assert "pref.jsonl:2: ends with an assistant turn" in err and "pref.jsonl:3: no rejected answer" in err
    with pytest.raises(TrainingError, match=r"pref\.jsonl:2:"):
        read_preferences(path, "fail")


def test_dpo_from_an_sft_adapter_records_the_chain_for_export(tiny_hf_model, tmp_path):
    loop = dict(epochs=1, grad_accum=1, batch_size=2, save_every=100, progress=False, max_steps=1)
    sft = run_sft(SFTOptions(data=write_jsonl(tmp_path / "s.jsonl", sft_rows(2)), base=str(tiny_hf_model),
                             loop=LoopOptions(out=tmp_path / "sft", **loop)))
    dpo = run_dpo(DPOOptions(data=write_jsonl(tmp_path / "p.jsonl", preference_rows(2)), base=str(tiny_hf_model),
                             init_adapters=(Path(sft["adapter"]),), loop=LoopOptions(out=tmp_path / "dpo", **loop)))
    assert dpo["steps"] == 1 and math.isfinite(dpo["first_loss"])
    # The SFT adapter is merged into the reference, so DPO starts at loss log 2 on top of it.
    assert dpo["first_loss"] == pytest.approx(math.log(2), abs=1e-4)
    assert adapter_chain([Path(dpo["adapter"])]) == [Path(sft["adapter"]).resolve(), Path(dpo["adapter"]).resolve()]


def test_limit_and_shortest_pick_the_pairs_with_the_shortest_longer_side(tiny):
    rows = preference_rows(6)
    every, _ = tokenize_preferences(tiny[1], rows, 1024)
    longest_side = {p.id: max(len(p.chosen[0]), len(p.rejected[0])) for p in every}
    picked, stats = tokenize_preferences(tiny[1], rows, 1024, limit=2, shortest=True)
    assert stats["used"] == 2
    assert sorted(longest_side[p.id] for p in picked) == sorted(longest_side.values())[:2]
    first, _ = tokenize_preferences(tiny[1], rows, 1024, limit=2)
    assert [p.id for p in first] == ["pref-0", "pref-1"]
