"""Count and sum of the primes up to n."""
from itertools import compress
from math import isqrt

n = int(input())
sieve = bytearray([1]) * (n + 1)
sieve[:2] = bytes(min(2, n + 1))
for p in range(2, isqrt(n) + 1):
    if sieve[p]:
        sieve[p * p::p] = bytes(len(range(p * p, n + 1, p)))
primes = list(compress(range(n + 1), sieve))
print(len(primes), sum(primes))
