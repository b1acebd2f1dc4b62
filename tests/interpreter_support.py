"""Users' interpreters for tests: a fresh venv of any Python, with this environment's pytest copied in (offline:
the sandbox shows that venv's files only, so pytest must be inside it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

# pytest and what it imports, all pure Python: copies run under any Python 3.11+
PYTEST_PACKAGES = ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "pygments", "py.py")


def site_packages(python: Path) -> Path:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def make_venv(folder: Path, base: str = sys.executable, with_pytest: bool = False) -> Path:
    """A venv at ``folder`` made by ``base``, without pip (and with this environment's pytest when asked); its
    python."""
    subprocess.run([base, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    if with_pytest:
        ours, theirs = Path(sysconfig.get_paths()["purelib"]), site_packages(python)
        for name in PYTEST_PACKAGES:
            source = ours / name
            if source.is_dir():
                shutil.copytree(source, theirs / name)
            elif source.is_file():
                shutil.copy2(source, theirs / name)
    return python
