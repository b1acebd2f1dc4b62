"""The loop shapes the loop rules share: a simple ``for``, its target, and whether the target is read after.

The rules themselves live by what the loop computes: ``collecting`` (lists, dicts, strings built element
by element) and ``reductions`` (one value out of the elements: sum, count, min/max, any/all).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from optimizer.rules.analysis import (
    DEFINITIONS,
    FUNCTIONS,
    READING_METHODS,
    is_builtin,
    names_in,
    private_to_scope,
    scope_of,
    stored_names,
    walk_scope,
)
from optimizer.rules.base import Finding, Rule, Source, walk


@dataclass
class SimpleLoop:
    """``for target in iterable: [if condition:] statement`` with nothing else in it."""

    loop: ast.For
    target: ast.expr
    iterable: ast.expr
    condition: ast.expr | None
    statement: ast.stmt


def simple_loop(stmt: ast.stmt) -> SimpleLoop | None:
    if not isinstance(stmt, ast.For) or stmt.orelse or len(stmt.body) != 1 or stmt.type_comment:
        return None
    if not plain_target(stmt.target):
        return None
    inner = stmt.body[0]
    condition = None
    if isinstance(inner, ast.If) and not inner.orelse and len(inner.body) == 1:
        condition, inner = inner.test, inner.body[0]
    return SimpleLoop(stmt, stmt.target, stmt.iter, condition, inner)


def plain_target(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    return isinstance(target, ast.Tuple | ast.List) and all(plain_target(e) for e in target.elts)


def impure(node: ast.AST | None) -> bool:
    """Constructs a comprehension or generator cannot hold or would evaluate differently."""
    if node is None:
        return False
    return any(isinstance(n, ast.NamedExpr | ast.Yield | ast.YieldFrom | ast.Await | ast.Lambda) for n in walk(node))


def targets_unused_after(source: Source, loop: ast.stmt, names: set[str]) -> bool:
    """The loop's target names are not read after the loop (a comprehension would not leave them set).

    A read inside another loop, or comprehension, that binds the name again first does not count; a ``del``
    does (``del x`` after the loop fails once the loop no longer binds ``x``).
    """
    scope = scope_of(source, loop)
    for node in walk_scope(scope):
        if not (isinstance(node, ast.Name) and node.id in names and isinstance(node.ctx, ast.Load | ast.Del)):
            continue
        if any(a is loop for a in source.ancestors(node)):
            continue
        if _rebound_by_enclosing_loop(source, node, scope):
            continue
        return False
    if isinstance(scope, DEFINITIONS):
        return not any(isinstance(n, ast.Global | ast.Nonlocal) and set(n.names) & names for n in walk(scope))
    # At module level a function may read the name as a global.
    return not any(names & names_in(f) for f in walk(scope) if isinstance(f, DEFINITIONS))


def built_unseen(source: Source, loop: ast.stmt, name: str) -> bool:
    """Nothing the loop calls can see ``name`` while the loop builds it (the rewrite binds it only at the end).

    A function-local name no nested function mentions is invisible to any call; a global (module level,
    ``global``) or a closure variable is visible to every function the loop calls, so then the loop may call
    only builtins, which do not read the program's variables, the methods of ``name`` itself and the reading
    methods of strings and containers (``line.split()``).
    """
    scope = scope_of(source, loop)
    if isinstance(scope, FUNCTIONS) and private_to_scope(source, scope, name):
        return True
    for call in walk(loop):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        if isinstance(func, ast.Name) and is_builtin(source, func.id) and func.id not in NAMESPACE_READERS:
            continue
        if isinstance(func, ast.Attribute) and (is_name(func.value, name) or func.attr in READING_METHODS):
            continue
        return False
    return True


# Builtins that read the caller's namespaces (or run code that may).
NAMESPACE_READERS = frozenset({"eval", "exec", "globals", "locals", "vars", "dir", "__import__"})


def _rebound_by_enclosing_loop(source: Source, name: ast.Name, scope: ast.AST) -> bool:
    for ancestor in source.ancestors(name):
        if ancestor is scope:
            return False
        if (
            isinstance(ancestor, ast.For)
            and name.id in stored_names(ancestor.target)
            and any(a is ancestor for a in source.ancestors(name))
            and not _in_iter(source, name, ancestor)
        ):
            return True
        if isinstance(ancestor, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) and any(
            name.id in stored_names(g.target) for g in ancestor.generators
        ):
            return True
    return False


def _in_iter(source: Source, name: ast.Name, loop: ast.For) -> bool:
    return any(n is name for n in walk(loop.iter))


def loop_names(loop: SimpleLoop) -> set[str]:
    return stored_names(loop.target)


def is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def under_handler(source: Source, stmt: ast.stmt) -> bool:
    """Whether a ``try`` or ``with`` of ``stmt``'s own scope encloses it (the code may stop half-way and go on).

    A loop rewritten into one expression binds its result only at the end: under ``try`` or a context
    manager that may suppress the error (``with suppress(StopIteration):``), the code after would see the
    name unbound or at its initial value instead of the partial result the loop left.
    """
    scope = scope_of(source, stmt)
    for ancestor in source.ancestors(stmt):
        if ancestor is scope:
            return False
        if isinstance(ancestor, ast.Try | ast.TryStar | ast.With | ast.AsyncWith):
            return True
    return False


class LoopRule(Rule):
    """Shared walk: every ``for`` statement of the module, with its scope, that no ``try``/``with`` encloses.

    Each rule rewrites the loop into one expression, which leaves nothing behind when an error stops it
    half-way (see ``under_handler``).
    """

    module_scope_only = False

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        findings = []
        for node in walk(tree):
            if isinstance(node, ast.For):
                scope = scope_of(source, node)
                if (
                    isinstance(scope, ast.ClassDef)
                    or (self.module_scope_only and scope is not tree)
                    or under_handler(source, node)
                ):
                    continue
                found = self.check(source, node)
                if found:
                    findings.append(found)
        return findings

    def check(self, source: Source, loop: ast.For) -> Finding | None:
        raise NotImplementedError
