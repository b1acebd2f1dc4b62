"""The user's interpreter: the Python that runs the user's code in the sandbox (``pyperf.interpreter``).

The VS Code extension runs the server from a private environment and sends the interpreter the user picked;
the server checks it once per path (it exists, is executable and is Python >= 3.11, the sandbox zygote's
minimum) by running it, and otherwise runs the user's code with its own interpreter.
"""

from __future__ import annotations

import ast
import functools
import os
import subprocess
from pathlib import Path

MIN_VERSION = (3, 11)
PROBE_TIMEOUT_S = 10.0


@functools.lru_cache(maxsize=16)
def interpreter_problem(path: str) -> str | None:
    """Why ``path`` cannot run the user's code, in a sentence's tail ("does not exist"); None when it can."""
    candidate = Path(path)
    if not candidate.is_file():
        return "does not exist"
    if not os.access(candidate, os.X_OK):
        return "is not executable"
    try:
        probe = subprocess.run([path, "-I", "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                               text=True, timeout=PROBE_TIMEOUT_S, stdin=subprocess.DEVNULL)
        version = tuple(ast.literal_eval(probe.stdout.strip())) if probe.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError, SyntaxError, TypeError) as exc:
        return f"could not be run ({type(exc).__name__})"
    if version is None:
        return "is not a Python interpreter that runs"
    if version < MIN_VERSION:
        return f"is Python {'.'.join(map(str, version))}; Python >= {'.'.join(map(str, MIN_VERSION))} is needed"
    return None
