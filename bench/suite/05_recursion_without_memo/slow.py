"""Number of right/down paths from the top-left to the bottom-right cell of a grid avoiding walls."""
import sys

rows, cols = map(int, input().split())
grid = [input().strip() for _ in range(rows)]
sys.setrecursionlimit(10000)


def paths(r, c):
    if r < 0 or c < 0 or grid[r][c] == "#":
        return 0
    if r == 0 and c == 0:
        return 1
    return paths(r - 1, c) + paths(r, c - 1)


print(paths(rows - 1, cols - 1))
