"""Length and first characters of a look-and-say term after a number of steps from a seed."""
term = input().strip()
steps = int(input())
for _ in range(steps):
    parts = []
    i = 0
    while i < len(term):
        j = i
        while j < len(term) and term[j] == term[i]:
            j += 1
        parts.append(str(j - i) + term[i])
        i = j
    term = "".join(parts)
print(len(term))
print(term[:60])
