"""A pure-numpy forward pass for sentence-transformers BERT models (Transformer -> Pooling -> Normalize).

The model host only ever embeds: loading torch, transformers and sentence-transformers for that costs
seconds of imports and hundreds of megabytes. This module reads the same files (``config.json``,
``model.safetensors``, ``tokenizer.json``, ``1_Pooling/config.json``, ``modules.json``) with numpy,
``safetensors.numpy`` and ``tokenizers`` and computes the same vectors in float32 (within ~1e-6 of
sentence-transformers per component on all-MiniLM-L6-v2). Nothing here imports torch.

Supported: ``model_type`` "bert" with absolute positions and the exact (erf) GELU, pooling by CLS,
mean, max and/or mean-sqrt-len tokens, an optional Normalize module. ``unsupported_reason`` says why a
folder is not one of those, so a caller can fall back to sentence-transformers.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from tokenizers import Tokenizer

SUPPORTED = (
    "a sentence-transformers folder with model_type 'bert' (absolute positions, gelu), "
    "modules Transformer + Pooling (cls/mean/max/mean_sqrt_len) [+ Normalize], "
    "model.safetensors and tokenizer.json"
)
_MODULE_KINDS = ("Transformer", "Pooling", "Normalize")
# Sentence-transformers concatenates the pooled vectors in this order when several modes are on.
_POOLING_MODES = ("cls_token", "max_tokens", "mean_tokens", "mean_sqrt_len_tokens")
_OTHER_POOLING_MODES = ("weightedmean_tokens", "lasttoken")


@dataclass(frozen=True)
class BertConfig:
    """The parts of a Hugging Face BERT ``config.json`` the forward pass needs."""

    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    layer_norm_eps: float

    @classmethod
    def from_file(cls, path: Path) -> BertConfig:
        raw = json.loads(path.read_text())
        return cls(
            hidden_size=int(raw["hidden_size"]),
            num_hidden_layers=int(raw["num_hidden_layers"]),
            num_attention_heads=int(raw["num_attention_heads"]),
            intermediate_size=int(raw["intermediate_size"]),
            max_position_embeddings=int(raw.get("max_position_embeddings", 512)),
            layer_norm_eps=float(raw.get("layer_norm_eps", 1e-12)),
        )


@dataclass(frozen=True)
class SentenceModelLayout:
    """What follows the transformer: which pooling modes, and whether vectors are normalised."""

    pooling_modes: tuple[str, ...]
    normalize: bool
    do_lower_case: bool


def _read_json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _module_kind(module: dict) -> str:
    return str(module.get("type", "")).rsplit(".", 1)[-1]


def unsupported_reason(path: Path) -> str | None:
    """None when this backend can run the model folder ``path``; otherwise what it lacks, in words."""
    config = _read_json(path / "config.json")
    if not isinstance(config, dict):
        return "no readable config.json"
    if config.get("model_type") != "bert":
        return f"model_type is {config.get('model_type')!r}, not 'bert'"
    if config.get("position_embedding_type", "absolute") != "absolute":
        return f"position_embedding_type {config.get('position_embedding_type')!r} (only 'absolute')"
    if config.get("hidden_act", "gelu") != "gelu":
        return f"hidden_act {config.get('hidden_act')!r} (only 'gelu')"
    modules = _read_json(path / "modules.json")
    if not isinstance(modules, list) or not modules:
        return "no readable modules.json"
    kinds = [_module_kind(m) for m in modules]
    if kinds[0] != "Transformer" or modules[0].get("path", "") not in ("", "."):
        return f"the first module is {kinds[0]!r} in {modules[0].get('path')!r}, not a Transformer in the folder"
    unknown = [k for k in kinds if k not in _MODULE_KINDS]
    if unknown or kinds.count("Transformer") != 1 or "Pooling" not in kinds:
        return f"modules {kinds} (only Transformer, Pooling and Normalize)"
    pooling = _read_json(path / _pooling_folder(modules) / "config.json")
    if not isinstance(pooling, dict):
        return "no readable pooling config.json"
    others = [m for m in _OTHER_POOLING_MODES if pooling.get(f"pooling_mode_{m}")]
    if others or not any(pooling.get(f"pooling_mode_{m}") for m in _POOLING_MODES):
        return f"pooling modes {others or 'none'} (only cls, mean, max and mean_sqrt_len)"
    for name in ("model.safetensors", "tokenizer.json"):
        if not (path / name).is_file():
            return f"no {name}"
    return None


def _pooling_folder(modules: list) -> str:
    return next(m.get("path", "") for m in modules if _module_kind(m) == "Pooling")


def _layout(path: Path) -> SentenceModelLayout:
    modules = _read_json(path / "modules.json")
    assert isinstance(modules, list)
    pooling = _read_json(path / _pooling_folder(modules) / "config.json")
    assert isinstance(pooling, dict)
    st_config = _read_json(path / "sentence_bert_config.json")
    return SentenceModelLayout(
        pooling_modes=tuple(m for m in _POOLING_MODES if pooling.get(f"pooling_mode_{m}")),
        normalize=any(_module_kind(m) == "Normalize" for m in modules),
        do_lower_case=bool(isinstance(st_config, dict) and st_config.get("do_lower_case")),
    )


@dataclass(frozen=True)
class _Layer:
    """One encoder layer's weights, laid out for ``x @ w`` (query, key and value fused in one matrix)."""

    qkv_w: np.ndarray
    qkv_b: np.ndarray
    attn_out_w: np.ndarray
    attn_out_b: np.ndarray
    attn_norm_w: np.ndarray
    attn_norm_b: np.ndarray
    inter_w: np.ndarray
    inter_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    out_norm_w: np.ndarray
    out_norm_b: np.ndarray


