"""A web shop back office."""
