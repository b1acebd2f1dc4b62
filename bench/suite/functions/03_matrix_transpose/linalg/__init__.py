"""Small dense matrices as lists of lists."""
