"""Regions of a grid of characters."""


def count_regions(grid, fill="#"):
    """How many 4-connected regions of ``fill`` cells ``grid`` (a list of equally long strings) holds."""
    rows, cols = len(grid), len(grid[0]) if grid else 0

    def neighbours(r, c):
        found = []
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            nr, nc = r + dr, c + dc
            if 0 <= nr < rows and 0 <= nc < cols and grid[nr][nc] == fill:
                found.append((nr, nc))
        return found

    visited = []
    regions = 0
    for r in range(rows):
        for c in range(cols):
            if grid[r][c] != fill or (r, c) in visited:
                continue
            regions += 1
            stack = [(r, c)]
            visited.append((r, c))
            while stack:
                cell = stack.pop()
                for nxt in neighbours(*cell):
                    if nxt not in visited:
                        visited.append(nxt)
                        stack.append(nxt)
    return regions
