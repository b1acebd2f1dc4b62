import pytest

from signals.windows import window_sums


def test_short_inputs():
    assert list(window_sums([1, 2], 3)) == []
    assert list(window_sums([1, 2, 3], 3)) == [6]


def test_a_zero_window_raises():
    with pytest.raises(ValueError):
        list(window_sums([1], 0))


def test_a_long_signal():
    samples = [(i * 31) % 17 - 8 for i in range(3000)]
    sums = list(window_sums(samples, 50))
    assert len(sums) == 2951
    assert sums[0] == sum(samples[:50]) and sums[-1] == sum(samples[-50:])
