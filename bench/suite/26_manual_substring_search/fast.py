"""Number of possibly overlapping occurrences of each pattern in a text."""
import sys

lines = sys.stdin.read().splitlines()
text = lines[0]
q = int(lines[1])
answers = []
for pattern in lines[2:2 + q]:
    found = 0
    i = text.find(pattern)
    while i != -1:
        found += 1
        i = text.find(pattern, i + 1)
    answers.append(f"{pattern} {found}")
print("\n".join(answers))
