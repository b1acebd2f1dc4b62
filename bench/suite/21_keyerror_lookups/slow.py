"""Cells of a sparse grid, the largest sum of the other cells in the 5x5 block around a cell, and how many cells it outweighs."""
import sys

NEIGHBOURS = [(dx, dy) for dx in range(-2, 3) for dy in range(-2, 3) if dx or dy]


def main():
    data = sys.stdin.read().split()
    n = int(data[0])
    cells = {}
    for k in range(n):
        x, y, v = int(data[3 * k + 1]), int(data[3 * k + 2]), int(data[3 * k + 3])
        if (x, y) in cells.keys():
            cells[(x, y)] += v
        else:
            cells[(x, y)] = v
    best = None
    richer = 0
    for (x, y), value in cells.items():
        around = 0
        for dx, dy in NEIGHBOURS:
            try:
                around += cells[(x + dx, y + dy)]
            except KeyError:
                pass
        if best is None or around > best:
            best = around
        if around > value:
            richer += 1
    print(len(cells), best, richer)


main()
