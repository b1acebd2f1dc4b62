"""The registry's safety classes and the generated rules table (optimizer/rules/RULES.md)."""

from __future__ import annotations

from optimizer.rules import ALL_RULES
from optimizer.rules.table import TABLE_PATH, rules_table


def test_every_rule_declares_a_safety_class_with_a_one_line_reason() -> None:
    for rule in ALL_RULES:
        assert rule.safety in ("safe", "unsafe"), rule
        assert rule.safety_reason.strip() and "\n" not in rule.safety_reason, rule


def test_the_committed_rules_table_is_up_to_date() -> None:
    # On failure: regenerate with `python -m optimizer.rules.table` and commit optimizer/rules/RULES.md.
    assert TABLE_PATH.read_text(encoding="utf-8") == rules_table()


def test_the_table_lists_every_rule_with_its_safety() -> None:
    table = rules_table()
    for rule in ALL_RULES:
        row = next(line for line in table.splitlines() if line.startswith(f"| {rule.code} |"))
        assert f"| {rule.safety} | {rule.safety_reason} |" in row.replace("\\|", "|")
