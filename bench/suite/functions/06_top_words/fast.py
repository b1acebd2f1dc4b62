from collections import Counter


def top_words(text, k=3):
    """The ``k`` most frequent lower-cased words of ``text`` with their counts, ties in alphabetical order."""
    counts = list(Counter(text.lower().split()).items())
    counts.sort(key=lambda pair: (-pair[1], pair[0]))
    return counts[:k]
