"""Number of pairs i < j whose values add up to the target."""
n, target = map(int, input().split())
values = list(map(int, input().split()))
seen = {}
pairs = 0
for x in values:
    pairs += seen.get(target - x, 0)
    seen[x] = seen.get(x, 0) + 1
print(pairs)
