"""Colours and palettes."""
