import pytest

from shop.errors import UnknownProduct
from shop.warehouse import Warehouse


def test_stock_runs_out():
    house = Warehouse([{"sku": "pen", "stock": 3}])
    orders = [{"sku": "pen", "quantity": 2}, {"sku": "pen", "quantity": 2}]
    assert house.fulfil(orders) == 1
    assert [o["status"] for o in orders] == ["shipped", "backorder"]
    assert house.products[0]["stock"] == 1 and house.shipped == 1


def test_unknown_products_raise():
    with pytest.raises(UnknownProduct):
        Warehouse([]).fulfil([{"sku": "ink", "quantity": 1}])


def test_a_big_day():
    house = Warehouse([{"sku": f"p{i}", "stock": i % 9} for i in range(400)])
    orders = [{"sku": f"p{(i * 13) % 400}", "quantity": 1 + i % 3} for i in range(1200)]
    shipped = house.fulfil(orders)
    assert shipped == sum(o["status"] == "shipped" for o in orders) and house.shipped == shipped
