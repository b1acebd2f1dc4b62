"""Rendering pages."""
