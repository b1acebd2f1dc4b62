"""How many times each digit is written when listing every number from 1 to n."""
from collections import Counter

n = int(input())
counts = Counter("".join(map(str, range(1, n + 1))))
for digit in "0123456789":
    print(digit, counts[digit])
