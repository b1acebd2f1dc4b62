"""Breaks a Caesar-shifted text: finds the shift whose decoding has the most vowels and prints the decoding."""
import sys
from string import ascii_lowercase as lower, ascii_uppercase as upper

secret = sys.stdin.read()
best_shift = 0
best_score = -1
for shift in range(26):
    table = str.maketrans(lower + upper,
                          lower[-shift:] + lower[:-shift] + upper[-shift:] + upper[:-shift])
    text = secret.translate(table)
    score = sum(text.count(vowel) for vowel in "aeiouAEIOU")
    if score > best_score:
        best_score = score
        best_shift = shift
        best_text = text
print(best_shift)
sys.stdout.write(best_text)
