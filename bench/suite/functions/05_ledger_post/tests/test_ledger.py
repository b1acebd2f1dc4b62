from books.ledger import Ledger


def test_balances_add_up():
    ledger = Ledger()
    assert ledger.post([("cash", 500), ("bank", 100), ("cash", -200)]) == []
    assert ledger.balances == {"cash": 300, "bank": 100}
    assert len(ledger.history) == 3


def test_overdrawn_accounts_are_reported_once():
    ledger = Ledger()
    assert ledger.post([("cash", -5), ("cash", -5), ("card", 3)]) == ["cash"]


def test_a_busy_day():
    ledger = Ledger()
    ledger.post([("opening", 10_000)])
    day = [(f"acct{i % 7}", (i * 97) % 1000 - 450) for i in range(900)]
    negative = ledger.post(day)
    assert ledger.balances["opening"] == 10_000
    assert sum(ledger.balances.values()) == 10_000 + sum(c for _, c in day)
    assert all(account.startswith("acct") for account in negative)
