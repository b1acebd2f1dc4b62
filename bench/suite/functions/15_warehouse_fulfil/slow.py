from .errors import UnknownProduct


class Warehouse:
    def __init__(self, products):
        self.products = [dict(p) for p in products]
        self.shipped = 0

    def fulfil(self, orders):
        """Ship what stock allows: each order dict gets a "status" ("shipped" or "backorder"); return shipped count."""
        shipped = 0
        for order in orders:
            product = None
            for candidate in self.products:
                if candidate["sku"] == order["sku"]:
                    product = candidate
                    break
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
