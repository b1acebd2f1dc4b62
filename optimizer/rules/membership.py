"""Membership tests on a list inside a loop, answered by a set built once."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import (
    COMPREHENSIONS,
    LOOPS,
    Use,
    classify_use,
    enclosing_statement,
    private_to_scope,
    scope_names,
    scope_of,
)
from optimizer.rules.base import Finding, Rule, Source, walk
from optimizer.rules.edits import insert_before, replace
from optimizer.rules.kinds import HASHABLE, Kinds


class ListMembershipToSet(Rule):
    """``x in some_list`` tested in a loop while the list does not change.

    Why faster: ``in`` on a list compares element by element (O(n) per test); a set built once answers
    in O(1), so a loop of m tests drops from O(m·n) to O(m + n). When unsafe: the list must not change
    while the set stands in for it (no mutation or rebinding inside the loop, no nested function that
    could change it, and no escape anywhere in its scope: an alias such as ``add = xs.append``, a call
    that receives it, a ``return``), its elements must be provably hashable (by inference: numbers,
    strings, tuples of those) and so should the values tested, which the rule cannot always see (an
    unhashable one makes the set raise ``TypeError``); a list of strings tested with ``in`` is still a list.
    """

    code = "PERF109"
    name = "list-membership-to-set"
    summary = "Test membership in a set built once instead of a list inside a loop."
    tags = ("data-structures", "set-membership")
    safety = "unsafe"
    safety_reason = "a tested value that is not hashable raises TypeError on a set where the list answered False"
    builtins = ("set",)

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        groups: dict[tuple[int, str], list[ast.Compare]] = {}
        anchors: dict[tuple[int, str], ast.stmt] = {}
        for node in walk(tree):
            if not (
                isinstance(node, ast.Compare)
                and len(node.ops) == 1
                and isinstance(node.ops[0], ast.In | ast.NotIn)
                and isinstance(node.comparators[0], ast.Name)
            ):
                continue
            anchor = _outermost_repeat_statement(source, node)
            if anchor is None:
                continue
            key = (id(anchor), node.comparators[0].id)
            groups.setdefault(key, []).append(node)
            anchors[key] = anchor
        findings = []
        for key, compares in groups.items():
            found = self._check(source, anchors[key], key[1], compares)
            if found:
                findings.append(found)
        return findings

    def _check(self, source: Source, anchor: ast.stmt, name: str, compares: list[ast.Compare]) -> Finding | None:
        scope = scope_of(source, anchor)
        if isinstance(scope, ast.ClassDef) or not private_to_scope(source, scope, name):
            return None
        kinds = Kinds(source, scope)
        kind = kinds.name(name)
        if not (kind and kind.startswith("list:") and kind[5:] in HASHABLE):
            return None
        for compare in compares:
            tested = kinds.of(compare.left)
            if isinstance(compare.left, ast.List | ast.ListComp | ast.Dict | ast.Set) or (
                tested is not None and tested not in HASHABLE
            ):
                return None
        if not any(
            isinstance(n, ast.Name)
            and n.id == name
            and not isinstance(n.ctx, ast.Load)
            and source.start(n) < source.stmt_start(anchor)
            for n in scope_names(source, scope, name)
        ):
            return None  # not bound before the loop
        for use in scope_names(source, scope, name):
            inside = any(a is anchor for a in source.ancestors(use))
            if inside and any(use is c.comparators[0] for c in compares):
                continue
            kind_of_use = classify_use(source, use)
            # An escape anywhere (an alias of the list or of its ``append``, a call that keeps it, a return)
            # can change it during the loop, or put items into it that the element kinds do not show.
            if kind_of_use is Use.ESCAPE or (inside and kind_of_use is not Use.READ):
                return None
        set_name = source.fresh_name(f"{name}_set")
        before = insert_before(source, anchor, [f"{set_name} = set({name})"])
        if before is None:
            return None
        edits = [before, *(replace(source, c.comparators[0], set_name) for c in compares)]
        return self.finding(
            source,
            compares[0],
            f"`in {name}` scans the list on every test in this loop: a set built once answers in constant time",
            edits,
        )


def _outermost_repeat_statement(source: Source, node: ast.AST) -> ast.stmt | None:
    """The statement holding the outermost loop (or comprehension) around ``node`` in its scope."""
    scope = scope_of(source, node)
    outermost = None
    for ancestor in source.ancestors(node):
        if ancestor is scope:
            break
        if isinstance(ancestor, (*LOOPS, *COMPREHENSIONS)):
            outermost = ancestor
    if outermost is None:
        return None
    return outermost if isinstance(outermost, ast.stmt) else enclosing_statement(source, outermost)
