"""Loading a base model and its tokenizer: a Hugging Face folder or a GGUF file (dequantized by transformers).

Nothing is downloaded (``HF_HUB_OFFLINE=1``). The default base is the GGUF the optimizer runs,
:func:`optimizer.llm.default_model_path`. The device is chosen automatically: cuda, then mps, then cpu.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from training.errors import TrainingError

GGUF_MAGIC = b"GGUF"
BaseKind = Literal["hf", "gguf"]


@dataclass(frozen=True)
class BaseModel:
    """Where a base model lives: ``folder`` (+ ``gguf_file`` for a GGUF) and which kind it is."""

    path: Path
    kind: BaseKind

    @property
    def folder(self) -> Path:
        return self.path if self.kind == "hf" else self.path.parent

    @property
    def gguf_file(self) -> str | None:
        return self.path.name if self.kind == "gguf" else None

    def describe(self) -> str:
        return f"{self.kind}:{self.path}"


def resolve_base(path: str | Path | None) -> BaseModel:
    """The base model at ``path`` (None: the optimizer's default GGUF); TrainingError when it is neither kind."""
    if path is None:
        from optimizer.llm import INSTALL_MODEL, default_model_path

        found = default_model_path()
        if found is None:
            raise TrainingError(f"no --base given and the default model is not installed: {INSTALL_MODEL}")
        path = found
    path = Path(path)
    if path.is_dir():
        if (path / "config.json").is_file():
            return BaseModel(path, "hf")
        raise TrainingError(f"{path} is a folder without config.json: not a Hugging Face model folder")
    if path.is_file():
        with path.open("rb") as handle:
            if handle.read(4) == GGUF_MAGIC:
                return BaseModel(path, "gguf")
        raise TrainingError(f"{path} is neither a Hugging Face model folder (with config.json) nor a GGUF file")
    raise TrainingError(f"base model {path} does not exist")


def pick_device(requested: str | None = None) -> Any:
    """``requested`` if given, else cuda, then mps, then cpu."""
    import torch

    if requested:
        return torch.device(requested)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def pick_dtype(device: Any) -> Any:
    """bfloat16 on a GPU that supports it (half the memory, no loss scaling needed), float32 elsewhere."""
    import torch

    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def load_tokenizer(base: BaseModel) -> Any:
    """The base's tokenizer, with a pad token and a chat template (ChatML, as the optimizer, when it has none)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoTokenizer

    from optimizer.llm import CHATML_TEMPLATE

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(base.folder), gguf_file=base.gguf_file)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise TrainingError(f"cannot load the tokenizer of {base.path}: {_first_line(exc)}") from exc
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def load_model(base: BaseModel, device: Any = None, dtype: Any = None) -> Any:
    """The base causal LM on ``device`` (default :func:`pick_device`), weights in ``dtype`` (a GGUF dequantized)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModelForCausalLM

    device = device or pick_device()
    dtype = dtype or pick_dtype(device)
    try:
        model = AutoModelForCausalLM.from_pretrained(str(base.folder), gguf_file=base.gguf_file, dtype=dtype)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise TrainingError(f"cannot load the model {base.path}: {_first_line(exc)}") from exc
    return model.to(device)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load_for_training(
    base: BaseModel, lora: Any, init_adapters: tuple[Path, ...] = (), device: str | None = None
) -> tuple[Any, Any]:
    """(peft model with a fresh trainable LoRA adapter, tokenizer); ``init_adapters`` are merged in first."""
    from training.lora import add_lora, merge_adapters

    tokenizer = load_tokenizer(base)
    model = load_model(base, pick_device(device))
    if init_adapters:
        model = merge_adapters(model, init_adapters)
    model.config.use_cache = False  # no KV cache while training: it only costs memory
    return add_lora(model, lora), tokenizer


def add_model_arguments(parser: Any) -> None:
    """``--base`` and ``--device``."""
    parser.add_argument(
        "--base",
        default=None,
        help="base model: a Hugging Face folder or a GGUF file (default: the optimizer's SmolLM2 GGUF)",
    )
    parser.add_argument("--device", default=None, help="torch device (default: cuda, then mps, then cpu)")
