"""A NumPy array as the list that can replace it: what a constructor call builds, and the reductions
of it that the builtins compute the same way."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import is_builtin, is_call_to, scope_of
from optimizer.rules.base import Source, TextEdit, walk
from optimizer.rules.edits import replace
from optimizer.rules.kinds import Kinds
from optimizer.rules.numpy_stdlib import numpy_attribute

DTYPES = {
    "int": "int",
    "int64": "int",
    "int32": "int",
    "int_": "int",
    "intc": "int",
    "float": "float",
    "float64": "float",
    "float_": "float",
    "double": "float",
    "bool": "bool",
    "bool_": "bool",
}


class ListArray:
    """What a NumPy constructor call builds: its dimensions, element type and the list expression."""

    def __init__(self, dims: list[str], dtype: str, fill: str | None, listing: str | None) -> None:
        self.dims, self.dtype, self.fill, self.listing = dims, dtype, fill, listing

    def python(self, source: Source, avoid: set[str]) -> str:
        if self.listing is not None:
            return self.listing
        if len(self.dims) == 1:
            return f"[{self.fill}] * {self.dims[0]}"
        target = "_" if "_" not in avoid else source.fresh_name("_row")
        return f"[[{self.fill}] * {self.dims[1]} for {target} in range({self.dims[0]})]"


def constructor_array(source: Source, value: ast.AST, alias: str) -> ListArray | None:
    """What ``value`` builds, if it is a NumPy constructor call (``.tolist()`` of one is the same list)."""
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "tolist"
        and not value.args
    ):
        value = value.func.value
    scale = None
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
        # np.ones(n, dtype=int) * -1: a constant array times a number is a constant array.
        value, scale = (
            (value.left, _literal(value.right))
            if _literal(value.right) is not None
            else (value.right, _literal(value.left))
        )
        if scale is None or isinstance(scale, bool):
            return None
    if not isinstance(value, ast.Call):
        return None
    kind = numpy_attribute(value.func, alias)
    if scale is not None and kind not in ("zeros", "ones", "full"):
        return None
    if kind not in ("zeros", "ones", "full", "array"):
        return None
    args = list(value.args)
    keywords = {k.arg: k.value for k in value.keywords}
    if None in keywords or set(keywords) - {"dtype", "shape", "fill_value", "object"}:
        return None
    positional = {
        "zeros": ["shape", "dtype"],
        "ones": ["shape", "dtype"],
        "full": ["shape", "fill_value", "dtype"],
        "array": ["object", "dtype"],
    }[kind]
    if len(args) > len(positional):
        return None
    for key, arg in zip(positional, args, strict=False):
        if key in keywords:
            return None
        keywords[key] = arg
    dtype = _dtype(keywords.get("dtype"), alias) if "dtype" in keywords else None
    if "dtype" in keywords and dtype is None:
        return None
    if kind == "array":
        return _from_list(source, keywords.get("object"), dtype)
    dims = _dims(source, keywords.get("shape"))
    if dims is None:
        return None
    if kind == "full":
        fill = _literal(keywords.get("fill_value"))
        if fill is None:
            return None
        dtype = dtype or {bool: "bool", int: "int", float: "float"}[type(fill)]
    else:
        fill = 0 if kind == "zeros" else 1
        dtype = dtype or "float"
    if scale is not None:
        if dtype == "bool" or (dtype == "int" and isinstance(scale, float)):
            return None  # the product's type changes (bool * int is int, int * float is float)
        fill *= scale
    value_text = repr({"int": int, "float": float, "bool": bool}[dtype](fill))
    return ListArray(dims, dtype, value_text, None)


def _dtype(node: ast.AST | None, alias: str) -> str | None:
    if isinstance(node, ast.Name) and node.id in ("int", "float", "bool"):
        return node.id
    attr = numpy_attribute(node, alias) if node is not None else None
    if attr in DTYPES:
        return DTYPES[attr]
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in DTYPES:
        return DTYPES[node.value]
    return None


def _dims(source: Source, shape: ast.AST | None) -> list[str] | None:
    if shape is None:
        return None
    elements = shape.elts if isinstance(shape, ast.Tuple) else [shape]
    if not 1 <= len(elements) <= 2:
        return None
    kinds = Kinds(source, scope_of(source, shape))
    dims = []
    for element in elements:
        if kinds.of(element) not in ("int", None) or isinstance(element, ast.Starred | ast.List | ast.Tuple):
            return None
        text = source.segment(element)
        dims.append(text if isinstance(element, ast.Name | ast.Constant | ast.Call | ast.Subscript) else f"({text})")
    return dims


def _from_list(source: Source, obj: ast.AST | None, dtype: str | None) -> ListArray | None:
    if obj is None:
        return None
    inner = obj.args[0] if is_call_to(obj, source, "tuple") and len(obj.args) == 1 else obj
    kinds = Kinds(source, scope_of(source, obj))
    element = kinds.iter_element(inner)
    if element not in ("int", "float", "bool") or (dtype is not None and dtype != element):
        return None
    fresh = (
        isinstance(inner, ast.ListComp | ast.List)
        or is_call_to(inner, source, "list", "sorted")
        or (isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Mult) and isinstance(inner.left, ast.List))
    )
    text = source.segment(inner)
    return ListArray(["?"], element, None, text if fresh else f"list({text})")


REDUCTIONS = ("sum", "max", "min")


def reduction_edit(source: Source, use: ast.Name, array: ListArray, kinds: Kinds) -> tuple[set[int], TextEdit] | None:
    """``a.sum()``/``a.max()``/``a.min()``, or of a mask ``a[a > c]``, on a 1-D array → the builtin.

    Sums only for integer arrays: NumPy adds floats pairwise, in a different order than ``sum``.
    Returns the ``Name`` nodes the pattern covers and the edit.
    """
    if len(array.dims) != 1 or array.dtype not in ("int", "float"):
        return None
    node: ast.AST = use
    ids = {id(use)}
    condition = None
    parent = source.parent(node)
    if isinstance(parent, ast.Subscript) and parent.value is use and isinstance(parent.ctx, ast.Load):
        mask = parent.slice
        if not (
            isinstance(mask, ast.Compare)
            and len(mask.ops) == 1
            and isinstance(mask.left, ast.Name)
            and mask.left.id == use.id
            and not isinstance(mask.ops[0], ast.In | ast.NotIn | ast.Is | ast.IsNot)
            and kinds.of(mask.comparators[0]) in ("int", "float")
        ):
            return None
        condition = mask
        ids.add(id(mask.left))
        node, parent = parent, source.parent(parent)
    method = source.parent(parent) if isinstance(parent, ast.Attribute) else None
    if not (
        isinstance(parent, ast.Attribute)
        and parent.value is node
        and parent.attr in REDUCTIONS
        and isinstance(method, ast.Call)
        and method.func is parent
        and not method.args
        and not method.keywords
        and is_builtin(source, parent.attr)
        and (parent.attr != "sum" or array.dtype == "int")
    ):
        return None
    if condition is None:
        return ids, replace(source, method, f"{parent.attr}({use.id})")
    taken = {n.id for n in walk(condition) if isinstance(n, ast.Name)}
    variable = next(v for v in ("value", "v", "element", "item", "x_") if v not in taken)
    test = f"{variable} {source.segment(condition)[len(use.id) :].strip()}"
    return ids, replace(source, method, f"{parent.attr}({variable} for {variable} in {use.id} if {test})")


def may_be_float(value: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div))
        or (isinstance(n, ast.Constant) and isinstance(n.value, float))
        for n in walk(value)
    )


def scalar_index(index: ast.AST, kinds: Kinds) -> bool:
    if isinstance(index, ast.Slice | ast.Tuple | ast.List | ast.Starred | ast.ListComp):
        return False
    return kinds.of(index) in ("int", "bool", None)


def _literal(node: ast.AST | None) -> int | float | bool | None:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) in (int, float)
    ):
        return -node.operand.value
    return None
