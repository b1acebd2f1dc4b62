from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    account: str
    cents: int
