from .metric import distance


def close_pairs(points, *, radius=1.0):
    """Index pairs (i, j), i < j, of points at most ``radius`` apart, in increasing order."""
    pairs = []
    for i in range(len(points)):
        for j in range(i + 1, len(points)):
            if distance(points[i], points[j]) <= radius:
                pairs.append((i, j))
    return pairs
