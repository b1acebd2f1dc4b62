"""NumPy where plain Python does the same job faster: arrays used element by element, scalar math."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import Kinds, bound_anywhere, is_builtin, is_call_to, scope_of
from optimizer.rules.base import Finding, Rule, Source, TextEdit, walk
from optimizer.rules.edits import delete_statement, imported_name, module_import, replace

IMPORT_COST = "~80 ms"


def numpy_alias(source: Source) -> tuple[ast.Import, str] | None:
    """The ``import numpy [as np]`` statement and its name, when that is the name's only binding."""
    for stmt in walk(source.tree):
        if isinstance(stmt, ast.Import) and len(stmt.names) == 1 and stmt.names[0].name == "numpy":
            name = stmt.names[0].asname or "numpy"
            bindings = [
                n
                for n in walk(source.tree)
                if isinstance(n, ast.alias) and (n.asname or n.name).split(".")[0] == name
            ]
            stores = [
                n
                for n in walk(source.tree)
                if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)
            ]
            if (
                len(bindings) == 1
                and not stores
                and name not in {a.arg for a in walk(source.tree) if isinstance(a, ast.arg)}
            ):
                return stmt, name
    return None


def _numpy_attribute(node: ast.AST, alias: str) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == alias:
        return node.attr
    return None


# --- arrays used as lists ---------------------------------------------------------------------------

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
ITERATING_BUILTINS = frozenset(
    {"len", "sum", "min", "max", "sorted", "list", "set", "any", "all", "enumerate", "zip", "reversed", "tuple"}
)


class _Array:
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