class NumpyBertEncoder:
    """Sentence embeddings from a BERT sentence-transformers folder, computed with numpy in float32."""

    def __init__(self, path: Path, max_seq_length: int, threads: int | None = None) -> None:
        reason = unsupported_reason(path)
        if reason is not None:
            raise ValueError(f"{path}: {reason}; the numpy backend supports {SUPPORTED}")
        self.path = path
        self.config = BertConfig.from_file(path / "config.json")
        self.layout = _layout(path)
        self.max_seq_length = min(max_seq_length, self.config.max_position_embeddings)
        self.tokenizer = self._load_tokenizer()
        self._load_weights()
        self.threads = BlasThreads(threads)

    @property
    def dimension(self) -> int:
        return self.config.hidden_size * len(self.layout.pooling_modes)

    def _load_tokenizer(self) -> Tokenizer:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        # As sentence-transformers calls it: each text truncated to max_seq_length tokens, special
        # tokens included; no padding (the forward pass packs texts instead).
        tokenizer.enable_truncation(max_length=self.max_seq_length)
        tokenizer.no_padding()
        return tokenizer

    def _load_weights(self) -> None:
        import numpy as np
        from safetensors.numpy import load_file

        raw = load_file(str(self.path / "model.safetensors"))
        # Some exports prefix every name with "bert." (a BertModel inside a task model).
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in raw else ""

        def take(name: str) -> np.ndarray:
            if prefix + name not in raw:
                raise ValueError(f"{self.path / 'model.safetensors'} has no tensor {prefix + name!r}")
            return np.ascontiguousarray(raw.pop(prefix + name), dtype=np.float32)

        self.word_embeddings = take("embeddings.word_embeddings.weight")
        self.position_embeddings = take("embeddings.position_embeddings.weight")
        # Every text is one segment, so only the first token-type row is ever added.
        self.token_type_row = take("embeddings.token_type_embeddings.weight")[0].copy()
        self.embed_norm_w = take("embeddings.LayerNorm.weight")
        self.embed_norm_b = take("embeddings.LayerNorm.bias")
        self.layers: list[_Layer] = []
        for i in range(self.config.num_hidden_layers):
            p = f"encoder.layer.{i}."
            # Linear weights are stored (out, in); transposed once here so every product is x @ w.
            qkv = [take(f"{p}attention.self.{n}.weight") for n in ("query", "key", "value")]
            qkv_b = [take(f"{p}attention.self.{n}.bias") for n in ("query", "key", "value")]
            # Scaling the query by 1/sqrt(head_dim) here saves a pass over every score matrix.
            scale = np.float32(1.0 / np.sqrt(self.config.hidden_size // self.config.num_attention_heads))
            qkv[0], qkv_b[0] = qkv[0] * scale, qkv_b[0] * scale
            self.layers.append(
                _Layer(
                    qkv_w=np.ascontiguousarray(np.concatenate(qkv, axis=0).T),
                    qkv_b=np.concatenate(qkv_b),
                    attn_out_w=np.ascontiguousarray(take(f"{p}attention.output.dense.weight").T),
                    attn_out_b=take(f"{p}attention.output.dense.bias"),
                    attn_norm_w=take(f"{p}attention.output.LayerNorm.weight"),
                    attn_norm_b=take(f"{p}attention.output.LayerNorm.bias"),
                    inter_w=np.ascontiguousarray(take(f"{p}intermediate.dense.weight").T),
                    inter_b=take(f"{p}intermediate.dense.bias"),
                    out_w=np.ascontiguousarray(take(f"{p}output.dense.weight").T),
                    out_b=take(f"{p}output.dense.bias"),
                    out_norm_w=take(f"{p}output.LayerNorm.weight"),
                    out_norm_b=take(f"{p}output.LayerNorm.bias"),
                )
            )
        raw.clear()  # the pooler and position ids are not used

    # --- the forward pass ----------------------------------------------------------------------------
    # Texts are not padded: the tokens of a batch are packed into one (tokens, hidden) matrix, the dense
    # layers run on all of them at once and attention runs per text on its own rows. That is exactly
    # what a padded, masked forward pass computes for the real tokens (masked keys get weight 0), minus
    # the work on padding.
    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's token ids (special tokens included, truncated to ``max_seq_length``)."""
        if self.layout.do_lower_case:
            texts = [text.lower() for text in texts]
        return [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One float32 sentence vector per text (unit length when the model has a Normalize module)."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        tokens = self.token_ids(texts)
        lengths = np.array([len(ids) for ids in tokens], dtype=np.int64)
        with self.threads.dense():
            hidden = self.hidden_states(np.fromiter((i for ids in tokens for i in ids), dtype=np.int64), lengths)
        pooled = _pool(hidden, lengths, self.layout.pooling_modes)
        if self.layout.normalize:
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            pooled /= np.maximum(norms, np.float32(1e-12))  # torch.nn.functional.normalize's eps
        return pooled

    def hidden_states(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """The last layer's states of the packed tokens ``ids`` (texts of ``lengths`` tokens one after
        the other), a (tokens, hidden) float32 matrix."""
        import numpy as np

        cfg = self.config
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        positions = np.arange(len(ids), dtype=np.int64) - np.repeat(starts, lengths)
        x = self.word_embeddings[ids]
        x += self.position_embeddings[positions]
        x += self.token_type_row
        x = _layer_norm(x, self.embed_norm_w, self.embed_norm_b, cfg.layer_norm_eps)
        spans = list(zip(starts.tolist(), lengths.tolist(), strict=True))
        for layer in self.layers:
            x = self._layer(x, layer, spans)
        return x

    def _layer(self, x: np.ndarray, layer: _Layer, spans: list[tuple[int, int]]) -> np.ndarray:
        import numpy as np

        cfg = self.config
        heads = cfg.num_attention_heads
        head_dim = cfg.hidden_size // heads
        qkv = x @ layer.qkv_w
        qkv += layer.qkv_b
        context = np.empty_like(x)
        with self.threads.attention():
            for start, length in spans:
                # (length, 3*hidden) -> query, key, value as (heads, length, head_dim) views
                part = qkv[start : start + length].reshape(length, 3, heads, head_dim).transpose(1, 2, 0, 3)
                scores = part[0] @ part[1].transpose(0, 2, 1)  # the query weights carry 1/sqrt(head_dim)
                scores -= scores.max(axis=-1, keepdims=True)
                np.exp(scores, out=scores)
                scores /= scores.sum(axis=-1, keepdims=True)
                context[start : start + length] = (scores @ part[2]).transpose(1, 0, 2).reshape(length, cfg.hidden_size)
        attended = context @ layer.attn_out_w
        attended += layer.attn_out_b
        attended += x
        x = _layer_norm(attended, layer.attn_norm_w, layer.attn_norm_b, cfg.layer_norm_eps)
        inner = x @ layer.inter_w
        inner += layer.inter_b
        _gelu_inplace(inner)
        out = inner @ layer.out_w
        out += layer.out_b
        out += x
        return _layer_norm(out, layer.out_norm_w, layer.out_norm_b, cfg.layer_norm_eps)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis, in place on ``x`` (which the caller no longer needs)."""
    import numpy as np

    x -= x.mean(axis=-1, keepdims=True)
    variance = np.einsum("ij,ij->i", x, x)[:, None] / np.float32(x.shape[-1])
    x /= np.sqrt(variance + np.float32(eps))
    x *= weight
    x += bias
    return x


# erf(x) = x * P(x^2) / Q(x^2) on [-4, 4] (beyond, erf is +-1 in float32): the rational approximation
# XLA and Eigen use for float32 erf. Its error is about 4e-7 in float32 (a few ulp), far below what the
# 1e-4 agreement with sentence-transformers needs; numpy has no erf and scipy.special costs 0.2 s and
# 25 MB to import.
_ERF_P = (
    -2.72614225801306e-10,
    2.77068142495902e-08,
    -2.10102402082508e-06,
    -5.69250639462346e-05,
    -7.34990630326855e-04,
    -2.95459980854025e-03,
    -1.60960333262415e-02,
)
_ERF_Q = (
    -1.45660718464996e-05,
    -2.13374055278905e-04,
    -1.68282697438203e-03,
    -7.37332916720468e-03,
    -1.42647390514189e-02,
)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function of a float32 array (a new array), to about 4e-7."""
    import numpy as np

    x = np.clip(x, np.float32(-4.0), np.float32(4.0)).astype(np.float32, copy=False)
    x2 = x * x
    p = np.full_like(x2, _ERF_P[0])
    for c in _ERF_P[1:]:
        p *= x2
        p += np.float32(c)
    p *= x
    q = np.full_like(x2, _ERF_Q[0])
    for c in _ERF_Q[1:]:
        q *= x2
        q += np.float32(c)
    p /= q
    return p


def _gelu_inplace(x: np.ndarray) -> None:
    """BERT's exact GELU, x * (1 + erf(x / sqrt 2)) / 2, in place, in row blocks that stay in cache."""
    import numpy as np

    rows = max(1, (1 << 16) // x.shape[-1])  # 64k floats (256 KB) per block
    scale = np.float32(1.0 / np.sqrt(2.0))
    for start in range(0, x.shape[0], rows):
        block = x[start : start + rows]
        e = erf(block * scale)
        e += np.float32(1.0)
        e *= np.float32(0.5)
        block *= e


def _pool(hidden: np.ndarray, lengths: np.ndarray, modes: Sequence[str]) -> np.ndarray:
    """Sentence-transformers' Pooling over each text's tokens (consecutive rows of ``hidden``), the
    chosen modes concatenated."""
    import numpy as np

    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    counts = np.maximum(lengths.astype(np.float32), np.float32(1e-9))[:, None]  # sentence-transformers' clamp
    parts: list[np.ndarray] = []
    for mode in modes:
        if mode == "cls_token":
            parts.append(hidden[starts])
        elif mode == "max_tokens":
            parts.append(np.maximum.reduceat(hidden, starts, axis=0))
        elif mode == "mean_tokens":
            parts.append(np.add.reduceat(hidden, starts, axis=0) / counts)
        elif mode == "mean_sqrt_len_tokens":
            parts.append(np.add.reduceat(hidden, starts, axis=0) / np.sqrt(counts))
    return np.ascontiguousarray(np.concatenate(parts, axis=1), dtype=np.float32)


class BlasThreads:
    """How many BLAS threads each kind of product gets (through threadpoolctl, when it is installed).

    The per-text attention products are tiny (heads x length x length): with more than one thread the
    threads spend longer waiting for each other than computing (20x slower on a busy 2-core machine), so
    they always run on one. The dense layers get ``dense`` threads (None: BLAS's default, all cores).
    """

    def __init__(self, dense: int | None) -> None:
        self._dense = dense
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # optional: without it BLAS keeps its default everywhere
            self._blas = None
        else:
            self._blas = ThreadpoolController().select(user_api="blas")

    def dense(self) -> contextlib.AbstractContextManager:
        if self._blas is None or self._dense is None:
            return contextlib.nullcontext()
        return self._blas.limit(limits=self._dense)

    def attention(self) -> contextlib.AbstractContextManager:
        if self._blas is None:
            return contextlib.nullcontext()
        return self._blas.limit(limits=1)
