"""``python -m training export``: merge LoRA adapters into the base, write a GGUF, quantize it, check it.

The merged model (``merge_and_unload``, float32) is written with ``gguf.GGUFWriter`` in llama.cpp's layout for the
llama architecture (tensor names ``blk.N.attn_q`` ..., q/k rows permuted as llama.cpp's converter does). A GGUF
base lends its tokenizer and metadata (read with ``GGUFReader``); a Hugging Face folder needs a byte-level BPE
tokenizer, written as llama.cpp's ``gpt2`` vocabulary. Quantized types come from ``llama_cpp.llama_model_quantize``;
K-quants need rows of a multiple of 256, so a model whose hidden size is not gets the nearest legacy type instead
(the report says which type was produced, tensor by tensor). The check runs fixed prompts through the merged PyTorch
model and through each exported file (llama.cpp), and compares the greedy continuation and the logits.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.errors import TrainingError

SUPPORTED_ARCHITECTURES = ("llama",)
FLOAT_TYPES = ("f32", "f16")
QUANT_TYPES = ("Q8_0", "Q6_K", "Q5_K_M", "Q5_0", "Q4_K_M", "Q4_0")
# The legacy type nearest to each K-quant, for models whose row lengths are not a multiple of the K block (256).
K_FALLBACK = {"Q6_K": "Q8_0", "Q5_K_M": "Q5_0", "Q4_K_M": "Q4_0"}
K_BLOCK = 256
# Metadata the writer sets itself, or that describes the tensors of the source file rather than the model.
_SKIPPED_KEYS = ("GGUF.", "general.architecture", "general.file_type", "general.quantization_version")
CHECK_PROGRAMS = (
    "n = int(input())\ntotal = 0\nfor i in range(n):\n    total += i\nprint(total)",
    "s = ''\nfor w in input().split():\n    s += w\nprint(s)",
    "xs = list(map(int, input().split()))\nprint(sorted(xs)[0])",
)


@dataclass
class ExportOptions:
    """What to merge, where to write, and which types."""

    out: Path
    adapters: list[Path] = field(default_factory=list)
    base: str | None = None
    types: tuple[str, ...] = ("f16", "Q8_0", "Q4_K_M")
    check: bool = True
    check_tokens: int = 24
    name: str = "model"


# --- loading and merging -------------------------------------------------------------------------------------------


def adapter_chain(adapters: Sequence[Path]) -> list[Path]:
    """The adapters to merge, in order: each one's ``init_adapters`` (from its run.json) come before it."""
    chain: list[Path] = []
    for adapter in adapters:
        run = Path(adapter) / "run.json"
        if run.is_file():
            for earlier in json.loads(run.read_text()).get("init_adapters", []):
                for path in adapter_chain([Path(earlier)]):
                    if path not in chain:
                        chain.append(path)
        if Path(adapter).resolve() not in chain:
            chain.append(Path(adapter).resolve())
    return chain


def base_of(adapters: Sequence[Path], base: str | None) -> str | None:
    """``base`` if given, else the base recorded in the first adapter's run.json (None: the default model)."""
    if base is not None:
        return base
    for adapter in adapters:
        run = Path(adapter) / "run.json"
        if run.is_file():
            return json.loads(run.read_text()).get("base")
    return None


def check_architecture(model_base: Any) -> None:
    """Fail early, naming what is supported, when the base is not a llama-architecture model."""
    if model_base.kind == "gguf":
        import gguf

        reader = gguf.GGUFReader(str(model_base.path))
        field_ = reader.fields.get("general.architecture")
        arch = field_.contents() if field_ is not None else "unknown"
    else:
        config = json.loads((model_base.path / "config.json").read_text())
        arch = config.get("model_type", "unknown")
    if arch not in SUPPORTED_ARCHITECTURES:
        raise TrainingError(
            f"cannot export architecture {arch!r} of {model_base.path}: supported: {', '.join(SUPPORTED_ARCHITECTURES)}"
        )


