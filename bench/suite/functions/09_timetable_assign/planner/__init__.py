"""Slots of a day."""
