"""Tiny models for the training tests: a random-weight Llama folder with its own byte-level BPE tokenizer and a
ChatML chat template (what SmolLM2 has, at hidden 64 and 2 layers), and datasets of toy (slow, fast) pairs."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from optimizer.llm import CHATML_TEMPLATE
from optimizer.prompt import build_answer, build_messages

SPECIAL = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")

TOY_PAIRS = (
    ("result = []\nfor x in data:\n    result.append(x * 2)\nprint(result)", "print([x * 2 for x in data])"),
    ("s = ''\nfor w in words:\n    s += w\nprint(s)", "print(''.join(words))"),
    ("total = 0\nfor x in nums:\n    total += x\nprint(total)", "print(sum(nums))"),
    ("for i in range(n):\n    print(input())", "import sys\nsys.stdout.write(sys.stdin.read())"),
)


def corpus() -> list[str]:
    """Text the tokenizer is trained on: the prompt format and the toy programs."""
    texts = []
    for slow, fast in TOY_PAIRS:
        messages = [*build_messages(slow), {"role": "assistant", "content": build_answer(fast)}]
        texts += [m["content"] for m in messages]
    return texts * 3


def write_tiny_hf_model(folder: Path, hidden: int = 64, layers: int = 2, seed: int = 0) -> Path:
    """A random Llama causal LM + fast byte-level BPE tokenizer with a ChatML template, saved to ``folder``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=list(SPECIAL),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(), trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="<|endoftext|>",
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    vocab = tok.get_vocab_size()
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab,
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        rms_norm_eps=1e-5,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    with torch.no_grad():  # larger than the default init so the random model has peaked, tie-free logits
        for parameter in model.parameters():
            if parameter.dim() == 2:
                parameter.normal_(0.0, 0.2)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def sft_rows(n: int = 8, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` SFT rows of the toy pairs (no suggestions), ids ``toy-<i>``, groups by pair."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        k = rng.randrange(len(TOY_PAIRS))
        slow, fast = TOY_PAIRS[k]
        messages = [*build_messages(slow), {"role": "assistant", "content": build_answer(fast)}]
        rows.append({"id": f"toy-{i}", "group": f"pair-{k}", "messages": messages})
    return rows


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def write_tiny_gguf_base(hf_folder: Path, path: Path) -> Path:
    """The tiny HF model written as an f32 GGUF by the exporter (no adapter merged)."""
    from training.export import merged_model, write_gguf
    from training.model import resolve_base

    base = resolve_base(hf_folder)
    model, tokenizer = merged_model(base, [])
    return write_gguf(model, tokenizer, base, path, "f32")


def preference_rows(n: int = 4) -> list[dict[str, Any]]:
    """DPO rows: the toy prompts, the fast program chosen and the slow one rejected."""
    rows = []
    for i in range(n):
        slow, fast = TOY_PAIRS[i % len(TOY_PAIRS)]
        rows.append(
            {
                "id": f"pref-{i}",
                "group": f"pair-{i % len(TOY_PAIRS)}",
                "messages": list(build_messages(slow)),
                "chosen": build_answer(fast),
                "rejected": build_answer(slow),
            }
        )
    return rows


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """Tiny models gain nothing from a second thread, and on a busy machine its synchronisation costs seconds."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
