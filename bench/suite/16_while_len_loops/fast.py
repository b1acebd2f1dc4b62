"""Length and first characters of a look-and-say term after a number of steps from a seed."""
from itertools import groupby

term = input().strip()
steps = int(input())
for _ in range(steps):
    term = "".join([str(len(list(run))) + digit for digit, run in groupby(term)])
print(len(term))
print(term[:60])
