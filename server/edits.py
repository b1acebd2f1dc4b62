"""The smallest whole-line replacement that turns one text into another.

"Optimize for speed" gets back the whole module; sending the client only the lines that changed keeps its
cursor, folds and undo history where they were.
"""

from __future__ import annotations


def minimal_edit(old: str, new: str) -> tuple[int, int, str] | None:
    """``(start, end, text)`` such that ``old[:start] + text + old[end:] == new``; None when equal.

    The replaced span starts at a line start and ends after a line break (or at the end of the text).
    """
    if old == new:
        return None
    prefix = (_common_prefix(old, new))
    # Start the replacement at a line start (never between \r and \n).
    while prefix > 0 and not (old[prefix - 1] == "\n" or (old[prefix - 1] == "\r" and old[prefix:prefix + 1] != "\n")):
        prefix -= 1
    rest_old, rest_new = old[prefix:], new[prefix:]
    suffix = (_common_prefix(rest_old[::-1], rest_new[::-1]))
    suffix = min(suffix, len(rest_old), len(rest_new))
    # Start the kept suffix at a line start (never between \r and \n): shrink it until it does.
    while suffix > 0:
        at = len(rest_old) - suffix
        before = rest_old[at - 1] if at > 0 else (old[prefix - 1] if prefix > 0 else "\n")
        if before == "\n" or (before == "\r" and rest_old[at] != "\n"):
            break
        suffix -= 1
    end_old, end_new = len(old) - suffix, len(new) - suffix
    return prefix, end_old, new[prefix:end_new]


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, found by halving (the texts are whole modules)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo
