"""Facts about names the rules' preconditions share: scopes, bindings, how each use treats a value.

Everything here errs on the side of "unknown": a use this module cannot classify counts as an escape
(the value may be mutated or aliased), an expression whose type it cannot infer has no kind, so that a
rule depending on the answer does not fire.
"""

from __future__ import annotations

import ast
import keyword
from enum import Enum

from optimizer.rules.base import BUILTIN_NAMES, Source, child_nodes, memoized_walk, walk

ScopeNode = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
SCOPES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
DEFINITIONS = (*FUNCTIONS, ast.ClassDef)  # everything that opens a scope of its own (comprehensions aside)
LOOPS = (ast.For, ast.AsyncFor, ast.While)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

# Methods that change the object they are called on (lists, dicts, sets, deques, arrays).
MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "pop",
        "remove",
        "clear",
        "sort",
        "reverse",
        "add",
        "discard",
        "update",
        "setdefault",
        "popitem",
        "appendleft",
        "popleft",
        "extendleft",
        "rotate",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
        "fill",
        "resize",
        "itemset",
        "put",
    }
)
# Methods of lists, tuples, strings, dicts and sets that only read the object.
READING_METHODS = frozenset(
    {
        "count",
        "index",
        "copy",
        "get",
        "keys",
        "values",
        "items",
        "startswith",
        "endswith",
        "split",
        "rsplit",
        "strip",
        "lstrip",
        "rstrip",
        "find",
        "rfind",
        "join",
        "format",
        "lower",
        "upper",
        "isdigit",
        "isalpha",
        "replace",
        "union",
        "intersection",
        "difference",
        "issubset",
        "issuperset",
        "isdisjoint",
        "bit_length",
        "symmetric_difference",
        "__contains__",
        "__len__",
        "splitlines",
        "partition",
        "zfill",
    }
)
# Builtins that do not mutate their arguments (nor keep them: the result is a new object or a scalar).
READING_BUILTINS = frozenset(
    {
        "len",
        "sum",
        "min",
        "max",
        "sorted",
        "abs",
        "str",
        "int",
        "float",
        "bool",
        "print",
        "any",
        "all",
        "set",
        "frozenset",
        "tuple",
        "list",
        "enumerate",
        "zip",
        "map",
        "filter",
        "range",
        "reversed",
        "repr",
        "hash",
        "divmod",
        "round",
        "ord",
        "chr",
        "isinstance",
        "dict",
        "bin",
        "hex",
        "oct",
        "pow",
        "format",
        "id",
        "type",
    }
)


def scope_of(source: Source, node: ast.AST) -> ScopeNode:
    """The function, lambda, class or module whose namespace ``node``'s names live in.

    Comprehensions are treated as part of the enclosing scope (their targets are checked by the rules).
    """
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, SCOPES):
            return ancestor
    return source.tree


def walk_scope(scope: ast.AST) -> list[ast.AST]:
    """Nodes of ``scope`` itself: nested functions, lambdas and classes are not entered (their names are)."""
    return memoized_walk("scope", scope, _scope_nodes)


def _scope_nodes(scope: ast.AST) -> list[ast.AST]:
    found: list[ast.AST] = []
    stack = list(child_nodes(scope))
    if isinstance(scope, FUNCTIONS):
        # Defaults and decorators are evaluated in the enclosing scope.
        stack = list(scope.body) if isinstance(scope.body, list) else [scope.body]
    elif isinstance(scope, ast.ClassDef):
        stack = list(scope.body)
    while stack:
        node = stack.pop()
        found.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            stack.extend(node.decorator_list)
            stack.extend(node.args.defaults)
            stack.extend(d for d in node.args.kw_defaults if d is not None)
        elif isinstance(node, ast.Lambda):
            stack.extend(node.args.defaults)
        elif isinstance(node, ast.ClassDef):
            stack.extend(node.decorator_list)
            stack.extend(node.bases)
        else:
            stack.extend(child_nodes(node))
    return found


