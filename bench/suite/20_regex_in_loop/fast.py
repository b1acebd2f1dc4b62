"""Counts of number, capitalised-word, lower-or-mixed word and other tokens in a text."""
import sys

numbers = capitalised = words = others = 0
for token in sys.stdin.read().split():
    if not token.isascii():
        others += 1
    elif token.isdigit():
        numbers += 1
    elif token.isalpha():
        if token[0].isupper() and (len(token) == 1 or token[1:].islower()):
            capitalised += 1
        else:
            words += 1
    else:
        others += 1
print(numbers, capitalised, words, others)
