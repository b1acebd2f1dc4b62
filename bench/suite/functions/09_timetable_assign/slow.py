from .clock import minutes


class Timetable:
    def __init__(self, starts):
        self.starts = sorted(minutes(s) for s in starts)

    def assign(self, requests):
        """For each requested minute, the index of the slot it falls in (-1 before the first slot)."""
        found = []
        for minute in requests:
            index = -1
            for i, start in enumerate(self.starts):
                if start > minute:
                    break
                index = i
            found.append(index)
        return found