def names_in(node: ast.AST) -> set[str]:
    """Every name mentioned under ``node`` in any scope and any context (a conservative "is it used")."""
    found: set[str] = set()
    for sub in walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(sub.name)
        elif isinstance(sub, ast.arg):
            found.add(sub.arg)
        elif isinstance(sub, ast.alias):
            found.add((sub.asname or sub.name).split(".")[0])
        elif isinstance(sub, ast.Global | ast.Nonlocal):
            found.update(sub.names)
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            found.add(sub.name)
    return found


def stored_names(node: ast.AST) -> set[str]:
    """Names (re)bound under ``node``: assignment targets, deletions, definitions, imports, handlers."""
    found: set[str] = set()
    for sub in walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
            found.add(sub.id)
        elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(sub.name)
        elif isinstance(sub, ast.alias):
            found.add((sub.asname or sub.name).split(".")[0])
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            found.add(sub.name)
    return found


def uses_dynamic_scope(node: ast.AST) -> bool:
    """Whether code under ``node`` reads or writes namespaces by name (exec, globals(), locals(), vars())."""
    for sub in walk(node):
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Name)
            and (
                sub.func.id in ("exec", "globals", "locals", "__import__")
                or (sub.func.id in ("vars", "dir") and not sub.args)
            )
        ):
            return True
        if isinstance(sub, ast.ImportFrom) and any(alias.name == "*" for alias in sub.names):
            return True
    return False


def is_builtin(source: Source, name: str) -> bool:
    """Whether ``name`` means the builtin everywhere in the module (never bound by the program).

    A ``from m import *`` may bind any name (``sum``, ``print``...), so with one only the keywords that
    look like builtins (``True``, ``None``) and the dunders a star-import skips still count.
    """
    if name not in BUILTIN_NAMES or name in bound_anywhere(source):
        return False
    return keyword.iskeyword(name) or name.startswith("__") or not has_star_import(source)


def has_star_import(source: Source) -> bool:
    """Whether the module runs ``from m import *`` anywhere (any of its names may then be rebound)."""
    cached = getattr(source, "_has_star_import", None)
    if cached is None:
        cached = any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in source.index.order)
        source._has_star_import = cached  # type: ignore[attr-defined]
    return cached


def bound_anywhere(source: Source) -> frozenset[str]:
    cached = getattr(source, "_bound_anywhere", None)
    if cached is None:
        found = stored_names(source.tree)
        for sub in walk(source.tree):
            if isinstance(sub, ast.arg):
                found.add(sub.arg)
            elif isinstance(sub, ast.Global | ast.Nonlocal):
                found.update(sub.names)
        cached = frozenset(found)
        source._bound_anywhere = cached  # type: ignore[attr-defined]
    return cached


