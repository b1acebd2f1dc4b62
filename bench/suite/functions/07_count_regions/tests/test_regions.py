from regions import count_regions


def test_no_grid():
    assert count_regions([]) == 0


def test_two_islands():
    assert count_regions(["#..", "#.#", "..#"]) == 2


def test_another_fill_character():
    assert count_regions(["ab", "ba"], fill="a") == 2


def test_a_field_of_islands():
    grid = ["".join("#" if (r * 7 + c * 3) % 11 < 5 else "." for c in range(40)) for r in range(30)]
    assert count_regions(grid) > 10
