from .entry import Entry


class Ledger:
    def __init__(self):
        self.history = []
        self.balances = {}

    def post(self, entries):
        """Append ``entries`` (pairs of account and cents) to the history; return the accounts that went negative."""
        negative = []
        history, balances = self.history, self.balances
        for account, cents in entries:
            history.append(Entry(account, cents))
            balance = balances.get(account, 0) + cents
            balances[account] = balance
            if balance < 0 and account not in negative:
                negative.append(account)
        return negative
