"""A calculator language."""
