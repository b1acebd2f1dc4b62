from .entry import Entry


class Ledger:
    def __init__(self):
        self.history = []
        self.balances = {}

    def post(self, entries):
        """Append ``entries`` (pairs of account and cents) to the history; return the accounts that went negative."""
        negative = []
        for account, cents in entries:
            self.history.append(Entry(account, cents))
            self.balances[account] = sum(e.cents for e in self.history if e.account == account)
            if self.balances[account] < 0 and account not in negative:
                negative.append(account)
        return negative
