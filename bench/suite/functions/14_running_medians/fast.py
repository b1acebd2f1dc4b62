"""Statistics over a stream of numbers."""

from bisect import insort


def running_medians(values):
    """The median of values[:1], values[:2], ... (the mean of the middle two for an even count)."""
    medians = []
    ordered = []
    for value in values:
        insort(ordered, value)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            medians.append(ordered[middle])
        else:
            medians.append((ordered[middle - 1] + ordered[middle]) / 2)
    return medians
