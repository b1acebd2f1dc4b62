"""Counting ways to climb."""


def count_ways(height, steps=(1, 2)):
    """In how many orders steps of the sizes in ``steps`` climb exactly ``height``."""
    sizes = sorted(set(steps))

    def ways(left):
        if left == 0:
            return 1
        total = 0
        for size in sizes:
            if size <= left:
                total += ways(left - size)
        return total

    return ways(height)
