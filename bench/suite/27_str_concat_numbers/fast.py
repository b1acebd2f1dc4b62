"""The first n Fibonacci numbers modulo m, on one line."""
n, m = map(int, input().split())
a, b = 0, 1
terms = []
for _ in range(n):
    terms.append(a)
    a, b = b, (a + b) % m
print(" ".join(map(str, terms)))
