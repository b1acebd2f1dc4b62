"""Word statistics of a text after lower-casing it and turning punctuation into spaces."""
import sys
from collections import Counter

text = sys.stdin.read()
punctuation = ".,;:!?\"'()-"
cleaned = []
for ch in text:
    if ch in punctuation:
        cleaned.append(" ")
    elif "A" <= ch <= "Z":
        cleaned.append(chr(ord(ch) + 32))
    else:
        cleaned.append(ch)
words = "".join(cleaned).split()
counts = Counter(words)
top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:5]
print(len(words), len(counts))
for word, c in top:
    print(word, c)
