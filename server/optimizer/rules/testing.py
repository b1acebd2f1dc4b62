"""Running a small program in-process with given stdin, for the rules' tests (trusted code only).

Untrusted code goes through ``bench.runner.Runner``; the rules' tests run their own short examples, so
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
