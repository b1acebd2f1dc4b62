from medians import running_medians


def test_empty_and_one():
    assert running_medians([]) == []
    assert running_medians([4]) == [4]


def test_odd_and_even_counts():
    assert running_medians([5, 1, 3, 2]) == [5, 3.0, 3, 2.5]


def test_a_long_stream():
    values = [(i * 7919) % 1000 for i in range(1500)]
    medians = running_medians(values)
    assert len(medians) == 1500 and 400 <= medians[-1] <= 600