def merged_model(model_base: Any, adapters: Sequence[Path]) -> tuple[Any, Any]:
    """(the base with the adapters merged, in float32 on the CPU, eval mode; its tokenizer)."""
    import torch

    from training.lora import merge_adapters
    from training.model import load_model, load_tokenizer

    tokenizer = load_tokenizer(model_base)
    model = load_model(model_base, torch.device("cpu"), torch.float32)
    model = merge_adapters(model, adapters)
    model.eval()
    return model, tokenizer


# --- writing -------------------------------------------------------------------------------------------------------


def permute_rows(weights: Any, n_head: int) -> Any:
    """llama.cpp's q/k layout: within each head, the two rotary halves interleaved (the inverse of HF's loader)."""
    rows = weights.shape[0]
    return weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(weights.shape)


def gguf_tensors(model: Any) -> list[tuple[str, Any]]:
    """The merged llama model's tensors as ``(gguf name, float32 numpy array)``, in llama.cpp's layout."""
    config = model.config
    heads, kv_heads = config.num_attention_heads, config.num_key_value_heads
    names = {
        "self_attn.q_proj": "attn_q",
        "self_attn.k_proj": "attn_k",
        "self_attn.v_proj": "attn_v",
        "self_attn.o_proj": "attn_output",
        "mlp.gate_proj": "ffn_gate",
        "mlp.up_proj": "ffn_up",
        "mlp.down_proj": "ffn_down",
        "input_layernorm": "attn_norm",
        "post_attention_layernorm": "ffn_norm",
    }
    tensors: list[tuple[str, Any]] = []
    state = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
    tied = bool(getattr(config, "tie_word_embeddings", False))
    for key, value in state.items():
        if key == "model.embed_tokens.weight":
            tensors.append(("token_embd.weight", value))
        elif key == "model.norm.weight":
            tensors.append(("output_norm.weight", value))
        elif key == "lm_head.weight":
            if not tied:
                tensors.append(("output.weight", value))
        elif key.startswith("model.layers."):
            _, _, index, rest = key.split(".", 3)
            module, _, kind = rest.rpartition(".")
            if module not in names or kind != "weight":
                raise TrainingError(f"cannot export tensor {key}: not part of the llama architecture")
            if module == "self_attn.q_proj":
                value = permute_rows(value, heads)
            elif module == "self_attn.k_proj":
                value = permute_rows(value, kv_heads)
            tensors.append((f"blk.{index}.{names[module]}.weight", value))
        elif not key.endswith("rotary_emb.inv_freq"):
            raise TrainingError(f"cannot export tensor {key}: not part of the llama architecture")
    return tensors