class NumpyArrayAsList(Rule):
    """A NumPy array built with ``np.zeros``/``ones``/``full``/``array`` but used one element at a time.

    Why faster: indexing a NumPy array creates a NumPy scalar object on every read (about 5x slower
    than indexing a list), and arithmetic on NumPy scalars is slower than on Python numbers; NumPy only
    pays off with whole-array operations. A list of Python numbers does the same job, and once no array
    is left the ~80 ms import can go too (PERF102/PERF101 finish that). When unsafe: any whole-array use
    (arithmetic, slicing, methods, passing the array to a function, printing it), fancy indexing with a
    list, a float stored into an integer array (NumPy truncates) or arithmetic on boolean elements
    (NumPy's ``True + True`` is ``True``); such arrays are left alone. NumPy's fixed-width integers wrap
    around at 2**63 where Python's do not.
    """

    code = "PERF107"
    name = "numpy-array-as-list"
    summary = "Use a list instead of a NumPy array that is only indexed element by element."
    tags = ("numpy", "data-structure", "loop")
    builtins = ("list", "zip", "range")

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        found = numpy_alias(source)
        if found is None:
            return []
        _, alias = found
        assigns = [
            node
            for node in walk(tree)
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and self._bound_once(source, node.targets[0].id)
        ]
        arrays: dict[str, tuple[ast.Assign, _Array]] = {}
        for node in assigns:
            array = self._constructor(source, node.value, alias)
            if array is not None:
                arrays[node.targets[0].id] = (node, array)
        derived = self._derived(source, assigns, arrays)
        live = self._convertible(source, arrays, derived)
        return self._findings(source, arrays, derived, live)

    def _derived(
        self, source: Source, assigns: list[ast.Assign], arrays: dict[str, tuple[ast.Assign, _Array]]
    ) -> dict[str, tuple[ast.Assign, list[ast.Name], _Array]]:
        """Arrays computed element-wise from others (``d = a - b``, ``e = 2 * d``), with their array operands."""
        derived: dict[str, tuple[ast.Assign, list[ast.Name], _Array]] = {}
        changed = True
        while changed:
            changed = False
            for node in assigns:
                name = node.targets[0].id
                if name in arrays or name in derived:
                    continue
                known = {n: a for n, (_, a) in arrays.items()} | {n: a for n, (_, _, a) in derived.items()}
                operands = _elementwise_operands(source, node.value, known)
                if operands is not None:
                    dtypes = {known[o.id].dtype for o in operands} | _scalar_dtypes(source, node.value, known)
                    dtype = "float" if "float" in dtypes else "int"
                    derived[name] = (node, operands, _Array(["?"], dtype, None, None))
                    changed = True
        known = {n: a for n, (_, a) in arrays.items()} | {n: a for n, (_, _, a) in derived.items()}
        for expr, operands in self._inline_expressions(source, known):
            dtypes = {known[o.id].dtype for o in operands} | _scalar_dtypes(source, expr, known)
            dtype = "float" if "float" in dtypes else "int"
            if dtype == "float" and is_call_to(source.parent(expr), source, "sum"):
                continue  # NumPy adds floats pairwise: another order, other last digits
            # Not a variable: a key no name can take. Its only use is its consumer, which takes any iterable.
            derived[f"<inline {source.start(expr)}>"] = (expr, operands, _Array(["?"], dtype, None, None))
        return derived

    def _inline_expressions(
        self, source: Source, known: dict[str, _Array]
    ) -> list[tuple[ast.expr, list[ast.Name]]]:
        """Element-wise expressions of arrays (``a - b``) used once, where any iterable does: ``list(a - b)``.

        Returns each whole expression with its array operands.
        """
        found = []
        for node in walk(source.tree):
            if not isinstance(node, ast.BinOp | ast.UnaryOp):
                continue
            consumer = source.parent(node)
            # The whole expression only (not a part of one), consumed where any iterable does.
            if not (
                (is_call_to(consumer, source, *ITERATING_BUILTINS) and node in consumer.args)
                or (isinstance(consumer, ast.For | ast.comprehension) and consumer.iter is node)
            ):
                continue
            operands = _elementwise_operands(source, node, known)
            if operands is not None:
                found.append((node, operands))
        return found

    def _convertible(self, source: Source, arrays, derived) -> dict[str, list[TextEdit]]:
        """The arrays all of whose uses work on lists, with the edits their uses need (a fixpoint)."""
        live = set(arrays) | set(derived)
        while True:
            operand_ids = {id(o) for name in live & derived.keys() for o in derived[name][1]}
            edits: dict[str, list[TextEdit]] = {}
            for name in sorted(live):
                assign, array = arrays[name] if name in arrays else (derived[name][0], derived[name][2])
                extra = self._uses(source, assign, name, array, operand_ids)
                if extra is not None:
                    edits[name] = extra
            for name in set(edits) & derived.keys():
                if any(o.id not in edits for o in derived[name][1]):
                    del edits[name]
            if set(edits) == live:
                return edits
            live = set(edits)

    def _findings(self, source: Source, arrays, derived, live: dict[str, list[TextEdit]]) -> list[Finding]:
        """One finding per group of arrays that must change together (operands of an element-wise result)."""
        group = {name: name for name in live}

        def root(name: str) -> str:
            while group[name] != name:
                name = group[name]
            return name

        for name in live.keys() & derived.keys():
            for operand in derived[name][1]:
                group[root(operand.id)] = root(name)
        members: dict[str, list[str]] = {}
        for name in live:
            members.setdefault(root(name), []).append(name)
        findings = []
        for names in members.values():
            assigns = {n: (arrays[n][0] if n in arrays else derived[n][0]) for n in names}
            edits: list[TextEdit] = []
            for name in names:
                assign = assigns[name]
                value = assign.value if isinstance(assign, ast.Assign) else assign  # an inline expression
                if name in arrays:
                    avoid = {n.id for n in walk(value) if isinstance(n, ast.Name)}
                    text = arrays[name][1].python(source, avoid)
                else:
                    text = _comprehension(source, value, derived[name][1])
                    consumer = source.parent(value)
                    inline = not isinstance(assign, ast.Assign)
                    if inline and is_call_to(consumer, source, "list") and len(consumer.args) == 1:
                        value = consumer  # list(a - b): the comprehension is the list already
                edits.append(replace(source, value, text))
                edits.extend(live[name])
            variables = [n for n in names if not n.startswith("<")]
            if not variables:
                continue
            first = min(assigns.values(), key=source.start)
            listed = ", ".join(f"`{n}`" for n in sorted(variables, key=lambda n: source.start(assigns[n])))
            message = (
                f"{listed} {'is a NumPy array' if len(variables) == 1 else 'are NumPy arrays'} used only element "
                "by element: lists are faster to index and need no NumPy"
            )
            findings.append(self.finding(source, first, message, edits))
        return findings

    def _bound_once(self, source: Source, name: str) -> bool:
        stores = [
            n
            for n in walk(source.tree)
            if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)
        ]
        return len(stores) == 1 and name not in bound_anywhere_except_names(source)

    def _constructor(self, source: Source, value: ast.AST, alias: str) -> _Array | None:
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
        kind = _numpy_attribute(value.func, alias)
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
        dtype = self._dtype(keywords.get("dtype"), alias) if "dtype" in keywords else None
        if "dtype" in keywords and dtype is None:
            return None
        if kind == "array":
            return self._from_list(source, keywords.get("object"), dtype)
        dims = self._dims(source, keywords.get("shape"))
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
        return _Array(dims, dtype, value_text, None)

    def _dtype(self, node: ast.AST | None, alias: str) -> str | None:
        if isinstance(node, ast.Name) and node.id in ("int", "float", "bool"):
            return node.id
        attr = _numpy_attribute(node, alias) if node is not None else None
        if attr in DTYPES:
            return DTYPES[attr]
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in DTYPES:
            return DTYPES[node.value]
        return None

    def _dims(self, source: Source, shape: ast.AST | None) -> list[str] | None:
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
            dims.append(
                text if isinstance(element, ast.Name | ast.Constant | ast.Call | ast.Subscript) else f"({text})"
            )
        return dims

    def _from_list(self, source: Source, obj: ast.AST | None, dtype: str | None) -> _Array | None:
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
        return _Array(["?"], element, None, text if fresh else f"list({text})")

    def _uses(
        self, source: Source, binding: ast.Assign, name: str, array: _Array, operand_ids: set[int]
    ) -> list[TextEdit] | None:
        """Edits the uses need (2-D ``a[i, j]`` → ``a[i][j]``), or None when a use needs an array.

        A use as an operand of an element-wise result that is converted too (``operand_ids``) is fine.
        """
        scope = scope_of(source, binding)
        kinds = Kinds(source, scope)
        edits: list[TextEdit] = []
        handled: set[int] = set()
        for use in walk(source.tree):
            if not (isinstance(use, ast.Name) and use.id == name and isinstance(use.ctx, ast.Load)):
                continue
            parent = source.parent(use)
            if id(use) in operand_ids or id(use) in handled:
                continue
            reduction = _reduction(source, use, array, kinds)
            if reduction is not None:
                ids, edit = reduction
                handled |= ids
                edits.append(edit)
                continue
            if isinstance(parent, ast.Subscript) and parent.value is use:
                element = self._element(source, parent, array, kinds, edits)
                if element is None or not self._element_use_ok(source, element, array, kinds):
                    return None
            elif len(array.dims) == 1 and (
                (is_call_to(parent, source, *ITERATING_BUILTINS) and use in parent.args)
                or (isinstance(parent, ast.For | ast.comprehension) and parent.iter is use)
                or (
                    isinstance(parent, ast.Compare)
                    and use in parent.comparators
                    and all(isinstance(op, ast.In | ast.NotIn) for op in parent.ops)
                )
                or (isinstance(parent, ast.Starred) and is_call_to(source.parent(parent), source, "print"))
            ):
                if array.dtype == "bool" and not is_call_to(parent, source, "len", "any", "all", "sum"):
                    return None
            elif is_call_to(parent, source, "len") and use in parent.args:
                continue
            else:
                return None
        return edits

    def _element(
        self, source: Source, subscript: ast.Subscript, array: _Array, kinds: Kinds, edits: list[TextEdit]
    ) -> ast.Subscript | None:
        """The subscript that reads or writes one element (rewriting ``a[i, j]``), None if not an element."""
        index = subscript.slice
        if len(array.dims) == 2 and isinstance(index, ast.Tuple):
            if len(index.elts) != 2 or not all(_scalar_index(e, kinds) for e in index.elts):
                return None
            i, j = (source.segment(e) for e in index.elts)
            edits.append(replace(source, subscript, f"{source.segment(subscript.value)}[{i}][{j}]"))
            return subscript
        if not _scalar_index(index, kinds):
            return None
        if len(array.dims) == 2:
            outer = source.parent(subscript)
            if not (
                isinstance(outer, ast.Subscript)
                and outer.value is subscript
                and isinstance(subscript.ctx, ast.Load)
                and _scalar_index(outer.slice, kinds)
            ):
                return None
            return outer
        return subscript

    def _element_use_ok(self, source: Source, element: ast.Subscript, array: _Array, kinds: Kinds) -> bool:
        parent = source.parent(element)
        if isinstance(element.ctx, ast.Del):
            return False
        if isinstance(element.ctx, ast.Store):
            if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
                value_kind = kinds.of(parent.value)
            elif isinstance(parent, ast.AugAssign) and array.dtype != "bool":
                if isinstance(parent.op, ast.Div):
                    return array.dtype == "float"
                value_kind = kinds.of(parent.value)
            else:
                return False
            if array.dtype == "int":
                return value_kind in ("int", "bool", None) and not _may_be_float(parent.value)
            if array.dtype == "bool":
                return value_kind == "bool"
            return value_kind in ("int", "float", "bool", None)
        if array.dtype == "bool":
            # NumPy booleans add and invert differently from Python's: only truth tests are the same.
            return (
                (isinstance(parent, ast.If | ast.While | ast.IfExp | ast.Assert) and parent.test is element)
                or isinstance(parent, ast.BoolOp)
                or (isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not))
            )
        return True


