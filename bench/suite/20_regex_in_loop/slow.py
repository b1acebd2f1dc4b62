"""Counts of number, capitalised-word, lower-or-mixed word and other tokens in a text."""
import re
import sys

numbers = capitalised = words = others = 0
for token in sys.stdin.read().split():
    if re.fullmatch(r"[0-9]+", token):
        numbers += 1
    elif re.fullmatch(r"[A-Z][a-z]*", token):
        capitalised += 1
    elif re.fullmatch(r"[A-Za-z]+", token):
        words += 1
    else:
        others += 1
print(numbers, capitalised, words, others)
