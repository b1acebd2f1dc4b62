def window_sums(samples, k):
    """Yield the sum of each run of ``k`` consecutive integer samples, in order."""
    if k <= 0:
        raise ValueError("the window must hold at least one sample")
    if len(samples) < k:
        return
    total = sum(samples[:k])
    yield total
    for start in range(k, len(samples)):
        total += samples[start] - samples[start - k]
        yield total
