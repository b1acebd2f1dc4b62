from dataclasses import dataclass


@dataclass
class Item:
    sku: str
    quantity: int


@dataclass
class Reservation:
    sku: str
    customer: str
