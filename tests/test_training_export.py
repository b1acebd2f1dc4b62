"""GGUF export: llama.cpp's layout read back by transformers, merged adapters, quantization, the check, the server."""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import numpy as np
import pytest
import torch
from training_support import one_torch_thread, sft_rows, write_jsonl

from optimizer.llm import GenerationSettings, LocalModel
from optimizer.prompt import build_messages
from training.errors import TrainingError
from training.export import ExportOptions, check_architecture, effective_type, run_export
from training.loop import LoopOptions
from training.model import load_model, load_tokenizer, resolve_base
from training.sft import SFTOptions, run_sft


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def adapter(tiny_hf_model, tmp_path_factory) -> Path:
    """An SFT adapter trained a few steps on the tiny HF model (large lr: the merge must visibly matter)."""
    out = tmp_path_factory.mktemp("export-sft")
    loop = LoopOptions(out=out / "run", epochs=1, batch_size=2, grad_accum=1, lr=5e-2, progress=False, save_every=100)
    summary = run_sft(SFTOptions(data=write_jsonl(out / "sft.jsonl", sft_rows(6)), base=str(tiny_hf_model), loop=loop))
    return Path(summary["adapter"])


@pytest.fixture(scope="module")
def exported(adapter, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("export")
    return run_export(ExportOptions(out=out, adapters=[adapter], types=("f32", "f16", "Q8_0", "Q4_K_M"), name="tiny"))


def test_transformers_reads_the_exported_gguf_back_as_the_same_model(tiny_hf_model, tiny_gguf_base):
    hf, from_gguf = resolve_base(tiny_hf_model), resolve_base(tiny_gguf_base)
    text = "for x in data:\n    total += x  # sum()"
    hf_tokenizer, gguf_tokenizer = load_tokenizer(hf), load_tokenizer(from_gguf)
    ids = hf_tokenizer(text, add_special_tokens=False)["input_ids"]
    assert gguf_tokenizer(text, add_special_tokens=False)["input_ids"] == ids
    assert gguf_tokenizer.chat_template == hf_tokenizer.chat_template
    with torch.no_grad():
        expected = load_model(hf, torch.device("cpu"), torch.float32)(torch.tensor([ids])).logits
        got = load_model(from_gguf, torch.device("cpu"), torch.float32)(torch.tensor([ids])).logits
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)  # q/k permutation round-trips


def test_float_exports_give_the_merged_models_greedy_output(exported):
    files = exported["files"]
    assert exported["check_passed"]
    for name in ("f32", "f16"):
        check = files[name]["check"]
        assert check["tokenization_match"] and check["greedy_match_up_to_near_ties"], (name, check)
        assert all(p["greedy_tokens"] > 0 for p in check["prompts"])
    assert files["f32"]["check"]["greedy_match"]
    assert files["f32"]["check"]["max_abs_logit_gap"] < 0.05
    assert files["f32"]["tensor_types"].keys() == {"F32"}
    assert files["f16"]["tensor_types"].keys() == {"F16", "F32"}


def test_quantized_types_report_what_was_produced_and_the_logit_gap(exported):
    files = exported["files"]
    assert files["Q8_0"]["produced"] == "Q8_0" and "Q8_0" in files["Q8_0"]["tensor_types"]
    # hidden 64 is not a multiple of 256: Q4_K_M falls back to its legacy neighbour, and says so.
    assert files["Q4_K_M"]["produced"] == "Q4_0" and "multiple of 256" in files["Q4_K_M"]["note"]
    assert Path(files["Q4_K_M"]["path"]).name == "tiny-Q4_0.gguf"
    assert files["Q8_0"]["check"]["max_abs_logit_gap"] < files["Q4_K_M"]["check"]["max_abs_logit_gap"]
    report = json.loads((Path(files["Q8_0"]["path"]).parent / "export-report.json").read_text())
    assert report["files"]["Q8_0"]["check"]["max_abs_logit_gap"] == files["Q8_0"]["check"]["max_abs_logit_gap"]


def test_the_adapter_is_merged_into_the_export(exported, tiny_hf_model, tmp_path):
    plain = run_export(ExportOptions(out=tmp_path, base=str(tiny_hf_model), types=("f32",), check=False))
    merged_file, plain_file = exported["files"]["f32"]["path"], plain["files"]["f32"]["path"]

    def tensor(path: str, name: str) -> np.ndarray:
        return next(t.data for t in gguf.GGUFReader(path).tensors if t.name == name)

    assert not np.allclose(tensor(merged_file, "blk.0.attn_q.weight"), tensor(plain_file, "blk.0.attn_q.weight"))
    assert np.array_equal(tensor(merged_file, "token_embd.weight"), tensor(plain_file, "token_embd.weight"))


def test_export_from_a_gguf_base_keeps_its_metadata(tiny_gguf_base, tmp_path):
    report = run_export(ExportOptions(out=tmp_path, base=str(tiny_gguf_base), types=("f16",), name="g"))
    assert report["check_passed"]
    source, written = gguf.GGUFReader(str(tiny_gguf_base)), gguf.GGUFReader(report["files"]["f16"]["path"])
    for key in ("tokenizer.chat_template", "tokenizer.ggml.tokens", "tokenizer.ggml.merges", "llama.block_count"):
        assert written.fields[key].contents() == source.fields[key].contents()
    assert written.fields["general.file_type"].contents() == int(gguf.LlamaFileType.MOSTLY_F16)


def test_the_servers_local_model_loads_an_export_and_generates(exported):
    model = LocalModel(Path(exported["files"]["Q8_0"]["path"]), n_ctx=1024, n_threads=1)
    settings = GenerationSettings(max_tokens=8, time_budget_s=30)
    generations = model.generate(build_messages("print(sum([1, 2]))"), settings)
    assert model.chat_template_source == "gguf"
    assert len(generations) == 1 and generations[0].tokens > 0


def test_an_unsupported_architecture_is_named_with_what_is_supported(tmp_path):
    path = tmp_path / "gpt2.gguf"
    writer = gguf.GGUFWriter(str(path), arch="gpt2")
    writer.add_tensor("token_embd.weight", np.zeros((4, 4), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(TrainingError, match=r"architecture 'gpt2' .* supported: llama"):
        check_architecture(resolve_base(path))
    with pytest.raises(TrainingError, match="unknown type"):
        run_export(ExportOptions(out=tmp_path, base=str(path), types=("Q3_X",)))


def test_k_quants_fall_back_only_when_rows_do_not_fit():
    assert effective_type("Q4_K_M", 576) == "Q4_0"
    assert effective_type("Q4_K_M", 512) == "Q4_K_M"
    assert effective_type("Q8_0", 576) == "Q8_0"
