def window_sums(samples, k):
    """Yield the sum of each run of ``k`` consecutive integer samples, in order."""
    if k <= 0:
        raise ValueError("the window must hold at least one sample")
    for start in range(len(samples) - k + 1):
        yield sum(samples[start:start + k])
