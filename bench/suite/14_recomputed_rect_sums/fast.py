"""Sum of the numbers inside each queried rectangle of a grid."""
import sys
from itertools import accumulate

rows, cols = map(int, sys.stdin.readline().split())
grid = [list(map(int, sys.stdin.readline().split())) for _ in range(rows)]
prefix = [[0] * (cols + 1)]
for row in grid:
    running = accumulate(row, initial=0)
    prefix.append([above + here for above, here in zip(prefix[-1], running)])
q = int(sys.stdin.readline())
answers = []
for _ in range(q):
    r1, c1, r2, c2 = map(int, sys.stdin.readline().split())
    total = (prefix[r2][c2] - prefix[r1 - 1][c2]
             - prefix[r2][c1 - 1] + prefix[r1 - 1][c1 - 1])
    answers.append(total)
print("\n".join(map(str, answers)))
