"""Output comparison, the rule PIE-style judges use (documented in the README, "Output comparison").

Both outputs are decoded as UTF-8 (bad bytes replaced), Windows line endings become ``\\n``,
trailing whitespace on each line and trailing blank lines are dropped, and each line is split into
whitespace-separated tokens. The outputs match when they have the same lines with the same number of
tokens, and each pair of tokens is equal as text, or, where either token is written as a decimal
fraction or in exponent form, both parse as floats within ``float_tol`` (absolute or relative).
Integers are compared exactly: a relative tolerance would accept 1000000007 for 1000000008.
"""

from __future__ import annotations

import math

DEFAULT_FLOAT_TOL = 1e-6


def _lines(output: str | bytes) -> list[list[str]]:
    text = output.decode("utf-8", errors="replace") if isinstance(output, bytes) else output
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return [line.split() for line in lines]


def _looks_fractional(token: str) -> bool:
    lowered = token.lower()
    return "." in token or "e" in lowered or lowered.lstrip("+-") in ("inf", "nan", "infinity")


def _tokens_match(actual: str, expected: str, float_tol: float) -> bool:
    if actual == expected:
        return True
    if not (_looks_fractional(actual) or _looks_fractional(expected)):
        return False
    try:
        a, b = float(actual), float(expected)
    except ValueError:
        return False
    return math.isclose(a, b, rel_tol=float_tol, abs_tol=float_tol)


def outputs_match(actual: str | bytes, expected: str | bytes, float_tol: float = DEFAULT_FLOAT_TOL) -> bool:
    """Whether ``actual`` is an accepted output for ``expected`` (see the module docstring)."""
    got, want = _lines(actual), _lines(expected)
    if len(got) != len(want):
        return False
    for got_line, want_line in zip(got, want, strict=True):
        if len(got_line) != len(want_line):
            return False
        if not all(_tokens_match(a, b, float_tol) for a, b in zip(got_line, want_line, strict=True)):
            return False
    return True


def first_difference(actual: str | bytes, expected: str | bytes, float_tol: float = DEFAULT_FLOAT_TOL) -> str:
    """A one-line description of where two outputs part, for failure reasons."""
    got, want = _lines(actual), _lines(expected)
    for i, (got_line, want_line) in enumerate(zip(got, want, strict=False)):
        if len(got_line) != len(want_line) or not all(
            _tokens_match(a, b, float_tol) for a, b in zip(got_line, want_line, strict=True)
        ):
            return f"line {i + 1}: got {' '.join(got_line)[:60]!r}, expected {' '.join(want_line)[:60]!r}"
    return f"got {len(got)} lines, expected {len(want)}"
