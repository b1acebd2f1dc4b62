"""Performance findings of the AST rules for one document version, and what each rule's docs say.

The LSP layer turns ``Analysis.findings`` into diagnostics (Information severity, source ``pyperf``, the
rule's code and a link to its docs) and each finding with edits into a quick fix applying that finding alone,
offered as ``fix_offer`` says: preferred only when verified faster, never when verification saw it change the
output, and without verification only for rules whose rewrite is safe by construction.
"""

from __future__ import annotations

import ast
import inspect
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from server.jobs import JobOutcome

log = logging.getLogger(__name__)
SOURCE = "pyperf"


@dataclass(frozen=True)
class RuleDoc:
    code: str
    name: str
    summary: str
    description: str  # why the rewrite is faster and when it is unsafe
    href: str  # where the rule is documented: its module, at the rule's class
    safety: str = "unsafe"  # "safe": behaviour-preserving by construction under the rule's precondition
    safety_reason: str = ""


@dataclass(frozen=True)
class FixOffer:
    """How a rule's quick fix is offered: its title, whether its edit is offered at all, and as preferred."""

    title: str
    offered: bool
    preferred: bool = False


def fix_offer(doc: RuleDoc, outcome: JobOutcome | None) -> FixOffer:
    """The offer for ``doc``'s fix after verification (``outcome``; None: not verified, a client that cannot
    resolve an edit). Only a verified speedup is preferred; a fix that verification could not run on is offered
    as "(unverified)" for a safe rule and not at all for an unsafe one; one whose output differed never is."""
    from server.jobs import evidence

    head = f"{doc.code}: {doc.summary.rstrip('.')}"
    status = outcome.status if outcome is not None else "unverified"
    if status == "faster" and outcome is not None:
        return FixOffer(f"{head} — verified {outcome.speedup:.1f}x faster on {evidence(outcome)}", True, True)
    if status == "not_faster" and outcome is not None and set(outcome.verdicts) == {"not_faster"}:
        return FixOffer(f"{head} — verified same output, not measurably faster", True)
    if status == "not_faster":  # wrong or invalid: the rewrite changed what the program does
        reason = outcome.reason if outcome is not None else ""
        return FixOffer(f"{head}: not offered, verification found a different result ({reason})", False)
    # unverified, or verification could not finish (timeout, failure): as good as no verification
    if doc.safety == "safe":
        return FixOffer(f"{head} (unverified)", True)
    why = outcome.reason if outcome is not None and outcome.reason else "no verification"
    return FixOffer(f"{head}: not offered, unverified ({why}) and unsafe: {doc.safety_reason}", False)


@dataclass
class Analysis:
    """The findings for one version of a document, or why there are none."""

    findings: list = field(default_factory=list)  # optimizer.rules.Finding
    problem: str | None = None  # the file does not parse / is too long / the rules are unavailable


def too_long(text: str, max_lines: int | None) -> str | None:
    """Why ``text`` is neither parsed nor analysed (a generated or vendored file, not code being tuned); None
    when it is short enough."""
    if max_lines is not None and text.count("\n") + 1 > max_lines:
        return f"the file has more than {max_lines} lines (diagnostics.maxLines)"
    return None


def analyse(text: str, max_lines: int, tree: ast.Module | None = None) -> Analysis:
    """Run every rule on ``text`` (``tree``: its syntax tree, when already parsed); never raises.

    A failure becomes ``Analysis.problem``.
    """
    problem = too_long(text, max_lines)
    if problem is not None:
        return Analysis(problem=f"{problem}: not analysed")
    try:
        from optimizer.rules import find_all
    except ImportError as exc:
        return Analysis(problem=f"the AST rules are not available ({exc})")
    try:
        return Analysis(findings=list(find_all(text, tree=tree)))
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
        from optimizer.rules import ALL_RULES
    except ImportError:
        return {}
    docs = _RULE_DOCS
    for rule in ALL_RULES:
        description = getattr(rule, "docstring", None) or getattr(rule, "description", None) or ""
        docs[rule.code] = RuleDoc(rule.code, rule.name, rule.summary, inspect.cleandoc(description), _href(rule),
                                  getattr(rule, "safety", "unsafe"), getattr(rule, "safety_reason", ""))
    return docs


def _href(rule: object) -> str:
    cls = type(rule)
    try:
        path = Path(inspect.getsourcefile(cls) or "")
        text = path.read_text(encoding="utf-8") if path.name else ""
    except (OSError, TypeError):
        return ""
    # A search for the class statement: inspect.getsourcelines re-tokenizes the module for every rule,
    # which made the first diagnostics of a session ~200 ms slower.
    match = re.search(rf"^class {re.escape(cls.__name__)}\b", text, re.MULTILINE)
    if match is None:
        return path.resolve().as_uri() if path.name else ""
    return f"{path.resolve().as_uri()}#L{text.count(chr(10), 0, match.start()) + 1}"
