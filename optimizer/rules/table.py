"""The rules table (``RULES.md`` beside this module), generated from the registry so that it cannot drift.

Regenerate after changing a rule's code, summary or safety class: ``python -m optimizer.rules.table``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from optimizer.rules import ALL_RULES
from optimizer.rules.base import Rule

TABLE_PATH = Path(__file__).with_name("RULES.md")

_HEADER = """# Rules

Generated from `optimizer.rules.ALL_RULES` by `python -m optimizer.rules.table`; do not edit by hand.

Safety: **safe** rewrites keep behaviour by construction once the rule's precondition holds; **unsafe** ones
depend on types, aliasing or effects the rule cannot see, so their edits must be verified before they are offered.
Each rule's docstring (its hover text) says why it is faster and what its precondition checks.

| code | rule | what it does | safety | why |
|---|---|---|---|---|
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def rules_table(rules: Sequence[Rule] = ALL_RULES) -> str:
    """The Markdown table of ``rules`` in code order: code, name, summary, safety class and its reason."""
    rows = [
        f"| {rule.code} | `{rule.name}` | {_cell(rule.summary)} | {rule.safety} | {_cell(rule.safety_reason)} |\n"
        for rule in sorted(rules, key=lambda r: r.code)
    ]
    return _HEADER + "".join(rows)


def main() -> None:
    TABLE_PATH.write_text(rules_table(), encoding="utf-8")
    print(f"wrote {TABLE_PATH}")


if __name__ == "__main__":
    main()
