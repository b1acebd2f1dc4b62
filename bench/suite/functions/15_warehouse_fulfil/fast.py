from .errors import UnknownProduct


class Warehouse:
    def __init__(self, products):
        self.products = [dict(p) for p in products]
        self.shipped = 0

    def fulfil(self, orders):
        """Ship what stock allows: each order dict gets a "status" ("shipped" or "backorder"); return shipped count."""
        by_sku = {}
        for product in self.products:
            by_sku.setdefault(product["sku"], product)  # the first product of a SKU, as a search from the start
        shipped = 0
        for order in orders:
            product = by_sku.get(order["sku"])
            if product is None:
                raise UnknownProduct(order["sku"])
            if product["stock"] >= order["quantity"]:
                product["stock"] -= order["quantity"]
                order["status"] = "shipped"
                shipped += 1
            else:
                order["status"] = "backorder"
        self.shipped += shipped
        return shipped
