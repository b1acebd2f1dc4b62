"""Performance findings of the AST rules for one document version, and what each rule's docs say.

The LSP layer turns ``Analysis.findings`` into diagnostics (Information severity, source ``pyperf``, the
rule's code and a link to its docs) and each finding with edits into a quick fix applying that finding alone.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)
SOURCE = "pyperf"


@dataclass(frozen=True)
class RuleDoc:
    code: str
    name: str
    summary: str
    description: str  # why the rewrite is faster and when it is unsafe
    href: str  # where the rule is documented: its module, at the rule's class


@dataclass
class Analysis:
    """The findings for one version of a document, or why there are none."""

    findings: list = field(default_factory=list)  # server.optimizer.rules.Finding
    problem: str | None = None  # the file does not parse / is too long / the rules are unavailable


def analyse(text: str, max_lines: int) -> Analysis:
    """Run every rule on ``text``; never raises (a failure becomes ``Analysis.problem``)."""
    if text.count("\n") + 1 > max_lines:
        return Analysis(problem=f"the file has more than {max_lines} lines (diagnostics.maxLines): not analysed")
    try:
        from server.optimizer.rules import find_all
    except ImportError as exc:
        return Analysis(problem=f"the AST rules are not available ({exc})")
    try:
        return Analysis(findings=list(find_all(text)))
    except SyntaxError as exc:  # SourceSyntaxError says where
        return Analysis(problem=exc.msg if isinstance(exc.msg, str) and exc.msg else str(exc))
    except (ValueError, MemoryError, RecursionError) as exc:
        return Analysis(problem=f"the file cannot be analysed ({exc})")
    except Exception as exc:  # a bug in one rule must not cost the user the server
        log.exception("the AST rules failed")
        return Analysis(problem=f"the AST rules failed ({type(exc).__name__}: {exc})")


_RULE_DOCS: dict[str, RuleDoc] = {}


def rule_docs() -> dict[str, RuleDoc]:
    """Every rule's documentation by code (empty while the rules are unavailable)."""
    if _RULE_DOCS:
        return _RULE_DOCS
    try:
        from server.optimizer.rules import ALL_RULES
    except ImportError:
        return {}
    docs = _RULE_DOCS
    for rule in ALL_RULES:
        description = getattr(rule, "docstring", None) or getattr(rule, "description", None) or ""
        docs[rule.code] = RuleDoc(rule.code, rule.name, rule.summary, inspect.cleandoc(description), _href(rule))
    return docs


def _href(rule: object) -> str:
    cls = type(rule)
    try:
        path = Path(inspect.getsourcefile(cls) or "")
        line = inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return ""
    return f"{path.resolve().as_uri()}#L{line}" if path.name else ""
