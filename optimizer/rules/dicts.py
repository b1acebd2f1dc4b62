"""Dicts used well: one lookup to count, membership tested on the dict rather than its keys view."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import (
    is_builtin,
    is_local_name,
    scope_names,
    scope_of,
)
from optimizer.rules.base import Finding, Rule, Source, walk
from optimizer.rules.edits import imported_name, module_import, replace
from optimizer.rules.kinds import Kinds

DICT_FACTORIES = frozenset({"dict", "defaultdict", "Counter", "OrderedDict"})


def is_dict_like(source: Source, scope: ast.AST, name: str) -> bool:
    """Every binding of ``name`` in ``scope`` is a dict display, comprehension or dict-like constructor."""
    stores = [n for n in scope_names(source, scope, name) if not isinstance(n.ctx, ast.Load)]
    if not stores or not is_local_name(scope, name):
        return False
    for store in stores:
        parent = source.parent(store)
        if not (isinstance(parent, ast.Assign) and store in parent.targets):
            return False
        value = parent.value
        if isinstance(value, ast.Dict | ast.DictComp):
            continue
        if isinstance(value, ast.Call) and _makes_a_dict(source, value.func):
            continue
        return False
    return True


def _makes_a_dict(source: Source, func: ast.expr) -> bool:
    """``func`` is the builtin ``dict`` or one of ``collections``' dicts (not a class of the program's own)."""
    if isinstance(func, ast.Name):
        if func.id == "dict":
            return is_builtin(source, "dict")
        return func.id in DICT_FACTORIES and imported_name(source, "collections", func.id) == func.id
    return (
        isinstance(func, ast.Attribute)
        and func.attr in DICT_FACTORIES
        and isinstance(func.value, ast.Name)
        and func.value.id == module_import(source, "collections")
    )


def _cheap_key(node: ast.AST) -> bool:
    """An expression evaluated twice gives the same value, cheaply: names, constants, their arithmetic."""
    return all(
        isinstance(
            n,
            ast.Name
            | ast.Constant
            | ast.Load
            | ast.Tuple
            | ast.BinOp
            | ast.UnaryOp
            | ast.operator
            | ast.unaryop
            | ast.Subscript
            | ast.Attribute,
        )
        for n in walk(node)
    )


class DictGetCounting(Rule):
    """``if k in d: d[k] += v else: d[k] = v`` (or ``try: d[k] += v except KeyError: d[k] = v``).

    Why faster: the membership test and the update look the key up three times, and a raised
    ``KeyError`` is expensive; ``d[k] = d.get(k, 0) + v`` looks it up twice with no branch (~1.5x).
    When unsafe: ``d`` must be a dict (every binding a dict display or dict-like constructor: on a list,
    ``in`` tests values while ``[]`` indexes), the key an expression without calls (it is evaluated
    twice), and ``v`` an int (``0 + v`` is ``v`` only for ints: ``0 + True`` is ``1``, ``0 + -0.0`` is ``0.0``).
    """

    code = "PERF115"
    name = "dict-get-counting"
    summary = "Update a count with d.get(k, 0) instead of a membership test or KeyError."
    tags = ("data-structures", "dict-lookup", "counter")
    safety = "safe"
    safety_reason = "every binding a dict display or constructor and an int value: the update is the same"

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        findings = []
        for node in walk(tree):
            parts = _if_counting(node) or _try_counting(node)
            if not parts:
                continue
            d, key, value = parts
            scope = scope_of(source, node)
            kinds = Kinds(source, scope)
            if (
                not is_dict_like(source, scope, d)
                or not _cheap_key(key)
                or any(isinstance(n, ast.Call) for n in walk(key))
                or kinds.of(value) != "int"
            ):
                continue
            text = f"{d}[{source.segment(key)}] = {d}.get({source.segment(key)}, 0) + {source.segment(value)}"
            if not source.owns_lines(node):
                continue
            findings.append(
                self.finding(
                    source,
                    node,
                    f"`{d}[{source.segment(key)}]` is looked up three times to "
                    "count: d.get(k, 0) does it in one expression",
                    [replace(source, node, text)],
                )
            )
        return findings


def _subscript(node: ast.AST) -> tuple[str, ast.expr] | None:
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and not isinstance(node.slice, ast.Slice):
        return node.value.id, node.slice
    return None


def _same(a: ast.AST, b: ast.AST) -> bool:
    return ast.dump(a) == ast.dump(b)


def _update_pair(added: ast.stmt, assigned: ast.stmt) -> tuple[str, ast.expr, ast.expr] | None:
    """``d[k] += v`` and ``d[k] = v`` on the same dict, key and value."""
    if not (
        isinstance(added, ast.AugAssign)
        and isinstance(added.op, ast.Add)
        and isinstance(assigned, ast.Assign)
        and len(assigned.targets) == 1
    ):
        return None
    first, second = _subscript(added.target), _subscript(assigned.targets[0])
    if (
        not first
        or not second
        or first[0] != second[0]
        or not _same(first[1], second[1])
        or not _same(added.value, assigned.value)
    ):
        return None
    return first[0], first[1], added.value


def _if_counting(node: ast.AST) -> tuple[str, ast.expr, ast.expr] | None:
    if not (isinstance(node, ast.If) and len(node.body) == 1 and len(node.orelse) == 1):
        return None
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.comparators[0], ast.Name)):
        return None
    if isinstance(test.ops[0], ast.In):
        pair = _update_pair(node.body[0], node.orelse[0])
    elif isinstance(test.ops[0], ast.NotIn):
        pair = _update_pair(node.orelse[0], node.body[0])
    else:
        return None
    if pair is None or pair[0] != test.comparators[0].id or not _same(pair[1], test.left):
        return None
    return pair


def _try_counting(node: ast.AST) -> tuple[str, ast.expr, ast.expr] | None:
    if not (
        isinstance(node, ast.Try)
        and len(node.body) == 1
        and len(node.handlers) == 1
        and not node.orelse
        and not node.finalbody
    ):
        return None
    handler = node.handlers[0]
    if not (
        isinstance(handler.type, ast.Name)
        and handler.type.id == "KeyError"
        and handler.name is None
        and len(handler.body) == 1
    ):
        return None
    return _update_pair(node.body[0], handler.body[0])


class DictKeysMembership(Rule):
    """``k in d.keys()``: testing membership through the keys view.

    Why faster: ``k in d`` is the same hash lookup without creating a view object and calling a method
    (~1.6x for the test). When unsafe: only for dicts: the receiver must be bound to a dict display or
    dict-like constructor in its scope; otherwise the finding is reported without an edit.
    """

    code = "PERF117"
    name = "dict-keys-membership"
    summary = "Test `k in d` instead of `k in d.keys()`."
    tags = ("data-structures", "dict-lookup")
    safety = "safe"
    safety_reason = "on a dict, `k in d` and `k in d.keys()` are the same hash lookup"

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        findings = []
        for node in walk(tree):
            if not (
                isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In | ast.NotIn)
            ):
                continue
            keys = node.comparators[0]
            if not (
                isinstance(keys, ast.Call)
                and isinstance(keys.func, ast.Attribute)
                and keys.func.attr == "keys"
                and not keys.args
                and not keys.keywords
            ):
                continue
            receiver = keys.func.value
            dict_like = isinstance(receiver, ast.Name) and is_dict_like(source, scope_of(source, node), receiver.id)
            edits = [replace(source, keys, source.segment(receiver))] if dict_like else []
            findings.append(
                self.finding(
                    source,
                    keys,
                    f"`in {source.segment(keys)}` builds a keys view to test "
                    f"membership: `in {source.segment(receiver)}` is the same "
                    "lookup",
                    edits,
                )
            )
        return findings
