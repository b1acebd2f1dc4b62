def top_words(text, k=3):
    """The ``k`` most frequent lower-cased words of ``text`` with their counts, ties in alphabetical order."""
    words = text.lower().split()
    counts = []
    for word in set(words):
        counts.append((word, words.count(word)))
    counts.sort(key=lambda pair: (-pair[1], pair[0]))
    return counts[:k]
