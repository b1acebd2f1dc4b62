"""Breaks a Caesar-shifted text: finds the shift whose decoding has the most vowels and prints the decoding."""
import sys

secret = sys.stdin.read()
best_shift = 0
best_score = -1
for shift in range(26):
    decoded = []
    for ch in secret:
        if "a" <= ch <= "z":
            decoded.append(chr((ord(ch) - ord("a") - shift) % 26 + ord("a")))
        elif "A" <= ch <= "Z":
            decoded.append(chr((ord(ch) - ord("A") - shift) % 26 + ord("A")))
        else:
            decoded.append(ch)
    text = "".join(decoded)
    score = sum(text.count(vowel) for vowel in "aeiouAEIOU")
    if score > best_score:
        best_score = score
        best_shift = shift
        best_text = text
print(best_shift)
sys.stdout.write(best_text)
