from .models import Item, Reservation


class Stock:
    def __init__(self, items=(), reserved=()):
        self.items = list(items)
        self.reserved = list(reserved)

    def add(self, sku, quantity):
        self.items.append(Item(sku, quantity))

    def reserve(self, sku, customer):
        self.reserved.append(Reservation(sku, customer))

    def below_threshold(self, threshold):
        """SKUs with fewer than ``threshold`` units that nobody has reserved, in stock order."""
        reserved = {r.sku for r in self.reserved}
        return [item.sku for item in self.items if item.quantity < threshold and item.sku not in reserved]
