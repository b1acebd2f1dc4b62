"""Rates, ids and the entry format."""

import math

import pytest

from kb.schema import (
    EmbedderInfo,
    KBEntry,
    Provenance,
    RateEvidence,
    entry_id_for,
    normalise_od_base_rate,
    rate_from_speedup,
    speedup_from_rate,
)


def test_rate_is_fasterpy_relative_time_saved():
    assert rate_from_speedup(2.0) == pytest.approx(0.5)
    assert rate_from_speedup(4.0) == pytest.approx(0.75)
    assert rate_from_speedup(1.0) == 0.0
    assert rate_from_speedup(0.5) == pytest.approx(-1.0)  # slower: negative, filtered by rate > 0.5
    assert speedup_from_rate(0.75) == pytest.approx(4.0)
    assert math.isinf(speedup_from_rate(1.0))
    with pytest.raises(ValueError):
        rate_from_speedup(0.0)


@pytest.mark.parametrize(
    ("stored", "rate", "speedup"),
    [
        (0.3, 0.3, 1 / 0.7),  # a PIE row: improvement_frac / 100
        (2.5, 0.6, 2.5),  # a Mercury row: slow / fast
        (1.0, 0.0, 1.0),  # a Mercury row with no gain
    ],
)
def test_od_base_rates_of_both_conventions_are_normalised(stored, rate, speedup):
    got_rate, got_speedup = normalise_od_base_rate(stored)
    assert got_rate == pytest.approx(rate)
    assert got_speedup == pytest.approx(speedup)


def test_entry_ids_are_stable_and_ignore_surrounding_whitespace():
    assert entry_id_for("a = 1\n", "b = 2") == entry_id_for("a = 1", "b = 2\n\n")
    assert entry_id_for("a = 1", "b = 2") != entry_id_for("b = 2", "a = 1")
    assert entry_id_for("x", "y").startswith("e-")


def test_entry_json_round_trip_and_od_base_layout():
    entry = KBEntry(
        id="e-1",
        input="slow",
        target="fast",
        diff="-slow\n+fast",
        summary="does it faster",
        rate=0.5,
        speedup=2.0,
        provenance=Provenance("pairs.jsonl", "3", "p1", "Apache-2.0"),
        tags=("set-membership",),
        evidence=RateEvidence("runner", 0.2, 0.1),
    )
    assert KBEntry.from_json(entry.to_json()) == entry
    row = entry.to_od_base([0.5, 0.25])
    assert set(row) == {"input", "target", "diff", "rate", "summary", "vector"}
    assert row["vector"] == "[0.5, 0.25]"


def test_embedder_compatibility_needs_model_dimension_and_text_mode():
    info = EmbedderInfo("m", 384, "abc", "fused:0.75", 256, "float32")
    assert info.compatible_with(EmbedderInfo("m", 384, "abc", "fused:0.75", 128, "bfloat16"))
    assert not info.compatible_with(EmbedderInfo("m", 384, "abc", "code", 256, "float32"))
    assert not info.compatible_with(EmbedderInfo("m", 384, "other", "fused:0.75", 256, "float32"))