ELEMENTWISE_OPERATORS = (ast.Add, ast.Sub, ast.Mult)


def _elementwise_operands(source: Source, expr: ast.AST, arrays: dict[str, _Array]) -> list[ast.Name] | None:
    """The array names in ``expr`` if it is +, - and * of 1-D numeric arrays and numbers, else None."""
    kinds = Kinds(source, scope_of(source, expr))
    operands: list[ast.Name] = []

    def walk(node: ast.AST) -> bool:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ELEMENTWISE_OPERATORS):
            return walk(node.left) and walk(node.right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return walk(node.operand)
        if isinstance(node, ast.Name) and node.id in arrays:
            array = arrays[node.id]
            operands.append(node)
            return len(array.dims) == 1 and array.dtype in ("int", "float")
        if isinstance(node, ast.Constant):
            return type(node.value) in (int, float)
        return isinstance(node, ast.Name) and kinds.of(node) in ("int", "float")

    return operands if walk(expr) and operands else None


def _scalar_dtypes(source: Source, expr: ast.AST, arrays: dict[str, _Array]) -> set[str]:
    kinds = Kinds(source, scope_of(source, expr))
    found = set()
    for node in walk(expr):
        if (isinstance(node, ast.Constant) and isinstance(node.value, float)) or (
            isinstance(node, ast.Name) and node.id not in arrays and kinds.of(node) == "float"
        ):
            found.add("float")
    return found


def _comprehension(source: Source, expr: ast.AST, operands: list[ast.Name]) -> str:
    """``expr`` computed element by element: ``a - b`` → ``[x - y for x, y in zip(a, b, strict=True)]``.

    ``strict=True`` keeps NumPy's behaviour of failing on arrays of different lengths.
    """
    names = list(dict.fromkeys(o.id for o in operands))
    variables = {name: source.fresh_name(f"{name.lower()}_value") for name in names}
    start = source.start(expr)
    text = source.segment(expr)
    for operand in sorted(operands, key=source.start, reverse=True):
        offset = source.start(operand) - start
        text = text[:offset] + variables[operand.id] + text[offset + len(operand.id) :]
    if len(names) == 1:
        return f"[{text} for {variables[names[0]]} in {names[0]}]"
    return f"[{text} for {', '.join(variables[n] for n in names)} in zip({', '.join(names)}, strict=True)]"


REDUCTIONS = ("sum", "max", "min")


def _reduction(source: Source, use: ast.Name, array: _Array, kinds: Kinds) -> tuple[set[int], TextEdit] | None:
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


def _may_be_float(value: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div))
        or (isinstance(n, ast.Constant) and isinstance(n.value, float))
        for n in walk(value)
    )


