"""Importing FasterPy's OD-base.jsonl, and exporting back to its layout."""

import json
from dataclasses import replace

import numpy as np
import pytest
from kb_support import sample_pairs, shared_embedder

from kb.build import BuildOptions
from kb.cli import main
from kb.embed import EmbedderOptions
from kb.errors import EmbedderDimensionError
from kb.importer import import_od_base
from kb.query import KnowledgeBase

OPTIONS = BuildOptions(progress=False)


def od_base_rows(dim: int = 768) -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    for pair, rate in zip(sample_pairs(), (0.35, 2.5, 0.8, 1.0, 0.66, 0.9), strict=True):
        rows.append(
            {
                "input": pair["input"],
                "target": pair["target"],
                "diff": "",
                "rate": rate,
                "summary": f"LLM summary of {pair['problem_id']}",
                "vector": str([float(x) for x in rng.normal(size=dim)]),
            }
        )
    return rows


def write_rows(path, rows, extra=()):
    path.write_text("\n".join([json.dumps(row) for row in rows] + list(extra)) + "\n")
    return path


@pytest.fixture(scope="module")
def embedder():
    return shared_embedder()


def test_import_re_embeds_vectors_from_another_model_and_says_so(tmp_path, embedder):
    path = write_rows(tmp_path / "OD-base.jsonl", od_base_rows(), ('{"input": "x"', '{"rate": 0.9}'))
    report = import_od_base(path, tmp_path / "kb", OPTIONS, embedder=embedder)
    assert report.count == 6
    assert [p.line for p in report.problems] == [7, 8]
    assert any("re-embedded" in note and "768-dimensional" in note for note in report.notes)
    with KnowledgeBase.open(tmp_path / "kb", embedder=embedder) as kb:
        assert kb.manifest.embedder.dim == 384
        entries = list(kb.entries())
    by_summary = {entry.summary: entry for entry in entries}
    pie_row = by_summary["LLM summary of t-sum"]
    assert pie_row.rate == pytest.approx(0.35) and pie_row.speedup == pytest.approx(1 / 0.65)
    mercury_row = by_summary["LLM summary of t-read"]
    assert mercury_row.rate == pytest.approx(0.6) and mercury_row.speedup == pytest.approx(2.5)
    assert mercury_row.evidence.method == "od-base:rate"
    assert "input-read-all" in mercury_row.tags  # our summariser tags imported rows
    assert all(entry.diff.startswith("--- input.py") for entry in entries)


def test_keeping_stored_vectors_needs_a_model_of_their_dimension(tmp_path, embedder):
    path = write_rows(tmp_path / "OD-base.jsonl", od_base_rows(768))
    with pytest.raises(EmbedderDimensionError, match="768"):
        import_od_base(path, tmp_path / "kb", OPTIONS, vectors_model=embedder.model_path)


def test_export_then_import_with_the_same_model_keeps_the_vectors(tmp_path, embedder):
    source = tmp_path / "pairs.jsonl"
    write_rows(source, sample_pairs())
    options = replace(OPTIONS, embedder=EmbedderOptions(text_mode="code"))
    assert (
        main(["build", str(source), "-o", str(tmp_path / "kb"), "--text-mode", "code", "--no-progress"]) == 0
    )
    assert main(["export", str(tmp_path / "kb"), "-o", str(tmp_path / "od.jsonl"), "--vectors"]) == 0
    rows = [json.loads(line) for line in (tmp_path / "od.jsonl").read_text().splitlines()]
    assert set(rows[0]) == {"input", "target", "diff", "rate", "summary", "vector"}
    report = import_od_base(
        tmp_path / "od.jsonl", tmp_path / "again", options, vectors_model=embedder.model_path
    )
    assert any("kept the stored 384-d vectors" in note for note in report.notes)
    with KnowledgeBase.open(tmp_path / "kb") as original, KnowledgeBase.open(tmp_path / "again") as again:
        np.testing.assert_allclose(original.index.vectors(), again.index.vectors(), atol=1e-6)
