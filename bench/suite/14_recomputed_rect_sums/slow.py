"""Sum of the numbers inside each queried rectangle of a grid."""
import sys

rows, cols = map(int, sys.stdin.readline().split())
grid = [list(map(int, sys.stdin.readline().split())) for _ in range(rows)]
q = int(sys.stdin.readline())
answers = []
for _ in range(q):
    r1, c1, r2, c2 = map(int, sys.stdin.readline().split())
    total = 0
    for r in range(r1 - 1, r2):
        total += sum(grid[r][c1 - 1:c2])
    answers.append(total)
print("\n".join(map(str, answers)))
