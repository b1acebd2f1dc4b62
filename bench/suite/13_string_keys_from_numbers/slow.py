"""Distinct cells visited by a walk on a grid, and the largest number of visits to one cell."""
STEPS = {"U": (0, 1), "D": (0, -1), "L": (-1, 0), "R": (1, 0)}


def main():
    moves = input().strip()
    x = y = 0
    visits = {"0,0": 1}
    for move in moves:
        dx, dy = STEPS[move]
        x += dx
        y += dy
        key = str(x) + "," + str(y)
        visits[key] = visits.get(key, 0) + 1
    print(len(visits), max(visits.values()))


main()
