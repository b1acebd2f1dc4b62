"""Lower median of the numbers seen so far, after each number of a stream."""
n = int(input())
stream = list(map(int, input().split()))
seen = []
medians = []
for x in stream:
    seen.append(x)
    seen.sort()
    medians.append(seen[(len(seen) - 1) // 2])
print(" ".join(map(str, medians)))
