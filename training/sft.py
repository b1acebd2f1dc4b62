"""``python -m training sft``: LoRA supervised fine-tuning on chat examples, loss on the assistant turn only.

Each row ``{"id", "group", "messages": [system, user, assistant]}`` is rendered with the tokenizer's chat template.
The tokens of the prompt (the template applied to every turn but the last, with the generation prompt) get label
-100; the assistant turn, its end-of-turn token included, is what the model learns to write. FasterPy's settings
are the defaults: r=8, alpha=32, all attention and MLP projections, lr 1e-3 cosine, warmup 0.05, weight decay 0.1,
2 epochs, max length 1024.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.errors import TrainingError
from training.loop import LoopOptions, ShuffledBatches, add_loop_arguments, loop_options, train
from training.lora import LoraOptions, add_lora_arguments, lora_options

IGNORE = -100
RUN_FILE = "run.json"


@dataclass
class Tokenized:
    """One example as token ids, with labels -100 everywhere but the assistant turn."""

    id: str
    input_ids: list[int]
    labels: list[int]


def prompt_and_full(tokenizer: Any, messages: Sequence[dict[str, str]]) -> tuple[str, str]:
    """The chat-template text of the prompt (all turns but the last, generation prompt added) and of all turns."""
    prefix = tokenizer.apply_chat_template(list(messages[:-1]), tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(list(messages), tokenize=False)
    if not full.startswith(prefix):
        raise TrainingError("the chat template does not render the prompt as a prefix of the whole conversation")
    return prefix, full


def tokenize_example(tokenizer: Any, messages: Sequence[dict[str, str]]) -> tuple[list[int], list[int]]:
    """``(input_ids, labels)`` for a conversation ending with the assistant turn; labels mask the prompt.

    The prompt's tokens are those of the rendered prefix on its own: at inference the model sees exactly those and
    then writes the answer. When the whole text tokenizes differently across the boundary, the answer is tokenized
    separately and appended, which is what generation produces.
    """
    prefix, full = prompt_and_full(tokenizer, messages)
    prompt_ids = tokenizer(prefix, add_special_tokens=False)["input_ids"]
    full_ids = tokenizer(full, add_special_tokens=False)["input_ids"]
    if full_ids[: len(prompt_ids)] != prompt_ids:
        full_ids = prompt_ids + tokenizer(full[len(prefix) :], add_special_tokens=False)["input_ids"]
    labels = [IGNORE] * len(prompt_ids) + full_ids[len(prompt_ids) :]
    return full_ids, labels


@dataclass
class SFTOptions:
    """What to train on and how (the loop and LoRA options hold the rest)."""

    data: Path
    base: str | None = None
    device: str | None = None
    max_length: int = 1024
    limit: int | None = None
    shortest: bool = False
    val_fraction: float = 0.0
    val_data: Path | None = None
    on_bad: str = "skip"
    lora: LoraOptions = field(default_factory=LoraOptions)
    loop: LoopOptions = field(default_factory=LoopOptions)


def take(items: list, limit: int | None, shortest: bool, length: Callable[[Any], int]) -> list:
    """At most ``limit`` of ``items``: the first ones, or with ``shortest`` the shortest (ties by ``id``)."""
    if shortest:
        items = sorted(items, key=lambda item: (length(item), item.id))
    return items if limit is None else items[:limit]


def tokenize_rows(
    tokenizer: Any, rows: list[dict[str, Any]], max_length: int, limit: int | None = None, shortest: bool = False
) -> tuple[list[Tokenized], dict[str, int]]:
    """The rows as token ids; longer than ``max_length`` are left out (not cut: half an answer teaches nothing)."""
    kept, too_long = [], 0
    for row in rows:
        ids, labels = tokenize_example(tokenizer, row["messages"])
        if len(ids) > max_length:
            too_long += 1
            continue
        kept.append(Tokenized(row["id"], ids, labels))
    kept = take(kept, limit, shortest, length=lambda t: len(t.input_ids))
    stats = {"rows": len(rows), "too_long": too_long, "used": len(kept)}
    stats["tokens"] = sum(len(t.input_ids) for t in kept)
    stats["answer_tokens"] = sum(sum(1 for label in t.labels if label != IGNORE) for t in kept)
    return kept, stats


class SFTTask(ShuffledBatches):
    """Micro-batches of ``batch_size`` examples, reshuffled each epoch from the seed; causal-LM loss on labels."""

    def __init__(self, examples: list[Tokenized], batch_size: int, pad_id: int, seed: int) -> None:
        self.examples = examples
        self.count = len(examples)
        self.batch_size = batch_size
        self.pad_id = pad_id
        self.seed = seed

    def loss(self, model: Any, batch: list[int]) -> tuple[Any, dict[str, float]]:
        out, labels = self._forward(model, batch)
        return out.loss, {"tokens": float((labels != IGNORE).sum())}

    def evaluate(self, model: Any) -> dict[str, float]:
        """The loss over every answer token of the examples (token-weighted), in fixed order: ``val_loss``."""
        total, tokens = 0.0, 0
        for start in range(0, len(self.examples), self.batch_size):
            out, labels = self._forward(model, list(range(start, min(start + self.batch_size, len(self.examples)))))
            n = int((labels[:, 1:] != IGNORE).sum())
            total += float(out.loss) * n
            tokens += n
        return {"val_loss": total / max(1, tokens)}

    def _forward(self, model: Any, batch: list[int]) -> tuple[Any, Any]:
        import torch

        items = [self.examples[i] for i in batch]
        width = max(len(t.input_ids) for t in items)
        device = next(model.parameters()).device
        ids = torch.full((len(items), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for row, item in enumerate(items):
            n = len(item.input_ids)
            ids[row, :n] = torch.tensor(item.input_ids)
            labels[row, :n] = torch.tensor(item.labels)
            mask[row, :n] = 1
        out = model(input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device))
        return out, labels


def split_by_group(rows: list[dict[str, Any]], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """(train, validation): whole groups (problems) go to validation until it holds ``fraction`` of the rows."""
    if not 0 <= fraction < 1:
        raise TrainingError(f"--val-fraction must be in [0, 1), got {fraction}")
    groups = sorted({row["group"] for row in rows})
    random.Random(seed).shuffle(groups)
    held: set[str] = set()
    held_rows = 0
    for group in groups:
        if held_rows >= fraction * len(rows):
            break
        held.add(group)
        held_rows += sum(1 for row in rows if row["group"] == group)
    return [r for r in rows if r["group"] not in held], [r for r in rows if r["group"] in held]


def run_sft(options: SFTOptions) -> dict[str, Any]:
    """Train, write the adapter, log and plot under ``options.loop.out``; returns the run summary."""
    from optimizer.prompt import PROMPT_VERSION
    from training.dataset import read_sft_rows
    from training.model import load_for_training, resolve_base

    base = resolve_base(options.base)
    rows = read_sft_rows(options.data, options.on_bad)  # type: ignore[arg-type]
    if not rows:
        raise TrainingError(f"{options.data} holds no usable examples")
    if options.val_data is not None:
        val_rows = read_sft_rows(options.val_data, options.on_bad)  # type: ignore[arg-type]
    else:
        rows, val_rows = split_by_group(rows, options.val_fraction, options.loop.seed)
    overlap = {r["group"] for r in rows} & {r["group"] for r in val_rows}
    if overlap:
        raise TrainingError(f"validation shares problems with training: {', '.join(sorted(overlap)[:5])}")
    started = time.monotonic()
    model, tokenizer = load_for_training(base, options.lora, device=options.device)
    load_s = time.monotonic() - started
    examples, stats = tokenize_rows(tokenizer, rows, options.max_length, options.limit, options.shortest)
    if not examples:
        raise TrainingError(f"no example fits --max-length {options.max_length}: raise it")
    print(f"sft: {json.dumps(stats)}; base {base.describe()} loaded in {load_s:.1f}s", file=sys.stderr)
    task = SFTTask(examples, options.loop.batch_size, tokenizer.pad_token_id, options.loop.seed)
    val_examples, val_stats = tokenize_rows(tokenizer, val_rows, options.max_length)
    validation = SFTTask(val_examples, options.loop.batch_size, tokenizer.pad_token_id, options.loop.seed)
    if val_rows:
        print(f"sft: validation {json.dumps(val_stats)}", file=sys.stderr)
    config = {
        "task": "sft",
        "base": base.describe(),
        "data": str(options.data),
        "prompt_version": PROMPT_VERSION,
        "max_length": options.max_length,
        "limit": options.limit,
        "shortest": options.shortest,
        "lora": {"r": options.lora.r, "alpha": options.lora.alpha, "dropout": options.lora.dropout,
                 "targets": list(options.lora.target_modules)},
        "data_stats": stats,
        "val_stats": val_stats,
        "example_ids": [t.id for t in examples],
        "val_ids": [t.id for t in val_examples],
    }
    result = train(model, task, options.loop, config, evaluate=validation.evaluate if val_examples else None)
    val_losses = [e["val_loss"] for e in result.evaluations]
    summary = {
        "task": "sft",
        "base": str(base.path),
        "base_kind": base.kind,
        "adapter": str(result.adapter),
        "steps": result.steps,
        "first_loss": result.first_loss,
        "last_loss": result.last_loss,
        "train_seconds": round(result.seconds, 1),
        "load_seconds": round(load_s, 1),
        "log": str(result.log),
        "plot": str(result.plot) if result.plot else None,
        "data_stats": stats,
        "val_stats": val_stats,
        "val_loss_before": val_losses[0] if val_losses else None,
        "val_loss_after": val_losses[-1] if val_losses else None,
    }
    write_run_file(result.adapter, summary)
    return summary


def write_run_file(adapter: Path, summary: dict[str, Any]) -> None:
    """Record the run beside its adapter: ``export`` reads the base model from it."""
    (adapter / RUN_FILE).write_text(json.dumps(summary, indent=1))
    (adapter.parent / RUN_FILE).write_text(json.dumps(summary, indent=1))


def register(subparsers: Any) -> None:
    """Add the ``sft`` subcommand."""
    parser = subparsers.add_parser(
        "sft", help="LoRA supervised fine-tuning (loss on the assistant turn)", description=__doc__.split("\n\n")[0]
    )
    from training.model import add_model_arguments

    parser.add_argument("--data", type=Path, required=True, help="SFT JSONL ({id, group, messages})")
    add_model_arguments(parser)
    parser.add_argument("--max-length", type=int, default=1024, help="longest example in tokens (longer: skipped)")
    parser.add_argument("--limit", type=int, default=None, help="use at most N examples")
    parser.add_argument("--shortest", action="store_true", help="with --limit: the N shortest examples")
    parser.add_argument(
        "--val-fraction", type=float, default=0.0, help="hold out whole problems (groups) for a validation loss"
    )
    parser.add_argument("--val-data", type=Path, default=None, help="validation JSONL (instead of --val-fraction)")
    parser.add_argument("--on-bad", choices=("skip", "fail"), default="skip", help="rows without an assistant turn")
    add_lora_arguments(parser)
    add_loop_arguments(parser, LoopOptions(out=Path("reports/training/sft")))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = SFTOptions(
        data=args.data,
        base=args.base,
        device=args.device,
        max_length=args.max_length,
        limit=args.limit,
        shortest=args.shortest,
        val_fraction=args.val_fraction,
        val_data=args.val_data,
        on_bad=args.on_bad,
        lora=lora_options(args),
        loop=loop_options(args),
    )
    print(json.dumps(run_sft(options)))
    return 0
