"""List helpers that change their argument in place."""


def dedupe(items):
    """Remove later duplicates from ``items`` (hashable values) in place; return how many were removed."""
    seen = set()
    kept = []
    for item in items:
        if item not in seen:
            seen.add(item)
            kept.append(item)
    removed = len(items) - len(kept)
    items[:] = kept
    return removed
