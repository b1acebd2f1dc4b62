"""Running a small program in-process with given stdin, for the rules' tests (trusted code only).

Untrusted code goes through ``bench.core.runner.Runner``; the rules' tests run their own short examples, so
an in-process ``exec`` with redirected streams is enough and keeps the tests fast.
"""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stdout, suppress


def run_program(code: str, stdin: str = "") -> str:
    """What ``code`` prints when run as ``__main__`` with ``stdin`` as its input (``SystemExit`` allowed)."""
    out = io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with redirect_stdout(out), suppress(SystemExit):
            exec(compile(code, "<program>", "exec", dont_inherit=True), {"__name__": "__main__"})
    finally:
        sys.stdin = saved
    return out.getvalue()


def edits_of(code: str, rule: str) -> list:
    """The findings of one rule on ``code`` that carry an edit."""
    from optimizer.rules import RULES_BY_CODE, find_all

    return [f for f in find_all(code, [RULES_BY_CODE[rule]]) if f.edits]


def check(rule: str, slow: str, fast: str, stdin: str, expected: str, starts: list[int]) -> None:
    """The rule fires on the given lines, rewrites ``slow`` into exactly ``fast``, and both print ``expected``."""
    from optimizer.rules import rewrite

    assert [f.start[0] for f in edits_of(slow, rule)] == starts
    assert rewrite(slow, select={rule}).code == fast
    assert run_program(fast, stdin) == run_program(slow, stdin) == expected
