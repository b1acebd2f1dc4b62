"""The first n Fibonacci numbers modulo m, on one line."""
n, m = map(int, input().split())
a, b = 0, 1
line = ""
for _ in range(n):
    line += str(a) + " "
    a, b = b, (a + b) % m
print(line.rstrip())
