from .metric import distance


def close_pairs(points, *, radius=1.0):
    """Index pairs (i, j), i < j, of points at most ``radius`` apart, in increasing order."""
    order = sorted(range(len(points)), key=lambda k: points[k][0])
    pairs = []
    for a, i in enumerate(order):
        p = points[i]
        for j in order[a + 1:]:
            q = points[j]
            if q[0] - p[0] > radius:
                break
            if distance(p, q) <= radius:
                pairs.append((i, j) if i < j else (j, i))
    pairs.sort()
    return pairs
