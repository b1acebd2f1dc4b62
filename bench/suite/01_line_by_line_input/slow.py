"""Total, maximum and number of rises in a series of readings given one per line."""
n = int(input())
total = 0
highest = None
rises = 0
previous = None
for _ in range(n):
    value = int(input())
    total += value
    if highest is None or value > highest:
        highest = value
    if previous is not None and value > previous:
        rises += 1
    previous = value
print(total, highest, rises)
