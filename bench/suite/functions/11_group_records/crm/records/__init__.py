"""Operations on lists of record dicts."""
