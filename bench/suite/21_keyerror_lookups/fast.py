"""Cells of a sparse grid, the largest sum of the other cells in the 5x5 block around a cell, and how many cells it outweighs."""
import sys

NEIGHBOURS = [(dx, dy) for dx in range(-2, 3) for dy in range(-2, 3) if dx or dy]


def main():
    data = sys.stdin.read().split()
    n = int(data[0])
    cells = {}
    for k in range(n):
        x, y, v = int(data[3 * k + 1]), int(data[3 * k + 2]), int(data[3 * k + 3])
        cells[(x, y)] = cells.get((x, y), 0) + v
    best = None
    richer = 0
    for (x, y), value in cells.items():
        around = 0
        for dx, dy in NEIGHBOURS:
            around += cells.get((x + dx, y + dy), 0)
        if best is None or around > best:
            best = around
        if around > value:
            richer += 1
    print(len(cells), best, richer)


main()
