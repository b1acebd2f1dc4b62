"""Greedy word wrap of a text so that no line is longer than the given width."""
import sys

width = int(sys.stdin.readline())
words = sys.stdin.read().split()
text = ""
line_length = 0
for word in words:
    if line_length == 0:
        text += word
        line_length = len(word)
    elif line_length + 1 + len(word) <= width:
        text += " " + word
        line_length += 1 + len(word)
    else:
        text += "\n" + word
        line_length = len(word)
print(text)
