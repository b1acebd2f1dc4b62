"""A tiny random-weight llama GGUF, written in a fraction of a second: tests load it through the real llama.cpp path.

The model speaks garbage, but it is a complete llama-architecture file: its own SentencePiece-style vocabulary
with byte fallback (any text tokenizes), ChatML control tokens, optionally a chat template in its metadata, and
f32 tensors. One knob makes its behaviour predictable where tests need it: ``eos_bias`` is (about) the logit of
the end-of-turn token, so a large positive value makes every answer end at once and a negative one (the default)
makes the model never stop on its own, whatever the seed or temperature.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

from optimizer.llm import CHATML_TEMPLATE

UNK, BOS, EOS = "<unk>", "<s>", "<|im_end|>"
_CONTROL = (BOS, "<|im_start|>", EOS)
_SPACE = "\u2581"  # SentencePiece's word-boundary marker
# Whole words of Python code, reachable by the tokenizer's pairwise merges because every prefix is a token too.
_WORDS = ("def", "return", "for", "in", "if", "else", "import", "print", "range", "input", "int", "while", "python")


def write_tiny_gguf(
    path: Path,
    *,
    chat_template: str | None = CHATML_TEMPLATE,
    eos_bias: float = -10.0,
    hidden: int = 64,
    layers: int = 2,
    heads: int = 4,
    ffn: int = 128,
    context_length: int = 2048,
    seed: int = 0,
) -> Path:
    """Write the model to ``path`` and return it; ``chat_template=None`` leaves the template out of the metadata."""
    if hidden % heads:
        raise ValueError(f"hidden ({hidden}) must be a multiple of heads ({heads})")
    tokens, scores, types = _vocabulary()
    eos_id = tokens.index(EOS)
    rng = np.random.default_rng(seed)

    def weights(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    # Dimension 0 of every embedding is a constant 1 that dominates the final RMS norm (h[0] ~ sqrt(hidden)), so
    # output.weight[:, 0] acts as a per-token logit bias: eos_bias for EOS, strongly negative for the other
    # control tokens (never generated), none for the rest.
    embeddings = weights(len(tokens), hidden)
    embeddings[:, 0] = 1.0
    output = weights(len(tokens), hidden)
    output[:, 0] = 0.0
    for token in _CONTROL:
        output[tokens.index(token), 0] = -10.0 / np.sqrt(hidden)
    output[eos_id, 0] = eos_bias / np.sqrt(hidden)

    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_name("tiny-random-llama")
    writer.add_context_length(context_length)
    writer.add_embedding_length(hidden)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ffn)
    writer.add_head_count(heads)
    writer.add_head_count_kv(heads)
    writer.add_rope_dimension_count(hidden // heads)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(len(tokens))
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(tokens.index(UNK))
    writer.add_bos_token_id(tokens.index(BOS))
    writer.add_eos_token_id(eos_id)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    if chat_template is not None:
        writer.add_chat_template(chat_template)

    # numpy shapes are (out_features, in_features); the writer reverses them into ggml's order.
    writer.add_tensor("token_embd.weight", embeddings)
    writer.add_tensor("output_norm.weight", np.ones(hidden, np.float32))
    writer.add_tensor("output.weight", output)
    for i in range(layers):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(hidden, np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"blk.{i}.{name}.weight", weights(hidden, hidden))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(hidden, np.float32))
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", weights(ffn, hidden))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", weights(ffn, hidden))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", weights(hidden, ffn))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _vocabulary() -> tuple[list[str], list[float], list[int]]:
    """Tokens, scores and types: specials, the 256 byte-fallback tokens, printable ASCII, then merged pieces."""
    tokens = [UNK, *_CONTROL]
    types = [gguf.TokenType.UNKNOWN] + [gguf.TokenType.CONTROL] * len(_CONTROL)
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [gguf.TokenType.BYTE] * 256
    singles = [_SPACE, *map(chr, range(33, 127))]
    tokens += singles
    types += [gguf.TokenType.NORMAL] * len(singles)
    scores = [0.0] * len(tokens)
    scores[-len(singles) :] = [-2.0] * len(singles)
    # Longer pieces score higher, so the tokenizer merges a word left to right into one token.
    pieces = [_SPACE * n for n in (2, 4)]
    pieces += [(_SPACE + word)[:k] for word in _WORDS for k in range(2, len(word) + 2)]
    for piece in dict.fromkeys(pieces):
        if piece not in tokens:
            tokens.append(piece)
            types.append(gguf.TokenType.NORMAL)
            scores.append(-1.0 + 0.01 * len(piece))
    return tokens, scores, [int(t) for t in types]
