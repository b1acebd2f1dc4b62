"""Number of pairs i < j whose values add up to the target."""
n, target = map(int, input().split())
values = list(map(int, input().split()))
pairs = 0
for i in range(n):
    for j in range(i + 1, n):
        if values[i] + values[j] == target:
            pairs += 1
print(pairs)
