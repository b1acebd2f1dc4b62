"""Kinds of values: a small, conservative type inference the rules' preconditions share.

An expression whose type cannot be inferred has no kind, so that a rule depending on the answer does not fire.
"""

from __future__ import annotations

import ast

from optimizer.rules.analysis import FUNCTIONS, is_builtin, is_call_to, is_local_name, names_in, walk_scope
from optimizer.rules.base import Source, walk

SCALARS = frozenset({"int", "float", "str", "bool", "none", "bytes"})
HASHABLE = SCALARS | {"tuple"}


def constant_kind(value: object) -> str | None:
    if isinstance(value, bool):
        return "bool"
    for kind, types in (("int", int), ("float", float), ("str", str), ("bytes", bytes)):
        if isinstance(value, types):
            return kind
    if value is None:
        return "none"
    return None


class Kinds:
    """A small, conservative type inference for names of one scope: the kind of value an expression has.

    Kinds: "int", "float", "str", "bool", "none", "bytes", "tuple" (of hashable kinds), "list:<kind>"
    (a list whose elements are all of that kind, as far as every store into it shows), or None (unknown).
    """

    def __init__(self, source: Source, scope: ast.AST, assumed: dict[str, str] | None = None) -> None:
        self.source = source
        self.scope = scope
        self._active: set[str] = set()
        # ``assumed``: kinds known from outside the scope (a function's parameters, from its call sites).
        self._cache: dict[str, str | None] = dict(assumed or {})

    def of(self, expr: ast.AST | None) -> str | None:
        if expr is None:
            return None
        if isinstance(expr, ast.Constant):
            return constant_kind(expr.value)
        if isinstance(expr, ast.JoinedStr):
            return "str"
        if isinstance(expr, ast.Name):
            return self.name(expr.id)
        if isinstance(expr, ast.Tuple):
            kinds = [self.of(elt) for elt in expr.elts]
            return "tuple" if all(k in HASHABLE for k in kinds) else None
        if isinstance(expr, ast.UnaryOp):
            inner = self.of(expr.operand)
            if isinstance(expr.op, ast.Not):
                return "bool"
            return "int" if inner == "bool" else inner if inner in ("int", "float") else None
        if isinstance(expr, ast.BinOp):
            return self._binop(expr)
        if isinstance(expr, ast.Compare):
            return "bool"
        if isinstance(expr, ast.BoolOp):
            kinds = {self.of(v) for v in expr.values}
            return kinds.pop() if len(kinds) == 1 else None
        if isinstance(expr, ast.IfExp):
            kinds = {self.of(expr.body), self.of(expr.orelse)}
            return kinds.pop() if len(kinds) == 1 else None
        if isinstance(expr, ast.Subscript):
            container = self.of(expr.value)
            if container and container.startswith("list:") and not isinstance(expr.slice, ast.Slice):
                return container[5:]
            if container and container.startswith("list:"):
                return container
            if container == "str":
                return "str"
            return None
        if isinstance(expr, ast.Call):
            return self._call(expr)
        if isinstance(expr, ast.ListComp):
            element = self.of(expr.elt) if self._comprehension_targets_known(expr) else None
            return f"list:{element}" if element in HASHABLE else "list:?"
        if isinstance(expr, ast.List):
            kinds = {self.of(elt) for elt in expr.elts}
            if not kinds:
                return "list:"
            return f"list:{kinds.pop()}" if len(kinds) == 1 and None not in kinds else "list:?"
        return None

    def _binop(self, expr: ast.BinOp) -> str | None:
        left, right = self.of(expr.left), self.of(expr.right)
        if isinstance(expr.op, ast.Mult) and left and left.startswith("list:") and right in ("int", "bool"):
            return left
        if isinstance(expr.op, ast.Add) and left and right and left.startswith("list:") and right.startswith("list:"):
            return left if left == right or right == "list:" else ("list:?" if left != "list:" else right)
        if (left == "str" and isinstance(expr.op, ast.Add | ast.Mult | ast.Mod)) or (
            right == "str" and isinstance(expr.op, ast.Mult) and left in ("int", "bool")
        ):
            return "str"
        numeric = {"int", "bool", "float"}
        if left in numeric and right in numeric:
            if isinstance(expr.op, ast.Div):
                return "float"
            if "float" in (left, right):
                return "float"
            if isinstance(expr.op, ast.Pow):
                # A negative exponent gives a float: only a non-negative constant one is known to stay int.
                exponent = expr.right
                return "int" if isinstance(exponent, ast.Constant) and exponent.value >= 0 else None
            return "int"
        return None

    def _call(self, call: ast.Call) -> str | None:
        func = call.func
        if isinstance(func, ast.Name) and is_builtin(self.source, func.id):
            simple = {
                "int": "int",
                "len": "int",
                "ord": "int",
                "float": "float",
                "str": "str",
                "chr": "str",
                "bool": "bool",
                "repr": "str",
                "bin": "str",
                "hex": "str",
                "oct": "str",
                "hash": "int",
            }
            if func.id in simple:
                return simple[func.id]
            if func.id in ("abs", "round") and call.args:
                kind = self.of(call.args[0])
                return kind if kind in ("int", "float") and (func.id == "abs" or len(call.args) == 1) else None
            if func.id in ("min", "max", "sum") and call.args:
                if len(call.args) == 1:
                    kind = self.of(call.args[0])
                    element = kind[5:] if kind and kind.startswith("list:") else self.iter_element(call.args[0])
                    return element if element in ("int", "float") else None
                kinds = {self.of(a) for a in call.args}
                return kinds.pop() if len(kinds) == 1 and kinds <= {"int", "float", "str"} else None
            if func.id == "pow" and call.args:
                kinds = {self.of(a) for a in call.args}
                return "int" if len(call.args) == 3 and kinds == {"int"} else None
            if func.id in ("list", "sorted") and len(call.args) == 1:
                element = self.iter_element(call.args[0])
                return f"list:{element}" if element in HASHABLE else "list:?"
            if func.id == "tuple" and len(call.args) == 1:
                return "tuple" if self.iter_element(call.args[0]) in HASHABLE else None
            if func.id == "divmod":
                return "tuple" if {self.of(a) for a in call.args} == {"int"} else None
        if isinstance(func, ast.Attribute):
            receiver = self.of(func.value)
            if receiver == "str" and func.attr in (
                "strip",
                "rstrip",
                "lstrip",
                "lower",
                "upper",
                "replace",
                "join",
                "format",
                "zfill",
            ):
                return "str"
            if receiver == "str" and func.attr in ("split", "rsplit", "splitlines"):
                return "list:str"
            if receiver == "str" and func.attr in ("count", "find", "index", "rfind"):
                return "int"
            if func.attr in ("readline", "read") and _is_stdin(func.value):
                return "bytes" if func.value.attr == "buffer" else "str"
            if (
                isinstance(func.value, ast.Name)
                and func.value.id == "math"
                and func.attr in ("gcd", "isqrt", "floor", "ceil", "comb", "perm", "factorial", "lcm")
            ):
                return "int"
        if is_call_to(call, self.source, "input"):
            return "str"
        return None

    def iter_element(self, iterable: ast.AST) -> str | None:
        """The kind of the elements iterating over ``iterable`` yields."""
        if is_call_to(iterable, self.source, "range"):
            return "int"
        if is_call_to(iterable, self.source, "map") and len(iterable.args) == 2:
            func = iterable.args[0]
            if (
                isinstance(func, ast.Name)
                and func.id in ("int", "str", "float", "len")
                and is_builtin(self.source, func.id)
            ):
                return {"int": "int", "str": "str", "float": "float", "len": "int"}[func.id]
            return None
        if is_call_to(iterable, self.source, "sorted", "reversed", "list", "tuple", "set") and len(iterable.args) == 1:
            return self.iter_element(iterable.args[0])
        kind = self.of(iterable)
        if kind and kind.startswith("list:"):
            return kind[5:] or None
        if kind == "str":
            return "str"
        if isinstance(iterable, ast.Tuple | ast.List | ast.Set):
            kinds = {self.of(elt) for elt in iterable.elts}
            return kinds.pop() if len(kinds) == 1 else None
        return None

    def _comprehension_targets_known(self, comp: ast.ListComp | ast.GeneratorExp | ast.SetComp) -> bool:
        return all(isinstance(gen.target, ast.Name) for gen in comp.generators)

    def name(self, name: str) -> str | None:
        if name in self._cache:
            return self._cache[name]
        if name in self._active:
            return None
        self._active.add(name)
        try:
            kind = self._name_uncached(name)
        finally:
            self._active.discard(name)
        self._cache[name] = kind
        return kind

    def _name_uncached(self, name: str) -> str | None:
        """Join of every binding of ``name`` in the scope; unknown if any binding is not understood."""
        if not is_local_name(self.scope, name) and self.scope is not self.source.tree:
            return None
        kinds: set[str | None] = set()
        stores: list[ast.AST] = []
        for sub in walk_scope(self.scope):
            if isinstance(sub, ast.Name) and sub.id == name and not isinstance(sub.ctx, ast.Load):
                stores.append(sub)
            elif (
                (isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and sub.name == name)
                or (isinstance(sub, ast.alias) and (sub.asname or sub.name).split(".")[0] == name)
                or (isinstance(sub, ast.arg) and sub.arg == name)
            ):
                return None
            elif isinstance(sub, ast.comprehension) and name in names_in(sub.target):
                # A comprehension target: its own scope; the outer name is untouched.
                continue
        if isinstance(self.scope, FUNCTIONS) and name in {
            a.arg for a in walk(self.scope.args) if isinstance(a, ast.arg)
        }:
            return None
        if not stores:
            return None
        for store in stores:
            kinds.add(self._store_kind(store, name))
        list_kinds = {k for k in kinds if k and k.startswith("list:")}
        if list_kinds and len(list_kinds) == len(kinds):
            elements = {k[5:] for k in list_kinds} - {""}
            element = elements.pop() if len(elements) == 1 else ("?" if elements else "")
            element = self._list_element_after_mutations(name, element)
            return f"list:{element}"
        return kinds.pop() if len(kinds) == 1 else None

    def _store_kind(self, store: ast.Name, name: str) -> str | None:
        parent = self.source.parent(store)
        if isinstance(parent, ast.Assign) and store in parent.targets:
            return self.of(parent.value)
        if isinstance(parent, ast.AnnAssign) and parent.value is not None:
            return self.of(parent.value)
        if isinstance(parent, ast.AugAssign):
            return self._augmented(parent, name)
        if isinstance(parent, ast.For | ast.AsyncFor) and parent.target is store:
            return self.iter_element(parent.iter)
        if isinstance(parent, ast.comprehension) and parent.target is store:
            return self.iter_element(parent.iter)
        if isinstance(parent, ast.Tuple | ast.List):
            # a, b = map(int, ...) / for i, x in enumerate(...)
            holder = self.source.parent(parent)
            if isinstance(holder, ast.Assign) and parent in holder.targets:
                value = holder.value
                if isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(parent.elts):
                    return self.of(value.elts[parent.elts.index(store)])
                unwrapped = (
                    value.args[0] if is_call_to(value, self.source, "list", "tuple") and len(value.args) == 1 else value
                )
                return self.iter_element(unwrapped)
            if isinstance(holder, ast.For | ast.comprehension) and holder.target is parent:
                iterable = holder.iter
                if is_call_to(iterable, self.source, "enumerate") and len(parent.elts) == 2 and len(iterable.args) >= 1:
                    return "int" if parent.elts[0] is store else self.iter_element(iterable.args[0])
            return None
        if isinstance(parent, ast.NamedExpr):
            return self.of(parent.value)
        return None

    def _augmented(self, node: ast.AugAssign, name: str) -> str | None:
        value = self.of(node.value)
        if isinstance(
            node.op,
            ast.Add
            | ast.Sub
            | ast.Mult
            | ast.FloorDiv
            | ast.Mod
            | ast.Pow
            | ast.LShift
            | ast.RShift
            | ast.BitAnd
            | ast.BitOr
            | ast.BitXor
            | ast.Div,
        ):
            # The other operand's kind decides together with the name's own bindings (joined by the caller).
            if value == "float" or isinstance(node.op, ast.Div):
                return "float"
            if value in ("int", "bool"):
                return "int"
            if value == "str" and isinstance(node.op, ast.Add):
                return "str"
        return None

    def _list_element_after_mutations(self, name: str, element: str) -> str:
        """A list's element kind, joined with what ``append``/``insert``/item stores put into it."""
        kinds = {element} if element else set()
        for sub in walk_scope(self.scope):
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Attribute)
                and isinstance(sub.func.value, ast.Name)
                and sub.func.value.id == name
            ):
                if sub.func.attr in ("append", "insert") and sub.args:
                    kinds.add(self.of(sub.args[-1]) or "?")
                elif sub.func.attr in ("extend",) and sub.args:
                    kinds.add(self.iter_element(sub.args[0]) or "?")
            elif (
                isinstance(sub, ast.Subscript)
                and isinstance(sub.value, ast.Name)
                and sub.value.id == name
                and isinstance(sub.ctx, ast.Store)
            ):
                holder = self.source.parent(sub)
                if isinstance(holder, ast.Assign) and not isinstance(sub.slice, ast.Slice):
                    kinds.add(self.of(holder.value) or "?")
                elif isinstance(holder, ast.AugAssign):
                    kinds.add(self._augmented(holder, name) or "?")
                else:
                    kinds.add("?")
        kinds.discard("")
        if len(kinds) == 1:
            return kinds.pop()
        if kinds <= {"int", "bool"}:
            return "int"
        return "?" if kinds else ""


def _is_stdin(node: ast.AST) -> bool:
    """``sys.stdin`` or ``sys.stdin.buffer``."""
    if isinstance(node, ast.Attribute) and node.attr == "buffer":
        node = node.value
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "stdin"
        and isinstance(node.value, ast.Name)
        and node.value.id == "sys"
    )
