def fold(value):
    """A grouping key: text without surrounding spaces, case-folded; other values as they are."""
    return value.strip().casefold() if isinstance(value, str) else value
