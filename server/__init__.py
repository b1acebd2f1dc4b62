"""The language server and the optimisation pipeline it serves."""