def write_gguf(model: Any, tokenizer: Any, model_base: Any, path: Path, float_type: str = "f16") -> Path:
    """Write the merged model as a ``float_type`` (f32 or f16) GGUF; 1-D tensors (norms) stay float32."""
    import gguf
    import numpy as np

    if float_type not in FLOAT_TYPES:
        raise TrainingError(f"unknown float type {float_type}: {', '.join(FLOAT_TYPES)}")
    writer = gguf.GGUFWriter(str(path), arch="llama")
    if model_base.kind == "gguf":
        _copy_metadata(gguf.GGUFReader(str(model_base.path)), writer)
    else:
        _hf_metadata(model.config, tokenizer, writer)
    file_type = gguf.LlamaFileType.MOSTLY_F16 if float_type == "f16" else gguf.LlamaFileType.ALL_F32
    writer.add_file_type(file_type)
    for name, value in gguf_tensors(model):
        if float_type == "f16" and value.ndim == 2:
            value = value.astype(np.float16)
        writer.add_tensor(name, np.ascontiguousarray(value))
    path.parent.mkdir(parents=True, exist_ok=True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _copy_metadata(reader: Any, writer: Any) -> None:
    """Every key of the base GGUF (tokenizer, chat template, hyper-parameters) but those the writer owns."""
    for key, field_ in reader.fields.items():
        if key.startswith(_SKIPPED_KEYS):
            continue
        main = field_.types[0]
        sub = field_.types[-1] if main == gguf_value_type().ARRAY else None
        writer.add_key_value(key, field_.contents(), main, sub_type=sub)


def gguf_value_type() -> Any:
    import gguf

    return gguf.GGUFValueType


def _hf_metadata(config: Any, tokenizer: Any, writer: Any) -> None:
    """llama hyper-parameters from the HF config, and the tokenizer as llama.cpp's ``gpt2`` (byte-level BPE)."""
    import gguf

    heads = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    writer.add_name(Path(getattr(config, "_name_or_path", "") or "model").name or "model")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_dimension_count(head_dim)
    rope = getattr(config, "rope_parameters", None) or {}
    writer.add_rope_freq_base(float(rope.get("rope_theta", getattr(config, "rope_theta", 10000.0))))
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_vocab_size(config.vocab_size)

    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    model_spec = spec.get("model", {})
    if model_spec.get("type") != "BPE" or "ByteLevel" not in json.dumps(spec.get("pre_tokenizer")):
        raise TrainingError(
            "cannot export the tokenizer of a Hugging Face folder unless it is byte-level BPE (gpt2-style); "
            "export from a GGUF base instead"
        )
    vocab = tokenizer.backend_tokenizer.get_vocab(with_added_tokens=True)
    tokens = [""] * max(config.vocab_size, max(vocab.values()) + 1)
    for token, index in vocab.items():
        tokens[index] = token
    special = {t.content for t in tokenizer.backend_tokenizer.get_added_tokens_decoder().values() if t.special}
    added = {t.content for t in tokenizer.backend_tokenizer.get_added_tokens_decoder().values()}
    types = []
    for i, token in enumerate(tokens):
        if not token:
            tokens[i] = f"[PAD{i}]"
            types.append(gguf.TokenType.UNUSED)
        elif token in special:
            types.append(gguf.TokenType.CONTROL)
        elif token in added:
            types.append(gguf.TokenType.USER_DEFINED)
        else:
            types.append(gguf.TokenType.NORMAL)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model_spec.get("merges", [])]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_types([int(t) for t in types])
    writer.add_token_merges(merges)
    for setter, token_id in (
        (writer.add_bos_token_id, tokenizer.bos_token_id),
        (writer.add_eos_token_id, tokenizer.eos_token_id),
        (writer.add_unk_token_id, tokenizer.unk_token_id),
        (writer.add_pad_token_id, tokenizer.pad_token_id),
    ):
        if token_id is not None:
            setter(token_id)
    writer.add_add_bos_token(False)
    if getattr(tokenizer, "chat_template", None):
        writer.add_chat_template(tokenizer.chat_template)


# --- quantizing ----------------------------------------------------------------------------------------------------


def effective_type(requested: str, hidden: int) -> str:
    """The type to produce: ``requested``, or its legacy neighbour when K-quants do not fit ``hidden``."""
    if requested in K_FALLBACK and hidden % K_BLOCK:
        return K_FALLBACK[requested]
    return requested


