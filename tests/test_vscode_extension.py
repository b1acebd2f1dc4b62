"""The VS Code extension (vscode-extension/) builds offline and passes its own tests.

Runs, in vscode-extension/: ``npm ci``, ``npm run compile`` (TypeScript), ``npm test`` (node:test: the pure
modules, and a JSON-RPC session with the real server started from the extension's own command line), and
``npm run package`` (esbuild bundle, the project's wheel, ``vsce package``), then looks inside the .vsix.
Skipped, saying why, without node and npm.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parent.parent / "vscode-extension"
VSIX = EXTENSION / "pyperf-assistant.vsix"


def npm(*args: str, timeout: int = 300) -> str:
    env = {**os.environ, "PYPERF_PYTHON": sys.executable, "npm_config_audit": "false", "npm_config_fund": "false"}
    run = subprocess.run(["npm", *args], cwd=EXTENSION, env=env, capture_output=True, text=True, timeout=timeout)
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"npm {' '.join(args)} failed ({run.returncode}):\n{output[-6000:]}"
    return output


@pytest.fixture(scope="module")
def built():
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (the extension needs node 20+ and npm)")
    version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        pytest.skip(f"node {version} is too old: the extension's tools need node 20+")
    npm("ci", "--no-audit", "--no-fund")
    npm("run", "compile")


@pytest.mark.slow
def test_unit_and_jsonrpc_tests_pass(built):
    output = npm("test")
    counts = {key: int(value) for key, value in re.findall(r"ℹ (tests|pass|fail|skipped) (\d+)", output)}
    assert counts.get("fail") == 0 and counts.get("skipped") == 0, output[-3000:]
    assert counts.get("pass", 0) >= 20, output[-3000:]
    # the session with the real Python server ran (it is skipped only when no interpreter is found)
    assert "handshake, diagnostics, Optimize for speed, status, shutdown" in output


@pytest.mark.slow
def test_package_holds_the_bundle_and_the_wheel(built):
    VSIX.unlink(missing_ok=True)
    npm("run", "package")
    with zipfile.ZipFile(VSIX) as vsix:
        names = vsix.namelist()
        manifest = vsix.read("extension/package.json").decode()
    assert "extension/dist/extension.js" in names
    assert any(re.fullmatch(r"extension/bundled/pyperf_assistant-[^/]+-py3-none-any\.whl", n) for n in names), names
    assert not any(n.startswith(("extension/node_modules/", "extension/src/", "extension/out/")) for n in names), names
    assert '"main": "./dist/extension.js"' in manifest
