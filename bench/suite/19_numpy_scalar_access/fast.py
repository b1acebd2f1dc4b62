"""Length of the longest common subsequence of two strings."""
a = input().strip()
b = input().strip()
previous = [0] * (len(b) + 1)
for ca in a:
    current = [0]
    for j, cb in enumerate(b):
        if ca == cb:
            current.append(previous[j] + 1)
        else:
            current.append(max(previous[j + 1], current[j]))
    previous = current
print(previous[-1])
