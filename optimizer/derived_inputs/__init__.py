"""Derived inputs for stdin programs: more verification inputs from the given ones (issue 17).

A candidate that matches the original on one large input may still be wrong on a small or
degenerate one. ``derive_inputs`` shrinks and mutates the given inputs keeping their structure;
``filter_by_oracle`` keeps those the original handles, with its output; ``first_mismatch`` finds the
first one a candidate gets wrong; ``DerivedInputCache`` does the first two once per program version.
"""

from optimizer.derived_inputs.derive import DerivedInput, derive_inputs
from optimizer.derived_inputs.oracle import (
    DERIVATION_VERSION,
    CheckedInput,
    DerivedInputCache,
    Mismatch,
    Run,
    filter_by_oracle,
    first_mismatch,
)

__all__ = [
    "DERIVATION_VERSION",
    "CheckedInput",
    "DerivedInput",
    "DerivedInputCache",
    "Mismatch",
    "Run",
    "derive_inputs",
    "filter_by_oracle",
    "first_mismatch",
]
