"""Help text for the project's command lines (``python -m kb``, ``python -m bench``, ``python -m training``): the
"examples:" epilog and each command's own description. Here because kb is the lowest layer with a command line,
so the bench harness and training may import it (pyproject's import contracts).
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Mapping


def examples_epilog(prog: str, examples: Mapping[str, str], other_tools: Mapping[str, str] | None = None) -> str:
    """The "examples:" text under a command line's --help: one example per command, then the tools run on
    their own (command: what it does); for ``argparse.RawDescriptionHelpFormatter``, which keeps its lines."""
    lines = ["examples:", *(f"  {example}" for example in examples.values())]
    if other_tools:
        lines += ["", "other tools:", *(f"  {tool}\n      {what}" for tool, what in other_tools.items())]
    return "\n".join([*lines, "", f"A command's options: {prog} COMMAND --help"])


def describe_commands(commands: argparse._SubParsersAction, examples: Mapping[str, str]) -> None:
    """Give each command's own --help its one-line summary (the ``help`` it was added with) as description
    and its example, if ``examples`` has one, as epilog, whichever module added the command."""
    for listed in commands._choices_actions:  # argparse keeps each command's (name, help) only there
        parser = commands.choices[listed.dest]
        parser.description = textwrap.fill(listed.help or "", 79)
        parser.epilog = f"example:\n  {examples[listed.dest]}" if listed.dest in examples else None
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
