"""Numbers 1..n with multiples of a replaced by Ping, of b by Pong, of both by PingPong."""
import sys

n, a, b = map(int, input().split())
lines = []
for i in range(1, n + 1):
    if i % a == 0 and i % b == 0:
        lines.append("PingPong")
    elif i % a == 0:
        lines.append("Ping")
    elif i % b == 0:
        lines.append("Pong")
    else:
        lines.append(str(i))
sys.stdout.write("\n".join(lines) + "\n")
