from bisect import bisect_right

from .clock import minutes


class Timetable:
    def __init__(self, starts):
        self.starts = sorted(minutes(s) for s in starts)

    def assign(self, requests):
        """For each requested minute, the index of the slot it falls in (-1 before the first slot)."""
        starts = self.starts
        return [bisect_right(starts, minute) - 1 for minute in requests]
