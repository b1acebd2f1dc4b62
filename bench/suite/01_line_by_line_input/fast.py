"""Total, maximum and number of rises in a series of readings given one per line."""
import sys

data = sys.stdin.buffer.read().split()
n = int(data[0])
values = list(map(int, data[1:n + 1]))
total = 0
highest = None
rises = 0
previous = None
for value in values:
    total += value
    if highest is None or value > highest:
        highest = value
    if previous is not None and value > previous:
        rises += 1
    previous = value
print(total, highest, rises)
