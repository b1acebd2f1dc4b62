"""``python -m training dpo``: Direct Preference Optimization with a LoRA adapter (sigmoid loss).

Rows are ``{"id", "group", "messages": [system, user], "chosen": str, "rejected": str}`` (the two assistant
answers). The policy is the model with its trainable adapter, the reference the same model with the adapter
disabled (peft's ``disable_adapter()``), so no second copy is held in memory. A sequence's log-probability is the
sum over its response tokens only (the assistant turn as the chat template renders it, end-of-turn included).

``--init-adapter`` starts from an SFT adapter: it is merged into the base weights first, so the reference is the
SFT model (as DPO intends) and the new adapter learns the preference on top; ``export`` merges both in order.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.dataset import bad, message_problem, read_jsonl
from training.errors import TrainingError
from training.loop import LoopOptions, ShuffledBatches, add_loop_arguments, loop_options, train
from training.lora import LoraOptions, add_lora_arguments, lora_options
from training.sft import IGNORE, take, write_run_file

DEFAULT_BETA = 0.1


def dpo_loss(
    policy_chosen: Any, policy_rejected: Any, reference_chosen: Any, reference_rejected: Any, beta: float
) -> tuple[Any, Any, Any]:
    """Per-pair sigmoid DPO loss and the implicit rewards ``beta * (log pi - log pi_ref)`` of both answers.

    ``loss = -log sigmoid(beta * ((pi_c - ref_c) - (pi_r - ref_r)))`` on summed response log-probabilities.
    """
    import torch.nn.functional as F

    chosen_reward = beta * (policy_chosen - reference_chosen)
    rejected_reward = beta * (policy_rejected - reference_rejected)
    loss = -F.logsigmoid(chosen_reward - rejected_reward)
    return loss, chosen_reward.detach(), rejected_reward.detach()


def sequence_logps(model: Any, sequences: list[tuple[list[int], list[int]]], pad_id: int) -> Any:
    """Sum of log p(token) over the labelled (response) tokens of each ``(input_ids, labels)`` sequence."""
    import torch

    device = next(model.parameters()).device
    width = max(len(ids) for ids, _ in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    labels = torch.full((len(sequences), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, (seq, lab) in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq)
        labels[row, : len(lab)] = torch.tensor(lab)
        mask[row, : len(seq)] = 1
    ids, labels, mask = ids.to(device), labels.to(device), mask.to(device)
    logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1, :].float()
    targets = labels[:, 1:]
    picked = torch.gather(logits.log_softmax(-1), 2, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (picked * (targets != IGNORE)).sum(-1)


@dataclass
class PreferencePair:
    """One tokenized preference: the chosen and the rejected conversation as ``(input_ids, labels)``."""

    id: str
    chosen: tuple[list[int], list[int]]
    rejected: tuple[list[int], list[int]]


def read_preferences(path: Path, on_bad: str = "skip") -> list[dict[str, Any]]:
    """The DPO rows of ``path``, checked: a prompt without assistant turn, and non-empty chosen/rejected strings."""
    rows = []
    for number, row in read_jsonl(path, on_bad):  # type: ignore[arg-type]
        problem = message_problem(row.get("messages"), want_assistant=False)
        if problem is None:
            for key in ("chosen", "rejected"):
                if not isinstance(row.get(key), str) or not row[key].strip():
                    problem = f"no {key} answer"
        if problem is not None:
            bad(path, number, problem, on_bad)  # type: ignore[arg-type]
            continue
        row_id = str(row.get("id", f"{path.stem}-{number}"))
        rows.append({**row, "id": row_id, "group": str(row.get("group", row_id))})
    return rows


def tokenize_preferences(
    tokenizer: Any, rows: list[dict[str, Any]], max_length: int, limit: int | None = None, shortest: bool = False
) -> tuple[list[PreferencePair], dict[str, int]]:
    """Tokenized pairs; a pair whose chosen or rejected conversation exceeds ``max_length`` is left out.

    ``limit``/``shortest`` as for SFT, a pair's length being its longer side's.
    """
    from training.sft import tokenize_example

    kept, too_long = [], 0
    for row in rows:
        sides = []
        for key in ("chosen", "rejected"):
            messages = [*row["messages"], {"role": "assistant", "content": row[key]}]
            sides.append(tokenize_example(tokenizer, messages))
        if max(len(ids) for ids, _ in sides) > max_length:
            too_long += 1
            continue
        kept.append(PreferencePair(row["id"], sides[0], sides[1]))
    kept = take(kept, limit, shortest, length=lambda p: max(len(p.chosen[0]), len(p.rejected[0])))
    return kept, {"rows": len(rows), "too_long": too_long, "used": len(kept)}


class DPOTask(ShuffledBatches):
    """Micro-batches of preference pairs; chosen and rejected go through the model in one batch."""

    def __init__(self, pairs: list[PreferencePair], batch_size: int, pad_id: int, beta: float, seed: int) -> None:
        self.pairs = pairs
        self.count = len(pairs)
        self.batch_size = batch_size
        self.pad_id = pad_id
        self.beta = beta
        self.seed = seed

    def loss(self, model: Any, batch: list[int]) -> tuple[Any, dict[str, float]]:
        import torch

        items = [self.pairs[i] for i in batch]
        sequences = [p.chosen for p in items] + [p.rejected for p in items]
        n = len(items)
        policy = sequence_logps(model, sequences, self.pad_id)
        with torch.no_grad(), model.disable_adapter():
            reference = sequence_logps(model, sequences, self.pad_id)
        loss, chosen, rejected = dpo_loss(policy[:n], policy[n:], reference[:n], reference[n:], self.beta)
        return loss.mean(), {
            "reward_chosen": float(chosen.mean()),
            "reward_rejected": float(rejected.mean()),
            "reward_margin": float((chosen - rejected).mean()),
            "accuracy": float((chosen > rejected).float().mean()),
        }


@dataclass
class DPOOptions:
    """What to train on and how."""

    data: Path
    base: str | None = None
    device: str | None = None
    beta: float = DEFAULT_BETA
    max_length: int = 1024
    limit: int | None = None
    shortest: bool = False
    init_adapters: tuple[Path, ...] = ()
    on_bad: str = "skip"
    lora: LoraOptions = field(default_factory=LoraOptions)
    loop: LoopOptions = field(default_factory=lambda: LoopOptions(out=Path("reports/training/dpo"), lr=5e-5, epochs=1))


def run_dpo(options: DPOOptions) -> dict[str, Any]:
    """Train, write the adapter, log and plot under ``options.loop.out``; returns the run summary."""
    from optimizer.prompt import PROMPT_VERSION
    from training.model import load_for_training, resolve_base

    if options.beta <= 0:
        raise TrainingError(f"--beta must be > 0, got {options.beta}")
    base = resolve_base(options.base)
    rows = read_preferences(options.data, options.on_bad)
    if not rows:
        raise TrainingError(f"{options.data} holds no usable preference pairs")
    started = time.monotonic()
    model, tokenizer = load_for_training(base, options.lora, options.init_adapters, options.device)
    load_s = time.monotonic() - started
    pairs, stats = tokenize_preferences(tokenizer, rows, options.max_length, options.limit, options.shortest)
    if not pairs:
        raise TrainingError(f"no preference pair fits --max-length {options.max_length}: raise it")
    print(f"dpo: {json.dumps(stats)}; base {base.describe()} loaded in {load_s:.1f}s", file=sys.stderr)
    task = DPOTask(pairs, options.loop.batch_size, tokenizer.pad_token_id, options.beta, options.loop.seed)
    config = {
        "task": "dpo",
        "base": base.describe(),
        "data": str(options.data),
        "beta": options.beta,
        "init_adapters": [str(p) for p in options.init_adapters],
        "prompt_version": PROMPT_VERSION,
        "max_length": options.max_length,
        "data_stats": stats,
    }
    result = train(model, task, options.loop, config)
    summary = {
        "task": "dpo",
        "base": str(base.path),
        "base_kind": base.kind,
        "init_adapters": [str(Path(p).resolve()) for p in options.init_adapters],
        "adapter": str(result.adapter),
        "steps": result.steps,
        "first_loss": result.first_loss,
        "last_loss": result.last_loss,
        "train_seconds": round(result.seconds, 1),
        "load_seconds": round(load_s, 1),
        "log": str(result.log),
        "plot": str(result.plot) if result.plot else None,
        "data_stats": stats,
    }
    write_run_file(result.adapter, summary)
    return summary


def register(subparsers: Any) -> None:
    """Add the ``dpo`` subcommand."""
    from training.model import add_model_arguments

    parser = subparsers.add_parser(
        "dpo", help="DPO with a LoRA adapter (reference: the adapter disabled)", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data", type=Path, required=True, help="JSONL of {id, group, messages, chosen, rejected}")
    add_model_arguments(parser)
    parser.add_argument("--beta", type=float, default=DEFAULT_BETA, help="DPO temperature (default: %(default)s)")
    parser.add_argument("--max-length", type=int, default=1024, help="longest conversation in tokens (longer: skipped)")
    parser.add_argument("--limit", type=int, default=None, help="use at most N pairs")
    parser.add_argument("--shortest", action="store_true", help="with --limit: the N shortest pairs")
    parser.add_argument(
        "--init-adapter", type=Path, action="append", default=[], help="SFT adapter merged in first (repeatable)"
    )
    parser.add_argument("--on-bad", choices=("skip", "fail"), default="skip", help="malformed rows: skip or fail")
    add_lora_arguments(parser)
    add_loop_arguments(parser, DPOOptions(data=Path()).loop)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = DPOOptions(
        data=args.data,
        base=args.base,
        device=args.device,
        beta=args.beta,
        max_length=args.max_length,
        limit=args.limit,
        shortest=args.shortest,
        init_adapters=tuple(args.init_adapter),
        on_bad=args.on_bad,
        lora=lora_options(args),
        loop=loop_options(args),
    )
    print(json.dumps(run_dpo(options)))
    return 0
