"""Every command line's --help reads like a well-kept tool's: plain words (no reStructuredText quoting), each
command listed with its one-line summary, and one example per command that parses, so the examples cannot rot."""

from __future__ import annotations

import argparse
import importlib.util
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest
from kb_support import REPO_ROOT

import server.__main__ as server_main
from bench.harness import cli as bench_cli
from kb import cli as kb_cli
from training import cli as training_cli


@dataclass(frozen=True)
class CommandLine:
    """One ``python -m <package>`` with subcommands: its parser, its examples by command, how argv is read."""

    prog: str
    build: Callable[[], argparse.ArgumentParser]
    examples: Mapping[str, str]
    argv: Callable[[list[str]], list[str]] = list
    other_tools: Mapping[str, str] | None = None


COMMAND_LINES = [
    CommandLine("python -m bench", bench_cli.build_parser, bench_cli.EXAMPLES, bench_cli.command_argv,
                bench_cli.OTHER_TOOLS),
    CommandLine("python -m kb", kb_cli.make_parser, kb_cli.EXAMPLES, other_tools=kb_cli.OTHER_TOOLS),
    CommandLine("python -m training", training_cli.build_parser, training_cli.EXAMPLES),
]
IDS = [line.prog for line in COMMAND_LINES]


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """argparse wraps to the terminal's width: wide enough that no summary is split over lines."""
    monkeypatch.setenv("COLUMNS", "200")


def _commands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("line", COMMAND_LINES, ids=IDS)
def test_every_command_is_listed_with_its_summary_and_example(line):
    parser = line.build()
    commands = _commands(parser)
    assert set(commands.choices) == set(line.examples), "one example per command, no example of no command"
    top = parser.format_help()
    assert "examples:" in top and f"{line.prog} COMMAND --help" in top
    for listed in commands._choices_actions:
        assert listed.help, f"{listed.dest} has no one-line summary"
        assert f"{listed.dest} {listed.help}" in _flat(top)
        assert f"  {line.prog} {line.examples[listed.dest]}\n" in top
        own = commands.choices[listed.dest].format_help()
        assert _flat(listed.help) in _flat(own), f"{listed.dest} --help lacks its summary"
        assert f"example:\n  {line.prog} {line.examples[listed.dest]}" in own


@pytest.mark.parametrize("line", COMMAND_LINES, ids=IDS)
def test_no_restructured_text_in_any_help(line):
    parser = line.build()
    texts = [parser.format_help(), *(sub.format_help() for sub in _commands(parser).choices.values())]
    assert not [text for text in texts if "``" in text or re.search(r":(func|class|mod):`", text)]


@pytest.mark.parametrize("line", COMMAND_LINES, ids=IDS)
def test_each_example_parses_as_its_command(line):
    for command, example in line.examples.items():
        args = line.build().parse_args(line.argv(shlex.split(example)))
        assert args.command == command, example


@pytest.mark.parametrize("line", [line for line in COMMAND_LINES if line.other_tools], ids=lambda line: line.prog)
def test_other_tools_exist_and_take_the_flags_shown(line):
    for tool in line.other_tools:
        words = shlex.split(tool)
        assert words[:2] == ["python", "-m"] and importlib.util.find_spec(words[2]) is not None, tool
        done = subprocess.run([sys.executable, "-m", words[2], "--help"], capture_output=True, text=True,
                              cwd=REPO_ROOT, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert all(flag in done.stdout for flag in words[3:] if flag.startswith("--")), tool


def test_server_help_and_examples():
    for example in server_main.EXAMPLES:
        server_main.parse_args(shlex.split(example))


@pytest.mark.parametrize("package", ["bench", "kb", "training", "server"])
def test_python_dash_m_help_shows_examples(package):
    done = subprocess.run([sys.executable, "-m", package, "--help"], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(f"usage: python -m {package}") and "examples:\n" in done.stdout
    assert "``" not in done.stdout


@pytest.mark.parametrize(("line", "script"), zip(COMMAND_LINES, ["pyperf-bench", "pyperf-kb", "pyperf-train"],
                                                  strict=True), ids=IDS)
def test_an_installed_command_shows_its_own_name(line, script, monkeypatch):
    """Started as the command pipx or uv tool installed, usage and examples say that command, not python -m."""
    monkeypatch.setattr(sys, "argv", [f"/home/user/.local/bin/{script}", "--help"])
    top = line.build().format_help()
    assert top.startswith(f"usage: {script} ") and f"{script} COMMAND --help" in top
    assert all(f"  {script} {example}\n" in top for example in line.examples.values())
    assert line.prog not in top.split("other tools:")[0]

