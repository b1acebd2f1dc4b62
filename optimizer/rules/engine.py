"""Running the rules: all findings of a source, applying edits, rewriting to a fixpoint, and the variants of it.

One fixpoint is one guess: a rule that fires everywhere and rarely pays (issue 14) drags a rewrite that another
rule made faster back into the noise. ``rewrite_variants`` therefore also proposes each rule family alone and the
fixpoint minus each rule that fired, for the verifier to pick the fastest.
"""

from __future__ import annotations

import ast
import logging
import re
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

from optimizer.rules.analysis import is_builtin
from optimizer.rules.base import BUILTIN_NAMES, Finding, Rule, Source, SourceSyntaxError, TextEdit, parse
from optimizer.syntax import compiles

log = logging.getLogger(__name__)
MAX_PASSES = 8
# An identifier that is not an attribute (``.sum`` is not the builtin ``sum``).
_BARE_NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*")


class OverlappingEditsError(ValueError):
    """Two edits change the same characters; apply them one at a time (re-run the rules in between)."""


def find_all(source: str, rules: Sequence[Rule] | None = None, tree: ast.Module | None = None) -> list[Finding]:
    """Every finding of ``rules`` (all of them by default) in ``source``, in order of position.

    ``tree`` is ``source`` already parsed, when the caller has it (the rules never change it).

    Raises ``SourceSyntaxError`` (a ``SyntaxError``) with a one-line message when the code does not parse.
    A rule that fails on some input is logged and skipped: the others still report.
    """
    from optimizer.rules import ALL_RULES

    parsed = Source(source, tree)
    parsed.index  # noqa: B018 -- one walk of the tree, shared by every rule (see SubtreeIndex)
    found: list[Finding] = []
    for rule in ALL_RULES if rules is None else rules:
        found.extend(_run_rule(rule, parsed))
    return sorted(found, key=lambda f: (f.start, f.end, f.code))


def _run_rule(rule: Rule, parsed: Source) -> list[Finding]:
    """The rule's findings; without edits where the program rebinds a builtin the rewrite would use."""
    try:
        findings = rule.find(parsed.tree, parsed)
    except Exception:
        log.exception("rule %s failed; its findings are skipped", rule.code)
        return []
    shadowed = [name for name in getattr(rule, "builtins", ()) if not is_builtin(parsed, name)]
    if shadowed:
        return [replace(f, edits=()) for f in findings]
    if rule.keeps_name_bindings:
        return findings
    return [replace(f, edits=()) if _names_a_shadowed_builtin(parsed, f) else f for f in findings]


def _names_a_shadowed_builtin(parsed: Source, finding: Finding) -> bool:
    """Whether the code an edit replaces or writes names a builtin that the program (or a star-import) rebinds.

    No rule may assume that ``sum``, ``input`` or ``sorted`` is the builtin where the module binds the name
    (a function ``def input()``, a parameter ``max``, ``from m import *``): a rewrite that reads, drops or
    adds a call to it would mean something else. Conservative: a mention in a string counts too.
    """
    for edit in finding.edits:
        for text in (edit.new_text, parsed.text[edit.start : edit.end]):
            for name in _BARE_NAME.findall(text):
                if name in BUILTIN_NAMES and not is_builtin(parsed, name):
                    return True
    return False


def apply_edits(source: str, edits: Sequence[TextEdit]) -> str:
    """``source`` with ``edits`` applied; edits at the same offset keep their given order.

    Raises ``OverlappingEditsError`` when two edits overlap, ``ValueError`` when one lies outside the text.
    """
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for edit in ordered:
        if not 0 <= edit.start <= edit.end <= len(source):
            raise ValueError(f"edit {edit.start}..{edit.end} lies outside the text (length {len(source)})")
    for before, after in pairwise(ordered):
        if after.start < before.end:
            raise OverlappingEditsError(f"edits {before.start}..{before.end} and {after.start}..{after.end} overlap")
    pieces, position = [], 0
    for edit in ordered:
        pieces.append(source[position : edit.start])
        pieces.append(edit.new_text)
        position = edit.end
    pieces.append(source[position:])
    return "".join(pieces)


@dataclass
class RewriteResult:
    """The rewritten code and the findings whose edits it contains (in the order they were applied)."""

    code: str
    applied: list[Finding] = field(default_factory=list)


def rewrite(source: str, rules: Sequence[Rule] | None = None, select: Collection[str] | None = None) -> RewriteResult:
    """Apply every applicable rewrite, re-analysing after each pass, until none applies (or a few passes).

    In a pass, findings are taken in rule order and, within a rule, in source order; a finding whose
    edits touch those of one taken before waits for the next pass. ``select`` limits the rules to those
    codes. The result always parses: a pass whose result would not compile is redone finding by finding,
    keeping only the findings that compile. Raises ``SourceSyntaxError`` when ``source`` does not parse.
    """
    from optimizer.rules import ALL_RULES

    active = [r for r in (ALL_RULES if rules is None else rules) if select is None or r.code in select]
    exclusive = {r.code for r in active if r.exclusive}
    parse(source)
    code, applied = source, []
    rejected: set[Finding] = set()  # findings whose edits did not compile, on the current code
    for _ in range(MAX_PASSES):
        findings = [f for f in _findings_by_rule(code, active) if f.edits and f not in rejected]
        chosen = _non_conflicting(findings, exclusive)
        if not chosen:
            break
        candidate = apply_edits(code, [e for f in chosen for e in f.edits])
        if not compiles(candidate):
            kept, candidate = _one_by_one(code, chosen)
            rejected.update(f for f in chosen if f not in kept)
            chosen = kept
        if chosen:
            code = candidate
            applied.extend(chosen)
            rejected.clear()
    return RewriteResult(code, applied)


