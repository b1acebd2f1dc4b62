"""Answers gcd/lcm, integer square root and binomial coefficient queries."""
import sys
from math import comb, gcd, isqrt, lcm

q = int(sys.stdin.readline())
answers = []
for _ in range(q):
    parts = sys.stdin.readline().split()
    if parts[0] == "gcd":
        a, b = int(parts[1]), int(parts[2])
        answers.append(f"{gcd(a, b)} {lcm(a, b)}")
    elif parts[0] == "sqrt":
        answers.append(str(isqrt(int(parts[1]))))
    else:
        answers.append(str(comb(int(parts[1]), int(parts[2]))))
print("\n".join(answers))
