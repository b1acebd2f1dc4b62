"""The ``python -m training`` command line: one argparse subcommand per command module.

Contract between the command modules: each exposes ``register(subparsers) -> None``, which adds its subparser and
``set_defaults(func=...)``; ``func(args) -> int`` runs the command and returns the exit status. A command that
fails on bad input raises :class:`training.errors.TrainingError` (one line, printed as ``error: ...``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from kb.cli_help import describe_commands, examples_epilog, invoked_as

COMMAND_MODULES = (
    "training.dataset",
    "training.sft",
    "training.dpo",
    "training.export",
    "training.sample",
    "training.annotate",
    "training.merge",
    "training.evaluate",
)


DESCRIPTION = """\
Fine-tune the optimizer's local model: build datasets, LoRA SFT, DPO, export
to GGUF; and Code-Optimise's steps: sample, annotate, merge, evaluate.
Every step and its options: training/README.md."""
# One real command per command module (what training/README.md runs): shown in --help, and parsed by
# tests/test_cli_help.py so none goes stale.
EXAMPLES = {
    "dataset": "dataset --pairs pairs.jsonl --catalogue --out reports/training/sft.jsonl",
    "sft": "sft --data reports/training/sft.jsonl --out reports/training/sft --limit 96 "
           "--shortest",
    "dpo": "dpo --data dpo.jsonl --init-adapter reports/training/sft/adapter "
           "--out reports/training/dpo",
    "export": "export --adapter reports/training/sft/adapter --out reports/training/export",
    "sample": "sample --out samples.jsonl --problems mbpp --n 8 --temperature 0.6",
    "annotate": "annotate --input samples.jsonl --out annotated.jsonl",
    "merge": "merge --input annotated.jsonl --sft-out sft.jsonl --dpo-out dpo.jsonl",
    "evaluate": "evaluate --limit 100 --out reports/training/eval",
}


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The parser with every importable command module registered.

    Each command's --help shows its one-line summary and example; its module's docstring is for developers.
    """
    prog = invoked_as("python -m training", "pyperf-train")
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION,
                                     epilog=examples_epilog(prog, EXAMPLES.values()),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    subparsers.required = True
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # A command module still being written is left out; a missing dependency inside one is a real error.
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    describe_commands(subparsers, prog, EXAMPLES)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; bad input exits 2 with a one-line message."""
    from training.errors import TrainingError
    from training.loop import TrainingInterrupted

    # Nothing is ever downloaded: models come from local folders or GGUF files.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except TrainingInterrupted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 130
    except TrainingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
