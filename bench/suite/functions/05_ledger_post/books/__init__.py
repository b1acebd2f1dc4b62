"""Double-entry-free bookkeeping in integer cents."""
