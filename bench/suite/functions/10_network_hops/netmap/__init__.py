"""Graphs of named nodes."""
