"""Numbers 1..n with multiples of a replaced by Ping, of b by Pong, of both by PingPong."""
n, a, b = map(int, input().split())
for i in range(1, n + 1):
    if i % a == 0 and i % b == 0:
        print("PingPong")
    elif i % a == 0:
        print("Ping")
    elif i % b == 0:
        print("Pong")
    else:
        print(i)