def bound_elsewhere_than_import(source: Source) -> set[str]:
    """Names bound by assignments, parameters or definitions (not by imports)."""
    found = {n.id for n in walk(source.tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    found |= {n.arg for n in walk(source.tree) if isinstance(n, ast.arg)}
    found |= {n.name for n in walk(source.tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    return found


def is_call_to(node: ast.AST, source: Source, *names: str) -> bool:
    """``node`` is a call of one of the builtins ``names`` (and the program never rebinds that name)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in names
        and is_builtin(source, node.func.id)
    )


def enclosing_statement(source: Source, node: ast.AST) -> ast.stmt:
    while not isinstance(node, ast.stmt):
        node = source.parent(node)
    return node


def block_of(source: Source, stmt: ast.stmt) -> tuple[list[ast.stmt], int] | None:
    """The statement list holding ``stmt`` and its index there."""
    parent = source.parent(stmt)
    for field in ("body", "orelse", "finalbody", "handlers"):
        block = getattr(parent, field, None)
        if isinstance(block, list):
            for i, item in enumerate(block):
                if item is stmt:
                    return block, i
    if isinstance(parent, ast.match_case):
        for i, item in enumerate(parent.body):
            if item is stmt:
                return parent.body, i
    return None


def simple_assignment(stmt: ast.stmt | None) -> tuple[str, ast.expr] | None:
    """``(name, value)`` when ``stmt`` is ``name = value`` with one plain-name target, else None."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, stmt.value
    return None


def previous_statement(source: Source, stmt: ast.stmt) -> ast.stmt | None:
    found = block_of(source, stmt)
    if found is None or found[1] == 0:
        return None
    return found[0][found[1] - 1]


def contains(outer: ast.AST, inner: ast.AST) -> bool:
    return any(sub is inner for sub in walk(outer))


def is_local_name(scope: ast.AST, name: str) -> bool:
    """``name`` lives in ``scope``'s namespace and nothing nested declares it global or nonlocal."""
    return not any(isinstance(sub, ast.Global | ast.Nonlocal) and name in sub.names for sub in walk(scope))


class Use(Enum):
    READ = "read"  # the value is only read (a new object or a scalar comes out)
    MUTATE = "mutate"  # the object is changed in place (method, item assignment, +=)
    REBIND = "rebind"  # the name is bound again or deleted
    ESCAPE = "escape"  # the object goes somewhere this analysis cannot follow (alias, unknown call)


def classify_use(source: Source, name: ast.Name) -> Use:
    """How one occurrence of a name treats the object it refers to (top level only, not its elements)."""
    if isinstance(name.ctx, ast.Store | ast.Del):
        parent = source.parent(name)
        if isinstance(parent, ast.AugAssign):
            return Use.MUTATE
        return Use.REBIND
    node: ast.AST = name
    parent = source.parent(node)
    while isinstance(parent, ast.Starred):
        node, parent = parent, source.parent(parent)
    if isinstance(parent, ast.Attribute):
        if not isinstance(parent.ctx, ast.Load):
            return Use.MUTATE
        call = source.parent(parent)
        if isinstance(call, ast.Call) and call.func is parent:
            if parent.attr in MUTATING_METHODS:
                return Use.MUTATE
            if parent.attr in READING_METHODS:
                return Use.READ
        return Use.ESCAPE
    if isinstance(parent, ast.Subscript):
        if parent.value is node:
            return Use.READ if isinstance(parent.ctx, ast.Load) else Use.MUTATE
        return Use.READ
    if isinstance(parent, ast.Compare | ast.BinOp | ast.UnaryOp | ast.BoolOp | ast.FormattedValue):
        return Use.READ
    if isinstance(parent, ast.IfExp | ast.If | ast.While | ast.Assert) and parent.test is node:
        return Use.READ
    if isinstance(parent, ast.For | ast.AsyncFor | ast.comprehension) and parent.iter is node:
        return Use.READ
    if isinstance(parent, ast.Expr):
        return Use.READ
    if isinstance(parent, ast.Call) and parent.func is not node:
        if (
            isinstance(parent.func, ast.Name)
            and parent.func.id in READING_BUILTINS
            and is_builtin(source, parent.func.id)
        ):
            return Use.READ
        func = parent.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("copy", "deepcopy")
            and isinstance(func.value, ast.Name)
            and func.value.id == "copy"
            and "copy" not in bound_elsewhere_than_import(source)
        ):
            return Use.READ
        return Use.ESCAPE
    if isinstance(parent, ast.keyword):
        call = source.parent(parent)
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id in READING_BUILTINS
            and is_builtin(source, call.func.id)
        ):
            return Use.READ
        return Use.ESCAPE
    return Use.ESCAPE


def scope_names(source: Source, scope: ast.AST, name: str) -> list[ast.Name]:
    """The ``Name`` nodes of ``name`` in ``scope`` itself (nested functions and classes not entered)."""
    return [n for n in walk_scope(scope) if isinstance(n, ast.Name) and n.id == name]


def private_to_scope(source: Source, scope: ast.AST, name: str) -> bool:
    """``name`` is a variable of ``scope`` that no nested function, lambda or class mentions."""
    if not is_local_name(scope, name):
        return False
    if isinstance(scope, FUNCTIONS) and name in {a.arg for a in walk(scope.args) if isinstance(a, ast.arg)}:
        return False
    for node in walk(scope):
        if (
            node is not scope
            and isinstance(node, DEFINITIONS)
            and any(
                (isinstance(n, ast.Name) and n.id == name) or (isinstance(n, ast.arg) and n.arg == name)
                for n in walk(node)
            )
        ):
            return False
    return True