def _scalar_index(index: ast.AST, kinds: Kinds) -> bool:
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


def bound_anywhere_except_names(source: Source) -> set[str]:
    """Names bound by something other than an assignment target: parameters, imports, definitions."""
    found: set[str] = set()
    for node in walk(source.tree):
        if isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.alias):
            found.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            found.update(node.names)
    return found


# --- scalar math and reductions of Python lists ------------------------------------------------------

MATH_FUNCTIONS = {
    "sqrt": "sqrt",
    "exp": "exp",
    "log": "log",
    "log2": "log2",
    "log10": "log10",
    "log1p": "log1p",
    "expm1": "expm1",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arctan2": "atan2",
    "hypot": "hypot",
    "sinh": "sinh",
    "cosh": "cosh",
    "tanh": "tanh",
    "degrees": "degrees",
    "radians": "radians",
    "gcd": "gcd",
    "lcm": "lcm",
    "isnan": "isnan",
    "isinf": "isinf",
    "isfinite": "isfinite",
}
# NumPy returns a float for these, ``math`` an int: converted back unless int() or a comparison consumes it.
FLOAT_RESULT = {"floor": "floor", "ceil": "ceil", "trunc": "trunc"}
MATH_CONSTANTS = {
    "pi": "pi",
    "e": "e",
    "inf": "inf",
    "nan": "nan",
    "Inf": "inf",
    "NaN": "nan",
    "NAN": "nan",
    "PINF": "inf",
}


