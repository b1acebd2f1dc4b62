"""Signal helpers over integer samples."""
