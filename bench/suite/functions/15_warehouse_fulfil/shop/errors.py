class UnknownProduct(KeyError):
    """An order names a SKU the warehouse does not carry."""