def _findings_by_rule(code: str, rules: Sequence[Rule]) -> list[Finding]:
    parsed = Source(code)
    parsed.index  # noqa: B018 -- one walk of the tree, shared by every rule
    found: list[Finding] = []
    for rule in rules:
        found.extend(sorted(_run_rule(rule, parsed), key=lambda f: (f.start, f.end)))
    return found


def _non_conflicting(findings: list[Finding], exclusive: set[str]) -> list[Finding]:
    chosen: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for finding in findings:
        if finding.code in exclusive:
            if not chosen:
                return [finding]
            continue
        spans = [(e.start, e.end) for e in finding.edits]
        # Touching edits conflict too: an insertion right before another edit could end up on either side.
        if any(s <= t_end and t_start <= e for s, e in spans for t_start, t_end in taken):
            continue
        chosen.append(finding)
        taken.extend(spans)
    return chosen


def _one_by_one(code: str, findings: list[Finding]) -> tuple[list[Finding], str]:
    """Apply the findings of a pass one at a time, dropping any whose edits would not compile."""
    kept: list[Finding] = []
    edits: list[TextEdit] = []
    candidate = code
    for finding in findings:
        trial = apply_edits(code, [*edits, *finding.edits])
        if compiles(trial):
            kept.append(finding)
            edits.extend(finding.edits)
            candidate = trial
        else:
            log.warning("rule %s produced code that does not compile; skipped", finding.code)
    return kept, candidate


def rule_family(rule: Rule) -> str:
    """The family of a rule: the module it lives in (``collecting``, ``input_output``, ...)."""
    return type(rule).__module__.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class RewriteVariant:
    """One candidate of the rules: how it was made ("fixpoint", "family:<module>", "without:<code>") and the result."""

    label: str
    result: RewriteResult

    @property
    def rule_codes(self) -> tuple[str, ...]:
        """The codes of the rules whose edits the code contains, each once, in the order they were first applied."""
        return tuple(dict.fromkeys(f.code for f in self.result.applied))


# How many variants ``rewrite_variants`` returns at most (the fixpoint included): each is verified, i.e. timed
# against the original, so the cap bounds verification time as much as rewriting time.
MAX_RULE_VARIANTS = 6
# Seconds the variants after the fixpoint may take to compute together (the fixpoint itself is always computed).
VARIANTS_TIME_BUDGET_S = 2.0


def rewrite_variants(
    source: str,
    rules: Sequence[Rule] | None = None,
    max_variants: int = MAX_RULE_VARIANTS,
    time_budget_s: float = VARIANTS_TIME_BUDGET_S,
) -> list[RewriteVariant]:
    """The fixpoint of ``rewrite``, then the fixpoint minus each rule that fired, then each fired family alone.

    Only variants that change ``source`` and differ from every earlier one (by code) are kept; the list stops at
    ``max_variants`` or when ``time_budget_s`` has passed. Empty when no rule applies. The "minus" variants come
    before the families because the rules that fire everywhere and rarely pay are what a fixpoint most often
    needs to lose. Raises ``SourceSyntaxError`` when ``source`` does not parse.
    """
    from optimizer.rules import ALL_RULES

    active = list(ALL_RULES if rules is None else rules)
    deadline = time.monotonic() + time_budget_s
    fixpoint = RewriteVariant("fixpoint", rewrite(source, active))
    fired = fixpoint.rule_codes
    families = dict.fromkeys(rule_family(r) for r in active if r.code in fired)
    plans = [(f"without:{code}", [r for r in active if r.code != code]) for code in fired]
    plans += [(f"family:{family}", [r for r in active if rule_family(r) == family]) for family in families]
    variants: list[RewriteVariant] = []
    seen = {source}
    for variant in _computed(fixpoint, plans, source, deadline):
        if len(variants) >= max_variants:
            break
        if variant.result.code not in seen:
            seen.add(variant.result.code)
            variants.append(variant)
    return variants


def _computed(
    fixpoint: RewriteVariant, plans: list[tuple[str, list[Rule]]], source: str, deadline: float
) -> Iterator[RewriteVariant]:
    """The fixpoint, then each plan's rewrite, lazily, until the deadline passes."""
    yield fixpoint
    for label, rules in plans:
        if time.monotonic() > deadline:
            return
        yield RewriteVariant(label, rewrite(source, rules))


__all__ = [
    "MAX_RULE_VARIANTS",
    "OverlappingEditsError",
    "RewriteResult",
    "RewriteVariant",
    "SourceSyntaxError",
    "apply_edits",
    "find_all",
    "rewrite",
    "rewrite_variants",
    "rule_family",
]
