from ..text import fold


def group_by(records, field):
    """Records (dicts) grouped by their folded ``field``, groups in order of first appearance."""
    groups = {}
    for record in records:
        key = fold(record.get(field))
        if key not in list(groups.keys()):
            groups[key] = []
        groups[key].append(record)
    return groups
