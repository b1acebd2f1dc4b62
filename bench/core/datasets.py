"""Where the shared data sets live: one setting for the tools and the tests.

``$PYPERF_DATA`` when set, else ``../shared/data`` relative to the working directory (the repository root
when run from a checkout, as the README's commands are). Nothing here reaches a path relative to the
installed package.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "PYPERF_DATA"


def data_dir() -> Path:
    """Where the shared data sets are (may not exist: callers say so or skip)."""
    return Path(os.environ.get(DATA_ENV) or Path.cwd().parent / "shared" / "data")
