from stairs import count_ways


def test_small_heights():
    assert [count_ways(h) for h in range(6)] == [1, 1, 2, 3, 5, 8]


def test_other_step_sizes():
    assert count_ways(4, steps=[1, 3]) == 3
    assert count_ways(7, steps=(2,)) == 0


def test_a_tall_staircase():
    assert count_ways(20, steps=(1, 2, 3)) == 121415
