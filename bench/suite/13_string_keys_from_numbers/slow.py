"""Population and bounding box of an unbounded Game of Life pattern after some generations."""
NEIGHBOURS = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc]


def main():
    rows, cols, generations = map(int, input().split())
    live = set()
    for r in range(rows):
        line = input().strip()
        for c in range(cols):
            if line[c] == "#":
                live.add(str(r) + "," + str(c))
    for _ in range(generations):
        counts = {}
        for cell in live:
            r, c = map(int, cell.split(","))
            for dr, dc in NEIGHBOURS:
                key = str(r + dr) + "," + str(c + dc)
                counts[key] = counts.get(key, 0) + 1
        live = {key for key, n in counts.items() if n == 3 or (n == 2 and key in live)}
    if not live:
        print(0)
        return
    coordinates = [tuple(map(int, cell.split(","))) for cell in live]
    top = min(r for r, c in coordinates)
    bottom = max(r for r, c in coordinates)
    left = min(c for r, c in coordinates)
    right = max(c for r, c in coordinates)
    print(len(live), top, left, bottom, right)


main()