class NumpyToStdlib(Rule):
    """NumPy imported only for what ``math``, the builtins or ``itertools`` do on Python numbers and lists.

    Why faster: the import alone costs about 80 ms, more than most contest programs' whole run; ``math``
    is built in and its functions on Python numbers are faster per call too. Covered: scalar functions
    (``np.sqrt`` → ``math.sqrt``, ``np.abs`` → ``abs``, ``np.maximum(a, b)`` → ``max(a, b)``), constants
    (``np.inf``), and reductions of Python lists (``np.max(xs)`` → ``max(xs)``, ``np.cumsum(xs)`` iterated
    → ``accumulate(xs)``, ``np.sum(xs)`` compared or passed to ``int()`` → ``sum(xs)``).
    When unsafe: any other use of NumPy (an array anywhere) keeps the import, so the rule fires only when
    every use is covered, on arguments that are not NumPy arrays (Python lists by inference, or scalars).
    ``np.floor``/``ceil``/``trunc`` return floats, so their ``math`` versions are wrapped in ``float()``
    unless ``int()`` or a comparison consumes the result. NumPy returns ``nan`` where ``math`` raises
    (``np.sqrt(-1)``), ``np.sum([])`` is ``0.0``, and a list of NumPy scalars prints as
    ``[np.int64(3)]`` under NumPy 2: the verifier compares the outputs.
    """

    code = "PERF102"
    name = "numpy-to-stdlib"
    summary = "Replace NumPy by math/builtins when it only computes scalars or list reductions (no ~80 ms import)."
    tags = ("imports", "startup", "numpy")
    builtins = ("float", "abs", "max", "min", "sum")

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        found = numpy_alias(source)
        if found is None:
            return []
        stmt, alias = found
        uses = [n for n in walk(tree) if isinstance(n, ast.Name) and n.id == alias]
        if not uses:
            return []  # unused: PERF101's finding
        replacements: list[tuple[ast.AST, str]] = []
        needs: set[str] = set()
        for use in uses:
            converted = self._convert(source, use)
            if converted is None:
                return []
            node, text, need = converted
            replacements.append((node, text))
            needs |= need
        imports = self._imports(source, stmt, needs)
        if imports is None:
            return []
        import_lines, names = imports
        edits = [replace(source, node, text.format(**names)) for node, text in replacements]
        if import_lines:
            edits.append(replace(source, stmt, f"{source.newline}".join(import_lines)))
        else:
            deletion = delete_statement(source, stmt)
            if deletion is None:
                return []
            edits.append(deletion)
        used = sorted({f"{alias}.{source.parent(u).attr}" for u in uses})
        message = (
            f"NumPy is imported only for {', '.join(used)}: the standard library does the same without "
            f"the {IMPORT_COST} import"
        )
        return [self.finding(source, stmt, message, edits)]

    def _convert(self, source: Source, use: ast.Name) -> tuple[ast.AST, str, set[str]] | None:
        attribute = source.parent(use)
        if not isinstance(attribute, ast.Attribute) or not isinstance(attribute.ctx, ast.Load):
            return None
        attr = attribute.attr
        call = source.parent(attribute)
        if not (isinstance(call, ast.Call) and call.func is attribute):
            if attr in MATH_CONSTANTS:
                return attribute, "{math}." + MATH_CONSTANTS[attr], {"math"}
            return None
        if call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
            return None
        kinds = Kinds(source, scope_of(source, call))
        args = ", ".join(source.segment(a).replace("{", "{{").replace("}", "}}") for a in call.args)
        consumer = source.parent(call)
        as_number = isinstance(consumer, ast.Compare) or is_call_to(consumer, source, "int")
        if attr in ("sum", "max", "min", "amax", "amin", "cumsum") and len(call.args) == 1:
            element = kinds.iter_element(call.args[0]) if _is_list(kinds, call.args[0]) else None
            if element not in ("int", "float"):
                return None
            builtin = {"amax": "max", "amin": "min"}.get(attr, attr)
            if attr == "cumsum":
                iterated = is_call_to(consumer, source, "list") or (
                    isinstance(consumer, ast.For) and consumer.iter is call
                )
                return (call, f"{{accumulate}}({args})", {"accumulate"}) if iterated else None
            if attr == "sum" and not as_number:
                return None  # np.sum([]) is 0.0, sum([]) is 0: same number, printed differently
            if not is_builtin(source, builtin):
                return None
            return call, f"{builtin}({args})", set()
        if not all(kinds.of(a) in ("int", "float", "bool", None) and not _is_list(kinds, a) for a in call.args):
            return None
        if attr in MATH_FUNCTIONS:
            return call, f"{{math}}.{MATH_FUNCTIONS[attr]}({args})", {"math"}
        if attr in FLOAT_RESULT and len(call.args) == 1:
            text = f"{{math}}.{FLOAT_RESULT[attr]}({args})"
            return call, text if as_number else f"float({text})", {"math"}
        if attr in ("abs", "absolute", "fabs") and len(call.args) == 1 and is_builtin(source, "abs"):
            return call, f"abs({args})" if attr != "fabs" else f"float(abs({args}))", set()
        if attr in ("maximum", "minimum") and len(call.args) == 2 and is_builtin(source, attr[:3]):
            return call, f"{attr[:3]}({args})", set()
        return None

    def _imports(self, source: Source, stmt: ast.Import, needs: set[str]) -> tuple[list[str], dict] | None:
        """The import lines that replace ``import numpy`` and the names to use (None: a name is taken)."""
        lines: list[str] = []
        names = {"math": "math", "accumulate": "accumulate"}
        before = source.start(stmt)
        if "math" in needs:
            existing = module_import(source, "math", before=before)
            if existing:
                names["math"] = existing
            elif "math" in bound_anywhere(source) and module_import(source, "math") is None:
                return None
            else:
                lines.append("import math")
        if "accumulate" in needs:
            existing = imported_name(source, "itertools", "accumulate", before=before)
            if existing:
                names["accumulate"] = existing
            elif "accumulate" in bound_anywhere(source) and imported_name(source, "itertools", "accumulate") is None:
                return None
            else:
                lines.append("from itertools import accumulate")
        return lines, names


def _is_list(kinds: Kinds, node: ast.AST) -> bool:
    kind = kinds.of(node)
    return bool(kind and kind.startswith("list:"))
