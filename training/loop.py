"""The one training loop of SFT and DPO: AdamW, cosine schedule with warmup, gradient accumulation and clipping,
checkpoints (adapter + optimizer + scheduler + step + RNG) every N steps and at the end, ``--resume``, a tqdm bar,
a JSON log of the loss curve and its PNG plot.

A task (:class:`Task`) says what a micro-batch is and what its loss is; the loop does the rest. The data order of
each epoch depends only on the seed and the epoch, so a resumed run sees exactly the batches an uninterrupted run
would have seen. Ctrl-C finishes the current optimizer step, saves a checkpoint and stops
(:class:`TrainingInterrupted`); a second Ctrl-C stops at once.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from training.errors import TrainingError

CHECKPOINTS = "checkpoints"
STATE_FILE = "trainer_state.pt"
LOG_FILE = "log.json"
PLOT_FILE = "loss.png"
ADAPTER_DIR = "adapter"
OOM_ADVICE = "lower --batch-size / --max-length"


class TrainingInterrupted(TrainingError):
    """Ctrl-C: a checkpoint was saved; ``--resume`` continues from it."""


@dataclass
class LoopOptions:
    """How to optimise (FasterPy's SFT settings by default) and where to keep the run."""

    out: Path = Path("reports/training/run")
    epochs: int = 2
    batch_size: int = 1
    grad_accum: int = 8
    lr: float = 1e-3
    warmup_ratio: float = 0.05
    weight_decay: float = 0.1
    max_grad_norm: float = 1.0
    save_every: int = 50
    keep_checkpoints: int = 2
    seed: int = 0
    resume: bool = False
    max_steps: int | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        for name in ("epochs", "batch_size", "grad_accum", "save_every", "keep_checkpoints"):
            if getattr(self, name) < 1:
                raise TrainingError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        if not 0 <= self.warmup_ratio < 1:
            raise TrainingError(f"--warmup-ratio must be in [0, 1), got {self.warmup_ratio}")
        if self.lr <= 0:
            raise TrainingError(f"--lr must be > 0, got {self.lr}")


class Task(Protocol):
    """What the loop trains: micro-batches in a seeded order, and the loss of one."""

    def num_batches(self) -> int:
        """Micro-batches per epoch."""
        ...

    def batches(self, epoch: int) -> Sequence[Any]:
        """The micro-batches of ``epoch``, in order; the same for the same epoch and seed, every time."""
        ...

    def loss(self, model: Any, batch: Any) -> tuple[Any, dict[str, float]]:
        """The scalar loss tensor of ``batch`` and metrics to log (floats)."""
        ...


class ShuffledBatches:
    """``Task.num_batches``/``batches`` for ``count`` items: micro-batches of indices, reshuffled each epoch from
    the seed (so a resumed run sees the same order). Subclasses set ``count``, ``batch_size`` and ``seed``."""

    count: int
    batch_size: int
    seed: int

    def num_batches(self) -> int:
        return math.ceil(self.count / self.batch_size)

    def batches(self, epoch: int) -> list[list[int]]:
        order = list(range(self.count))
        random.Random(self.seed * 1_000_003 + epoch).shuffle(order)
        return [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]


def cosine_with_warmup(step: int, warmup: int, total: int) -> float:
    """The learning-rate factor at ``step``: linear warmup to 1, then cosine decay to 0 at ``total``."""
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


@dataclass
class LoopResult:
    """How a finished run went."""

    steps: int
    first_loss: float | None
    last_loss: float | None
    evaluations: list[dict[str, Any]]
    seconds: float
    adapter: Path
    log: Path
    plot: Path | None


def train(
    model: Any,
    task: Task,
    options: LoopOptions,
    config: dict[str, Any] | None = None,
    on_step: Callable[[int], None] | None = None,
    evaluate: Callable[[Any], dict[str, float]] | None = None,
) -> LoopResult:
    """Train the trainable parameters of the peft ``model`` on ``task``; ``config`` is recorded in the log.

    ``on_step(step)`` is called after every optimizer step (tests use it to interrupt a run). ``evaluate(model)``
    (held-out metrics, e.g. ``val_loss``) runs before the first step, at every checkpoint and at the end; its
    results go to the log's ``evaluations``.
    """
    import torch

    options.out.mkdir(parents=True, exist_ok=True)
    per_epoch = math.ceil(task.num_batches() / options.grad_accum)
    if per_epoch == 0:
        raise TrainingError("no training examples left (all skipped?)")
    total = per_epoch * options.epochs
    if options.max_steps is not None:
        total = min(total, options.max_steps)
    # At least one warmup step whenever a ratio is set: a short run otherwise starts at the peak rate.
    warmup = math.ceil(options.warmup_ratio * total)

    _seed_everything(options.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=options.lr, weight_decay=options.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: cosine_with_warmup(s, warmup, total))
    log: dict[str, Any] = {
        "config": {**(config or {}), "loop": _jsonable(asdict(options))},
        "total_steps": total,
        "steps_per_epoch": per_epoch,
        "steps": [],
        "evaluations": [],
        "finished": False,
    }
    step, elapsed = 0, 0.0
    if options.resume:
        checkpoint = latest_checkpoint(options.out)
        if checkpoint is None:
            raise TrainingError(f"--resume: no checkpoint in {options.out / CHECKPOINTS}")
        step, elapsed, saved_log = _load_checkpoint(checkpoint, model, optimizer, scheduler, total)
        log["steps"] = [entry for entry in saved_log.get("steps", []) if entry["step"] <= step]
        log["evaluations"] = [entry for entry in saved_log.get("evaluations", []) if entry["step"] <= step]
        print(f"resuming from {checkpoint} (step {step} of {total})", file=sys.stderr)

    model.train()
    started = time.monotonic() - elapsed
    stop = _StopFlag()

    def run_evaluation() -> None:
        if evaluate is None or any(entry["step"] == step for entry in log["evaluations"]):
            return
        model.eval()
        with torch.no_grad():
            metrics = evaluate(model)
        model.train()
        log["evaluations"].append({"step": step, **{k: round(v, 6) for k, v in metrics.items()}})
        print(f"evaluation at step {step}: {json.dumps(metrics)}", file=sys.stderr)

    bar = _progress(options, total, step)
    try:
        with stop.installed():
            if step == 0:
                run_evaluation()
            while step < total:
                epoch, within = divmod(step, per_epoch)
                micro = task.batches(epoch)[within * options.grad_accum : (within + 1) * options.grad_accum]
                metrics: dict[str, float] = {}
                for batch in micro:
                    loss, batch_metrics = task.loss(model, batch)
                    (loss / len(micro)).backward()
                    for key, value in {"loss": float(loss.detach()), **batch_metrics}.items():
                        metrics[key] = metrics.get(key, 0.0) + value / len(micro)
                grad_norm = torch.nn.utils.clip_grad_norm_(params, options.max_grad_norm)
                lr = scheduler.get_last_lr()[0]
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                entry = {"step": step, "epoch": round(epoch + (within + 1) / per_epoch, 4), "lr": lr}
                entry |= {k: round(v, 6) for k, v in metrics.items()}
                entry |= {"grad_norm": round(float(grad_norm), 6), "elapsed_s": round(time.monotonic() - started, 2)}
                log["steps"].append(entry)
                bar.update(1)
                bar.set_postfix(loss=f"{metrics['loss']:.4f}")
                if step % options.save_every == 0 and step < total:
                    run_evaluation()
                    _save_checkpoint(options, model, optimizer, scheduler, step, time.monotonic() - started, log)
                if on_step is not None:
                    on_step(step)
                if stop.requested:
                    path = _save_checkpoint(options, model, optimizer, scheduler, step, time.monotonic() - started, log)
                    raise TrainingInterrupted(
                        f"interrupted at step {step} of {total}; checkpoint saved to {path}; "
                        "rerun the same command with --resume to continue"
                    )
            run_evaluation()
    except (MemoryError, torch.OutOfMemoryError) as exc:
        _free_memory()
        raise TrainingError(f"out of memory at step {step + 1} ({type(exc).__name__}): {OOM_ADVICE}") from exc
    finally:
        bar.close()

    seconds = time.monotonic() - started
    log["finished"] = True
    log["seconds"] = round(seconds, 2)
    _save_checkpoint(options, model, optimizer, scheduler, step, seconds, log)
    adapter = options.out / ADAPTER_DIR
    model.save_pretrained(str(adapter))
    plot = write_plot(log, options.out / PLOT_FILE)
    losses = [entry["loss"] for entry in log["steps"]]
    return LoopResult(
        steps=step,
        first_loss=losses[0] if losses else None,
        last_loss=losses[-1] if losses else None,
        seconds=seconds,
        adapter=adapter,
        log=options.out / LOG_FILE,
        plot=plot,
        evaluations=log["evaluations"],
    )


# --- checkpoints ---------------------------------------------------------------------------------------------------


def checkpoint_dirs(out: Path) -> list[Path]:
    """The complete checkpoints of a run, oldest first (a checkpoint is complete once its state file exists)."""
    root = Path(out) / CHECKPOINTS
    if not root.is_dir():
        return []
    found = [p for p in root.glob("step-*") if (p / STATE_FILE).is_file() and p.name[5:].isdigit()]
    return sorted(found, key=lambda p: int(p.name[5:]))


def latest_checkpoint(out: Path) -> Path | None:
    dirs = checkpoint_dirs(out)
    return dirs[-1] if dirs else None


def _save_checkpoint(
    options: LoopOptions, model: Any, optimizer: Any, scheduler: Any, step: int, elapsed: float, log: dict[str, Any]
) -> Path:
    import torch

    root = options.out / CHECKPOINTS
    final = root / f"step-{step:06d}"
    partial = root / f".partial-step-{step:06d}"
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(str(partial))
    state = {
        "step": step,
        "elapsed_s": elapsed,
        "total_steps": log["total_steps"],
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": _rng_state(),
    }
    torch.save(state, partial / STATE_FILE)
    # Written under a temporary name and renamed: a crash mid-save never leaves a checkpoint that looks complete.
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    _write_json(options.out / LOG_FILE, log)
    for old in checkpoint_dirs(options.out)[: -options.keep_checkpoints]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def _load_checkpoint(
    checkpoint: Path, model: Any, optimizer: Any, scheduler: Any, total: int
) -> tuple[int, float, dict[str, Any]]:
    import torch

    from training.lora import load_adapter_weights

    state = torch.load(checkpoint / STATE_FILE, map_location="cpu", weights_only=False)
    if state["total_steps"] != total:
        raise TrainingError(
            f"--resume: {checkpoint} belongs to a run of {state['total_steps']} steps, this one has {total} "
            "(same data and options needed to resume)"
        )
    load_adapter_weights(model, checkpoint)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    _set_rng_state(state["rng"])
    log_path = checkpoint.parent.parent / LOG_FILE
    saved_log = json.loads(log_path.read_text()) if log_path.is_file() else {}
    return int(state["step"]), float(state["elapsed_s"]), saved_log


def _rng_state() -> dict[str, Any]:
    import numpy as np
    import torch

    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    import numpy as np
    import torch

    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _free_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


# --- logs and plots ------------------------------------------------------------------------------------------------


def write_plot(log: dict[str, Any], path: Path) -> Path | None:
    """The loss curve (and DPO's rewards, when logged) as a PNG; None when nothing was logged."""
    steps = log.get("steps", [])
    if not steps:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rewards = [k for k in ("reward_chosen", "reward_rejected", "reward_margin") if k in steps[0]]
    figure, axes = plt.subplots(1, 2 if rewards else 1, figsize=(11 if rewards else 6, 4), squeeze=False)
    xs = [entry["step"] for entry in steps]
    axes[0][0].plot(xs, [entry["loss"] for entry in steps], label="training loss")
    evaluations = [e for e in log.get("evaluations", []) if "val_loss" in e]
    if evaluations:
        axes[0][0].plot([e["step"] for e in evaluations], [e["val_loss"] for e in evaluations], "o-", label="val loss")
        axes[0][0].legend()
    axes[0][0].set_xlabel("optimizer step")
    axes[0][0].set_ylabel("loss")
    axes[0][0].set_title(str(log.get("config", {}).get("task", "training")))
    for key in rewards:
        axes[0][1].plot(xs, [entry[key] for entry in steps], label=key)
    if rewards:
        axes[0][1].set_xlabel("optimizer step")
        axes[0][1].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=1))
    temporary.replace(path)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


