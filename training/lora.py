"""LoRA adapters with peft: FasterPy's settings, applying, merging and loading them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.errors import TrainingError

# Every attention and MLP projection of a llama-style block, as FasterPy fine-tunes.
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class LoraOptions:
    """FasterPy's LoRA settings by default."""

    r: int = 8
    alpha: int = 32
    dropout: float = 0.05
    target_modules: tuple[str, ...] = TARGET_MODULES

    def config(self) -> Any:
        from peft import LoraConfig

        return LoraConfig(
            r=self.r,
            lora_alpha=self.alpha,
            lora_dropout=self.dropout,
            target_modules=list(self.target_modules),
            task_type="CAUSAL_LM",
        )


def add_lora(model: Any, options: LoraOptions) -> Any:
    """``model`` wrapped by peft with a fresh trainable adapter (the base weights frozen)."""
    from peft import get_peft_model

    present = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    missing = [m for m in options.target_modules if m not in present]
    if len(missing) == len(options.target_modules):
        raise TrainingError(f"the model has none of the LoRA target modules {', '.join(options.target_modules)}")
    return get_peft_model(model, options.config())


def merge_adapters(model: Any, adapters: Sequence[Path]) -> Any:
    """``model`` with each adapter folder merged into its weights, in order (e.g. SFT, then DPO)."""
    from peft import PeftModel

    for adapter in adapters:
        if not (Path(adapter) / "adapter_config.json").is_file():
            raise TrainingError(f"{adapter} is not a LoRA adapter folder (no adapter_config.json)")
        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    return model


def load_adapter_weights(model: Any, adapter: Path) -> None:
    """Load the weights saved in ``adapter`` into the peft ``model``'s active adapter (resuming a run)."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    weights = Path(adapter) / "adapter_model.safetensors"
    if not weights.is_file():
        raise TrainingError(f"{adapter} holds no adapter_model.safetensors")
    result = set_peft_model_state_dict(model, load_file(str(weights), device=str(next(model.parameters()).device)))
    unexpected = getattr(result, "unexpected_keys", [])
    if unexpected:
        raise TrainingError(f"the adapter in {adapter} does not fit this model ({unexpected[0]} ...)")


def add_lora_arguments(parser: Any) -> None:
    """The LoRA flags (FasterPy's settings by default)."""
    group = parser.add_argument_group("LoRA")
    group.add_argument("--lora-r", type=int, default=LoraOptions.r, help="rank (default: %(default)s)")
    group.add_argument("--lora-alpha", type=int, default=LoraOptions.alpha, help="alpha (default: %(default)s)")
    group.add_argument("--lora-dropout", type=float, default=LoraOptions.dropout, help="default: %(default)s")
    group.add_argument(
        "--lora-targets", default=",".join(TARGET_MODULES), help="comma-separated module names (default: all proj)"
    )


def lora_options(args: Any) -> LoraOptions:
    targets = tuple(t.strip() for t in args.lora_targets.split(",") if t.strip())
    if args.lora_r < 1 or not targets:
        raise TrainingError("--lora-r must be >= 1 and --lora-targets non-empty")
    return LoraOptions(r=args.lora_r, alpha=args.lora_alpha, dropout=args.lora_dropout, target_modules=targets)
