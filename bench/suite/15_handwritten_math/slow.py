"""Answers gcd/lcm, integer square root and binomial coefficient queries."""
import sys


def gcd(a, b):
    while b:
        a, b = b, a % b
    return a


def isqrt(x):
    lo, hi = 0, x
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if mid * mid <= x:
            lo = mid
        else:
            hi = mid - 1
    return lo


def factorial(n):
    result = 1
    for i in range(2, n + 1):
        result *= i
    return result


def comb(n, k):
    return factorial(n) // (factorial(k) * factorial(n - k))


q = int(sys.stdin.readline())
answers = []
for _ in range(q):
    parts = sys.stdin.readline().split()
    if parts[0] == "gcd":
        a, b = int(parts[1]), int(parts[2])
        g = gcd(a, b)
        answers.append(f"{g} {a // g * b}")
    elif parts[0] == "sqrt":
        answers.append(str(isqrt(int(parts[1]))))
    else:
        answers.append(str(comb(int(parts[1]), int(parts[2]))))
print("\n".join(answers))
