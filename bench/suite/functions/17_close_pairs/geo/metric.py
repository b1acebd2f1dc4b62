import math


def distance(p, q):
    return math.hypot(p[0] - q[0], p[1] - q[1])
