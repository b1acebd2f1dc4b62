"""List helpers that change their argument in place."""


def dedupe(items):
    """Remove later duplicates from ``items`` (hashable values) in place; return how many were removed."""
    removed = 0
    i = 0
    while i < len(items):
        if items[i] in items[:i]:
            del items[i]
            removed += 1
        else:
            i += 1
    return removed
