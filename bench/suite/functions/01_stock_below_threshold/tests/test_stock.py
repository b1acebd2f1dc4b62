from depot.stock import Stock


def test_empty_stock():
    assert Stock().below_threshold(5) == []


def test_reserved_items_are_left_out():
    stock = Stock()
    stock.add("a", 1)
    stock.add("b", 2)
    stock.add("c", 9)
    stock.reserve("b", "ann")
    assert stock.below_threshold(5) == ["a"]


def test_a_large_stock():
    stock = Stock()
    for i in range(600):
        stock.add(f"sku{i}", i % 13)
    for i in range(0, 600, 3):
        stock.reserve(f"sku{i}", "bob")
    low = stock.below_threshold(4)
    assert len(low) == sum(1 for i in range(600) if i % 13 < 4 and i % 3)
    assert low[0] == "sku1"
