"""Sum and count of the integer tokens in a text, and the number of other tokens."""
import sys

tokens = sys.stdin.read().split()
total = 0
numbers = 0
others = 0
for token in tokens:
    digits = token[1:] if token[:1] in ("-", "+") else token
    if digits.isascii() and digits.isdigit():
        total += int(token)
        numbers += 1
    else:
        others += 1
print(total, numbers, others)
