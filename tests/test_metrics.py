import pytest

from bench.harness.metrics import noise_floor, summarise


def test_definitions_on_a_known_sample():
    # two correct (2.0x and 1.05x), one correct but slower (0.5x), one wrong
    m = summarise([2.0, 1.05, 0.5, None])
    assert m["n"] == 4
    assert m["pass_at_1"] == pytest.approx(0.75)
    assert m["opt_rate_fasterpy"] == pytest.approx(2 / 3)  # faster by any margin / correct
    assert m["opt_rate_pie"] == pytest.approx(1 / 4)  # >= 1.10 / all
    assert m["speedup_mean_pie"] == pytest.approx((2.0 + 1.05 + 1.0 + 1.0) / 4)
    assert m["speedup_at_1_fasterpy"] == pytest.approx((2.0 + 1.05 + 0.5) / 3)


def test_nothing_correct():
    m = summarise([None, None])
    assert m["pass_at_1"] == 0 and m["speedup_mean_pie"] == 1.0 and m["speedup_at_1_fasterpy"] is None


def test_empty():
    assert summarise([])["pass_at_1"] is None


def test_noise_floor():
    floor = noise_floor([0.9, 1.0, 1.0, 1.1, 1.2])
    assert floor["n"] == 5
    assert floor["median"] == 1.0
    assert floor["spurious_opt_rate_pie"] == pytest.approx(2 / 5)
    assert floor["p5"] <= floor["median"] <= floor["p95"]
