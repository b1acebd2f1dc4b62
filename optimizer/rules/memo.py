"""Recursion that recomputes the same calls: memoise pure functions in a dict."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import (
    COMPREHENSIONS,
    LOOPS,
    MUTATING_METHODS,
    READING_METHODS,
    is_builtin,
    walk_scope,
)
from optimizer.rules.base import Finding, Rule, Source, walk
from optimizer.rules.edits import insert_before, module_import, replace
from optimizer.rules.kinds import HASHABLE, Kinds

PURE_BUILTINS = frozenset(
    {
        "abs",
        "all",
        "any",
        "bin",
        "bool",
        "chr",
        "divmod",
        "enumerate",
        "filter",
        "float",
        "hash",
        "hex",
        "int",
        "isinstance",
        "len",
        "map",
        "max",
        "min",
        "oct",
        "ord",
        "pow",
        "range",
        "reversed",
        "round",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
        "list",
        "set",
        "frozenset",
        "dict",
    }
)
MUTABLE_DISPLAYS = (ast.List, ast.ListComp, ast.Dict, ast.DictComp, ast.Set, ast.SetComp)


class MemoizeRecursion(Rule):
    """A recursive function that calls itself more than once per call (or in a loop) and is pure.

    Why faster: without a cache, branching recursion such as ``f(n-1) + f(n-2)`` recomputes the same
    arguments exponentially often; a cache computes each distinct call once. The cache is a dict checked
    at the top of the function and filled by each ``return`` (``memo.setdefault(key, value)``) rather
    than ``@functools.lru_cache``: the decorator's C wrapper adds a C stack frame and a recursion-limit
    unit per level, so a recursion 600 deep (default limit) or 20,000 deep (raised limit) that worked
    would fail with it; the dict keeps the recursion exactly as deep as before.
    When unsafe: the result must depend only on the arguments: the function may not write globals or
    its arguments, print, read input, or read module variables that change after it is defined (every
    name it reads from outside must be a builtin, a function, or a variable bound once and never
    mutated); it may not rebind its parameters (the key would change); its results must not be mutable
    objects the callers could change; its arguments must be hashable (numbers, strings, tuples).
    """

    code = "PERF120"
    name = "memoize-recursion"
    summary = "Cache a pure recursive function's results so each distinct call is computed once."
    tags = ("algorithms", "memoization")
    safety = "unsafe"
    safety_reason = "cached results are shared between calls: purity is inferred, effects in callees are not seen"

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        findings = []
        for node in walk(tree):
            if isinstance(node, ast.FunctionDef) and not isinstance(source.parent(node), ast.ClassDef):
                found = self._check(source, node)
                if found:
                    findings.append(found)
        return findings

    def _check(self, source: Source, func: ast.FunctionDef) -> Finding | None:
        args = func.args
        if func.decorator_list or args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            return None
        self_calls = [
            n
            for n in walk_scope(func)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == func.name
        ]
        repeated = len(self_calls) >= 2 or any(
            any(isinstance(a, LOOPS + COMPREHENSIONS) for a in _ancestors_within(source, call, func))
            for call in self_calls
        )
        if not self_calls or not repeated:
            return None
        params = {a.arg for a in args.args}
        if not self._pure(source, func, params, set()) or not self._results_immutable(source, func):
            return None
        if not self._arguments_hashable(source, func):
            return None
        if any(isinstance(n, ast.Name) and n.id in params and not isinstance(n.ctx, ast.Load) for n in walk(func)):
            return None  # an argument rebound in the body would change the key before the result is stored
        body = func.body
        first = body[1] if _has_docstring(func) and len(body) > 1 else body[0]
        names = [a.arg for a in args.args]
        if not names or not source.starts_line(first):
            return None
        memo = source.fresh_name(f"{func.name}_memo")
        key = names[0] if len(names) == 1 else f"({', '.join(names)})"
        edits = [
            insert_before(source, func, [f"{memo} = {{}}"]),
            insert_before(source, first, [f"if {key} in {memo}:", f"{source.unit_of(func)}return {memo}[{key}]"]),
        ]
        for node in walk_scope(func):
            if isinstance(node, ast.Return) and node.value is not None:
                edits.append(replace(source, node.value, f"{memo}.setdefault({key}, {source.segment(node.value)})"))
        if any(e is None for e in edits):
            return None
        return self.header_finding(
            source,
            func,
            f"{func.name}() calls itself {len(self_calls)} times per call and depends "
            "only on its arguments: caching its results avoids recomputing them",
            edits,
        )

    def _pure(self, source: Source, func: ast.FunctionDef, params: set[str], seen: set[str]) -> bool:
        """The function's result depends only on its arguments and it changes nothing outside itself."""
        seen = seen | {func.name}
        local = set(params)
        for node in walk(func):
            if node is func:
                continue
            if isinstance(
                node,
                ast.Global
                | ast.Nonlocal
                | ast.Yield
                | ast.YieldFrom
                | ast.Await
                | ast.Lambda
                | ast.FunctionDef
                | ast.AsyncFunctionDef
                | ast.ClassDef
                | ast.Try
                | ast.With,
            ):
                return False
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                local.add(node.id)
        for node in walk(func):
            if isinstance(node, ast.Subscript | ast.Attribute) and not isinstance(node.ctx, ast.Load):
                return False  # item or attribute assignment: changes an object (an argument or a global)
            if isinstance(node, ast.Call) and not self._pure_call(source, node, func, local, params, seen):
                return False
            if (
                isinstance(node, ast.Name)
                and isinstance(node.ctx, ast.Load)
                and node.id not in local
                and not self._stable_global(source, node.id, func, seen)
            ):
                return False
        for name in params:
            for node in walk(func):
                if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
                    parent = source.parent(node)
                    if isinstance(parent, ast.AugAssign):
                        return False  # += on a list argument would change the caller's list
        return True

    def _pure_call(
        self, source: Source, call: ast.Call, func: ast.FunctionDef, local: set[str], params: set[str], seen: set[str]
    ) -> bool:
        callee = call.func
        if isinstance(callee, ast.Name):
            if callee.id == func.name or callee.id in seen:
                return True
            if callee.id in PURE_BUILTINS and is_builtin(source, callee.id):
                return True
            definition = _module_function(source, callee.id)
            return definition is not None and self._pure(
                source, definition, {a.arg for a in definition.args.args}, seen
            )
        if isinstance(callee, ast.Attribute):
            if isinstance(callee.value, ast.Name) and callee.value.id == module_import(source, "math"):
                return True
            if callee.attr in MUTATING_METHODS:
                root = callee.value
                while isinstance(root, ast.Subscript | ast.Attribute):
                    root = root.value
                # Mutating a list the function built itself is fine; an argument or a global is not.
                return isinstance(root, ast.Name) and root.id in local and root.id not in params
            return callee.attr in READING_METHODS
        return False

    def _stable_global(self, source: Source, name: str, func: ast.FunctionDef, seen: set[str]) -> bool:
        """A name read from outside: a builtin, a function, or a module variable bound once, never changed."""
        if name == func.name or name in seen:
            return True
        if is_builtin(source, name):
            return True
        if _module_function(source, name) is not None:
            return True
        if name == module_import(source, "math"):
            return True
        if not isinstance(source.parent(func), ast.Module):
            return False  # a closure variable: its enclosing function may change it between calls
        stores = [
            n for n in walk(source.tree) if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)
        ]
        if len(stores) != 1 or any(isinstance(n, ast.Global) and name in n.names for n in walk(source.tree)):
            return False
        store = stores[0]
        holder = source.parent(store)
        if not (isinstance(holder, ast.Assign) and holder.targets == [store]) or not isinstance(
            source.parent(holder), ast.Module
        ):
            return False
        for node in walk(source.tree):
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
                parent = source.parent(node)
                if isinstance(parent, ast.Attribute) and parent.attr in MUTATING_METHODS:
                    return False
                if isinstance(parent, ast.Subscript) and not isinstance(parent.ctx, ast.Load):
                    return False
                if isinstance(parent, ast.Subscript):
                    outer = source.parent(parent)
                    if isinstance(outer, ast.Subscript | ast.Attribute) and not isinstance(outer.ctx, ast.Load):
                        return False
                    if isinstance(outer, ast.Attribute) and outer.attr in MUTATING_METHODS:
                        return False
        return True

    def _results_immutable(self, source: Source, func: ast.FunctionDef) -> bool:
        """No ``return`` can hand out a list, dict or set (callers could change the cached object)."""
        kinds = Kinds(source, func)
        for node in walk_scope(func):
            if isinstance(node, ast.Return) and node.value is not None:
                for value in _result_values(node.value):
                    kind = kinds.of(value)
                    if isinstance(value, MUTABLE_DISPLAYS) or (kind and kind.startswith("list:")):
                        return False
        return True

    def _arguments_hashable(self, source: Source, func: ast.FunctionDef) -> bool:
        """Every argument the function is called with is hashable by inference (unknown is not enough).

        The parameters' kinds come from the calls outside the function; the recursive calls' arguments
        are then inferred from those.
        """
        params = [a.arg for a in func.args.args]
        outside: list[ast.Call] = []
        inside: list[ast.Call] = []
        for node in walk(source.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == func.name:
                if node.keywords or any(isinstance(a, ast.Starred) for a in node.args) or len(node.args) != len(params):
                    return False
                (inside if any(a is func for a in source.ancestors(node)) else outside).append(node)
            elif isinstance(node, ast.Name) and node.id == func.name and isinstance(node.ctx, ast.Load):
                parent = source.parent(node)
                if not (isinstance(parent, ast.Call) and parent.func is node):
                    return False  # passed around as a value: calls we cannot see
        if not outside:
            return False
        assumed: dict[str, str] = {}
        for i, param in enumerate(params):
            found = {Kinds(source, _scope(source, call)).of(call.args[i]) for call in outside}
            if len(found) != 1 or not found <= HASHABLE:
                return False
            assumed[param] = found.pop()
        kinds = Kinds(source, func, assumed)
        return all(kinds.of(arg) in HASHABLE for call in inside for arg in call.args)


def _result_values(expr: ast.expr) -> list[ast.expr]:
    """The sub-expressions whose value can become the result: branches, operands of + and *."""
    if isinstance(expr, ast.IfExp):
        return [*_result_values(expr.body), *_result_values(expr.orelse)]
    if isinstance(expr, ast.BoolOp):
        return [v for value in expr.values for v in _result_values(value)]
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add | ast.Mult):
        return [expr, *_result_values(expr.left), *_result_values(expr.right)]
    return [expr]


def _has_docstring(func: ast.FunctionDef) -> bool:
    first = func.body[0]
    return isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)


def _scope(source: Source, node: ast.AST) -> ast.AST:
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.Module):
            return ancestor
    return source.tree


def _ancestors_within(source: Source, node: ast.AST, stop: ast.AST):
    for ancestor in source.ancestors(node):
        if ancestor is stop:
            return
        yield ancestor


def _module_function(source: Source, name: str) -> ast.FunctionDef | None:
    """The module-level function ``name`` if it is defined once and never rebound."""
    found = [s for s in source.tree.body if isinstance(s, ast.FunctionDef) and s.name == name]
    rebound = any(
        isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load) for n in walk(source.tree)
    )
    return found[0] if len(found) == 1 and not rebound else None
