"""Help text for the project's command lines (``python -m kb``, ``python -m bench``, ``python -m training``): the
"examples:" epilog and each command's own description. Here because kb is the lowest layer with a command line,
so the bench harness and training may import it (pyproject's import contracts).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path


def invoked_as(module_form: str, script: str) -> str:
    """What started this command line: the installed ``script`` (``pyperf-kb``, as pipx or uv tool put it on PATH)
    or ``module_form`` (``python -m kb``), so that usage lines and examples show what the user can type."""
    return script if Path(sys.argv[0]).name == script else module_form


def examples_epilog(prog: str, examples: Iterable[str], other_tools: Mapping[str, str] | None = None) -> str:
    """The "examples:" text under a command line's --help: ``prog`` with each example's arguments, then the tools
    run on their own (command: what it does); for ``argparse.RawDescriptionHelpFormatter``, which keeps its lines."""
    lines = ["examples:", *(f"  {prog} {example}" for example in examples)]
    if other_tools:
        lines += ["", "other tools:", *(f"  {tool}\n      {what}" for tool, what in other_tools.items())]
    return "\n".join([*lines, "", f"A command's options: {prog} COMMAND --help"])


def describe_commands(commands: argparse._SubParsersAction, prog: str, examples: Mapping[str, str]) -> None:
    """Give each command's own --help its one-line summary (the ``help`` it was added with) as description
    and its example (``prog`` and the arguments ``examples`` has for it) as epilog, whichever module added it."""
    for listed in commands._choices_actions:  # argparse keeps each command's (name, help) only there
        parser = commands.choices[listed.dest]
        parser.description = textwrap.fill(listed.help or "", 79)
        parser.epilog = f"example:\n  {prog} {examples[listed.dest]}" if listed.dest in examples else None
        parser.formatter_class = argparse.RawDescriptionHelpFormatter


def bounded(kind: type[int] | type[float], low: float, high: float | None = None) -> Callable[[str], int | float]:
    """An argparse ``type`` that reads ``kind`` and refuses values outside [low, high] as a usage error (one line,
    status 2) rather than a traceback later."""
    def read(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'a whole number' if kind is int else 'a number'}, "
                                             f"got {text!r}") from None
        if value < low or (high is not None and value > high):
            span = f"at least {low:g}" if high is None else f"between {low:g} and {high:g}"
            raise argparse.ArgumentTypeError(f"must be {span}, got {text}")
        return value

    read.__name__ = kind.__name__  # argparse names the type in its messages
    return read

