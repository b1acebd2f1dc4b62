"""Regions of a grid of characters."""


def count_regions(grid, fill="#"):
    """How many 4-connected regions of ``fill`` cells ``grid`` (a list of equally long strings) holds."""
    rows, cols = len(grid), len(grid[0]) if grid else 0
    visited = set()
    regions = 0
    for r in range(rows):
        row = grid[r]
        for c in range(cols):
            if row[c] != fill or (r, c) in visited:
                continue
            regions += 1
            stack = [(r, c)]
            visited.add((r, c))
            while stack:
                cr, cc = stack.pop()
                for nr, nc in ((cr + 1, cc), (cr - 1, cc), (cr, cc + 1), (cr, cc - 1)):
                    if 0 <= nr < rows and 0 <= nc < cols and grid[nr][nc] == fill and (nr, nc) not in visited:
                        visited.add((nr, nc))
                        stack.append((nr, nc))
    return regions