class _StopFlag:
    """SIGINT sets a flag checked after each optimizer step (a checkpoint mid-step would be inconsistent)."""

    def __init__(self) -> None:
        self.requested = False

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, frame: Any) -> None:
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True
            print("\nCtrl-C: saving a checkpoint after this step (Ctrl-C again to stop at once)", file=sys.stderr)

        previous = signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def set_postfix(self, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(options: LoopOptions, total: int, initial: int) -> Any:
    if not options.progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc="train", unit="step", file=sys.stderr, dynamic_ncols=True)


# --- command-line options shared by sft and dpo --------------------------------------------------------------------


def add_loop_arguments(parser: Any, defaults: LoopOptions) -> None:
    """The loop's flags (``defaults`` gives the command's own defaults)."""
    group = parser.add_argument_group("training loop")
    group.add_argument("--out", type=Path, default=defaults.out, help="run folder (default: %(default)s)")
    group.add_argument("--epochs", type=int, default=defaults.epochs, help="default: %(default)s")
    group.add_argument("--batch-size", type=int, default=defaults.batch_size, help="default: %(default)s")
    group.add_argument("--grad-accum", type=int, default=defaults.grad_accum, help="default: %(default)s")
    group.add_argument("--lr", type=float, default=defaults.lr, help="peak learning rate (default: %(default)s)")
    group.add_argument("--warmup-ratio", type=float, default=defaults.warmup_ratio, help="default: %(default)s")
    group.add_argument("--weight-decay", type=float, default=defaults.weight_decay, help="default: %(default)s")
    group.add_argument("--max-grad-norm", type=float, default=defaults.max_grad_norm, help="default: %(default)s")
    group.add_argument("--save-every", type=int, default=defaults.save_every, help="checkpoint every N steps")
    group.add_argument("--max-steps", type=int, default=None, help="stop after N optimizer steps")
    group.add_argument("--seed", type=int, default=defaults.seed, help="default: %(default)s")
    group.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    group.add_argument("--no-progress", action="store_true", help="no progress bar")


def loop_options(args: Any) -> LoopOptions:
    return LoopOptions(
        out=args.out,
        epochs=args.epochs,
        batch_size=args.batch_size,
        grad_accum=args.grad_accum,
        lr=args.lr,
        warmup_ratio=args.warmup_ratio,
        weight_decay=args.weight_decay,
        max_grad_norm=args.max_grad_norm,
        save_every=args.save_every,
        seed=args.seed,
        resume=args.resume,
        max_steps=args.max_steps,
        progress=not args.no_progress,
    )
