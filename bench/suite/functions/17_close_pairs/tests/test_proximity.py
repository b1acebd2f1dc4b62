from geo.proximity import close_pairs


def test_no_points():
    assert close_pairs([]) == []


def test_the_radius_is_inclusive():
    assert close_pairs([(0, 0), (3, 4), (10, 0)], radius=5) == [(0, 1)]


def test_a_scatter():
    points = [((i * 37) % 101 / 3.0, (i * 59) % 103 / 3.0) for i in range(500)]
    pairs = close_pairs(points, radius=1.5)
    assert pairs == sorted(pairs) and all(i < j for i, j in pairs)
    assert len(pairs) > 100
