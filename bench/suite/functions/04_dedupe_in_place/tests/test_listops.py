from listops import dedupe


def test_nothing_to_remove():
    items = [3, 1, 2]
    assert dedupe(items) == 0
    assert items == [3, 1, 2]


def test_the_first_of_each_is_kept_in_the_same_list():
    items = ["b", "a", "b", "c", "a"]
    same = items
    assert dedupe(items) == 2
    assert same == ["b", "a", "c"]


def test_many_repeats():
    items = [(i * 37) % 500 for i in range(1500)]
    assert dedupe(items) == 1000
    assert len(items) == 500 and items[:3] == [0, 37, 74]