def quantize(source: Path, destination: Path, type_name: str, threads: int = 0) -> None:
    """``llama_model_quantize`` from a float GGUF to ``type_name``; TrainingError when llama.cpp refuses."""
    import ctypes

    import llama_cpp

    ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{type_name}", None)
    if ftype is None:
        raise TrainingError(f"llama.cpp has no quantization type {type_name}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = threads
    rc = llama_cpp.llama_model_quantize(str(source).encode(), str(destination).encode(), ctypes.byref(params))
    if rc != 0:
        raise TrainingError(f"llama.cpp could not quantize {source} to {type_name} (code {rc})")


def tensor_types(path: Path) -> dict[str, int]:
    """How many tensors of each ggml type the file holds (what a quantization actually produced)."""
    import gguf

    return dict(Counter(t.tensor_type.name for t in gguf.GGUFReader(str(path)).tensors))


# --- checking ------------------------------------------------------------------------------------------------------


def check_prompts(tokenizer: Any) -> list[str]:
    """The fixed check prompts: the optimizer's prompt for a few small programs, chat template applied."""
    from optimizer.prompt import build_messages

    return [
        tokenizer.apply_chat_template(list(build_messages(code)), tokenize=False, add_generation_prompt=True)
        for code in CHECK_PROGRAMS
    ]


def reference_outputs(model: Any, tokenizer: Any, prompts: Sequence[str], new_tokens: int) -> list[dict[str, Any]]:
    """For each prompt: its token ids, the merged model's greedy continuation and the logits along it."""
    import torch

    eos = tokenizer.eos_token_id
    outputs = []
    for prompt in prompts:
        ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            generated = model.generate(
                torch.tensor([ids]),
                attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                max_new_tokens=new_tokens,
                do_sample=False,
                eos_token_id=eos,
                pad_token_id=tokenizer.pad_token_id,
            )[0, len(ids) :].tolist()
            logits = model(torch.tensor([ids + generated])).logits[0].float().numpy()
        along = logits[len(ids) - 1 : len(ids) - 1 + len(generated)]
        outputs.append({"ids": ids, "greedy": generated, "logits": along})
    return outputs


def check_file(path: Path, prompts: Sequence[str], references: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Run the exported file with llama.cpp on the reference token ids: tokenization, greedy path, logit gap.

    The file's greedy output equals the merged model's iff, at every step of the merged model's greedy path, the
    file's argmax is the same token (both decode the same prefix): that is what ``greedy_match`` checks. Where they
    first differ, ``divergence_margin`` is how far apart the merged model put the two tokens' logits: a margin
    within twice the logit gap measured there is a near-tie that rounding alone can flip (``near_tie``).
    """
    import contextlib
    import io

    import llama_cpp
    import numpy as np

    with contextlib.redirect_stderr(io.StringIO()):
        llm = llama_cpp.Llama(model_path=str(path), n_ctx=2048, n_threads=2, logits_all=True, verbose=False)
    results = []
    try:
        for prompt, reference in zip(prompts, references, strict=True):
            ids, greedy = reference["ids"], reference["greedy"]
            tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
            llm.reset()
            llm.eval(ids + greedy)
            scores = np.array(llm.scores[len(ids) - 1 : len(ids) - 1 + len(greedy)])
            argmax = scores.argmax(-1).tolist()
            first_diff = next((i for i, (a, b) in enumerate(zip(argmax, greedy, strict=True)) if a != b), None)
            margin, near_tie = None, False
            if first_diff is not None:
                row = reference["logits"][first_diff]
                margin = float(row[greedy[first_diff]] - row[argmax[first_diff]])
                near_tie = margin <= 2 * float(np.abs(scores[first_diff] - row).max())
            results.append(
                {
                    "tokenization_match": tokens == ids,
                    "greedy_match": first_diff is None,
                    "first_divergence": first_diff,
                    "divergence_margin": None if margin is None else round(margin, 6),
                    "near_tie": near_tie,
                    "max_abs_logit_gap": round(float(np.abs(scores - reference["logits"]).max()), 6),
                    "mean_abs_logit_gap": round(float(np.abs(scores - reference["logits"]).mean()), 6),
                    "greedy_tokens": len(greedy),
                }
            )
    finally:
        llm.close()
    return {
        "tokenization_match": all(r["tokenization_match"] for r in results),
        "greedy_match": all(r["greedy_match"] for r in results),
        "greedy_match_up_to_near_ties": all(r["greedy_match"] or r["near_tie"] for r in results),
        "max_abs_logit_gap": max(r["max_abs_logit_gap"] for r in results),
        "mean_abs_logit_gap": round(sum(r["mean_abs_logit_gap"] for r in results) / len(results), 6),
        "prompts": results,
    }


# --- the command ---------------------------------------------------------------------------------------------------


def run_export(options: ExportOptions) -> dict[str, Any]:
    """Merge, write, quantize and check; the report is also written to ``<out>/export-report.json``."""
    from training.model import resolve_base

    for type_name in options.types:
        if type_name not in FLOAT_TYPES + QUANT_TYPES:
            raise TrainingError(f"unknown type {type_name}: choose from {', '.join(FLOAT_TYPES + QUANT_TYPES)}")
    model_base = resolve_base(base_of(options.adapters, options.base))
    check_architecture(model_base)
    chain = adapter_chain(options.adapters)
    options.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    model, tokenizer = merged_model(model_base, chain)
    timings = {"load_merge_s": round(time.monotonic() - started, 1)}
    hidden = model.config.hidden_size

    floats = [t for t in options.types if t in FLOAT_TYPES]
    quants = [t for t in options.types if t in QUANT_TYPES]
    # Quantize from f32 when it is written anyway, else from f16 (what llama.cpp's own workflow does).
    source_type = "f32" if "f32" in floats else "f16"
    files: dict[str, dict[str, Any]] = {}
    clock = time.monotonic()
    for float_type in dict.fromkeys(floats + ([source_type] if quants else [])):
        path = options.out / f"{options.name}-{float_type}.gguf"
        write_gguf(model, tokenizer, model_base, path, float_type)
        files[float_type] = {"path": str(path), "requested": float_type, "produced": float_type}
    timings["write_s"] = round(time.monotonic() - clock, 1)
    clock = time.monotonic()
    for requested in quants:
        produced = effective_type(requested, hidden)
        path = options.out / f"{options.name}-{produced}.gguf"
        quantize(Path(files[source_type]["path"]), path, produced)
        files[requested] = {"path": str(path), "requested": requested, "produced": produced}
        if produced != requested:
            files[requested]["note"] = f"hidden size {hidden} is not a multiple of {K_BLOCK}: K-quants do not fit"
    timings["quantize_s"] = round(time.monotonic() - clock, 1)
    for entry in files.values():
        entry["bytes"] = Path(entry["path"]).stat().st_size
        entry["tensor_types"] = tensor_types(Path(entry["path"]))
    if source_type not in options.types and source_type in files:
        Path(files.pop(source_type)["path"]).unlink()  # only written as the quantization source

    report: dict[str, Any] = {
        "base": model_base.describe(),
        "adapters": [str(p) for p in chain],
        "hidden_size": hidden,
        "files": files,
        "timings": timings,
    }
    if options.check:
        clock = time.monotonic()
        prompts = check_prompts(tokenizer)
        references = reference_outputs(model, tokenizer, prompts, options.check_tokens)
        for entry in files.values():
            entry["check"] = check_file(Path(entry["path"]), prompts, references)
        timings["check_s"] = round(time.monotonic() - clock, 1)
        # f32 must reproduce the merged model's greedy output exactly; f16 may differ only at a near-tie.
        report["check_passed"] = all(
            e["check"]["greedy_match"] if e["produced"] == "f32" else e["check"]["greedy_match_up_to_near_ties"]
            for e in files.values()
            if e["produced"] in FLOAT_TYPES
        )
    (options.out / "export-report.json").write_text(json.dumps(report, indent=1))
    return report


def register(subparsers: Any) -> None:
    """Add the ``export`` subcommand."""
    parser = subparsers.add_parser(
        "export", help="merge LoRA adapters, write GGUF, quantize, check", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--adapter", type=Path, action="append", default=[], help="adapter folder (repeatable)")
    parser.add_argument("--base", default=None, help="base model (default: the one the adapter was trained on)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--name", default="model", help="file name stem (default: %(default)s)")
    parser.add_argument(
        "--types",
        default="f16,Q8_0,Q4_K_M",
        help=f"comma-separated, of {', '.join(FLOAT_TYPES + QUANT_TYPES)} (default: %(default)s)",
    )
    parser.add_argument("--no-check", action="store_true", help="skip the PyTorch vs llama.cpp check")
    parser.add_argument("--check-tokens", type=int, default=24, help="greedy tokens compared per prompt")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = ExportOptions(
        out=args.out,
        adapters=args.adapter,
        base=args.base,
        types=tuple(t.strip() for t in args.types.split(",") if t.strip()),
        check=not args.no_check,
        check_tokens=args.check_tokens,
        name=args.name,
    )
    report = run_export(options)
    print(json.dumps({k: v for k, v in report.items() if k != "files"}))
    for entry in report["files"].values():
        check = entry.get("check", {})
        print(
            f"{entry['path']}: {entry['produced']} ({entry['bytes'] / 1e6:.1f} MB) "
            f"greedy_match={check.get('greedy_match')} (up to near-ties: {check.get('greedy_match_up_to_near_ties')}) "
            f"max_abs_logit_gap={check.get('max_abs_logit_gap')}",
            file=sys.stderr,
        )
    return 0 if report.get("check_passed", True) else 1
