"""Greedy word wrap of a text so that no line is longer than the given width."""
import sys

width = int(sys.stdin.readline())
words = sys.stdin.read().split()
lines = []
current = []
line_length = 0
for word in words:
    if line_length == 0:
        current.append(word)
        line_length = len(word)
    elif line_length + 1 + len(word) <= width:
        current.append(word)
        line_length += 1 + len(word)
    else:
        lines.append(" ".join(current))
        current = [word]
        line_length = len(word)
lines.append(" ".join(current))
print("\n".join(lines))
