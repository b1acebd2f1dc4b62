from ..text import fold


def group_by(records, field):
    """Records (dicts) grouped by their folded ``field``, groups in order of first appearance."""
    groups = {}
    for record in records:
        groups.setdefault(fold(record.get(field)), []).append(record)
    return groups
