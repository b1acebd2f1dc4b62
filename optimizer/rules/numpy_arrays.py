"""NumPy arrays used one element at a time, where a list of Python numbers does the same job faster."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import is_call_to, scope_of
from optimizer.rules.base import Finding, Rule, Source, TextEdit, walk
from optimizer.rules.edits import replace
from optimizer.rules.kinds import Kinds
from optimizer.rules.numpy_stdlib import numpy_alias
from optimizer.rules.numpy_values import ListArray, constructor_array, may_be_float, reduction_edit, scalar_index

ITERATING_BUILTINS = frozenset(
    {"len", "sum", "min", "max", "sorted", "list", "set", "any", "all", "enumerate", "zip", "reversed", "tuple"}
)


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
    tags = ("libraries", "drop-numpy")
    safety = "unsafe"
    safety_reason = "NumPy's fixed-width integers wrap around where Python's do not; element types by inference"
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
        arrays: dict[str, tuple[ast.Assign, ListArray]] = {}
        for node in assigns:
            array = constructor_array(source, node.value, alias)
            if array is not None:
                arrays[node.targets[0].id] = (node, array)
        derived = self._derived(source, assigns, arrays)
        live = self._convertible(source, arrays, derived)
        return self._findings(source, arrays, derived, live)

    def _derived(
        self, source: Source, assigns: list[ast.Assign], arrays: dict[str, tuple[ast.Assign, ListArray]]
    ) -> dict[str, tuple[ast.Assign, list[ast.Name], ListArray]]:
        """Arrays computed element-wise from others (``d = a - b``, ``e = 2 * d``), with their array operands."""
        derived: dict[str, tuple[ast.Assign, list[ast.Name], ListArray]] = {}
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
                    derived[name] = (node, operands, ListArray(["?"], dtype, None, None))
                    changed = True
        known = {n: a for n, (_, a) in arrays.items()} | {n: a for n, (_, _, a) in derived.items()}
        for expr, operands in self._inline_expressions(source, known):
            dtypes = {known[o.id].dtype for o in operands} | _scalar_dtypes(source, expr, known)
            dtype = "float" if "float" in dtypes else "int"
            if dtype == "float" and is_call_to(source.parent(expr), source, "sum"):
                continue  # NumPy adds floats pairwise: another order, other last digits
            # Not a variable: a key no name can take. Its only use is its consumer, which takes any iterable.
            derived[f"<inline {source.start(expr)}>"] = (expr, operands, ListArray(["?"], dtype, None, None))
        return derived

    def _inline_expressions(self, source: Source, known: dict[str, ListArray]) -> list[tuple[ast.expr, list[ast.Name]]]:
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
            n for n in walk(source.tree) if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)
        ]
        return len(stores) == 1 and name not in bound_anywhere_except_names(source)

    def _uses(
        self, source: Source, binding: ast.Assign, name: str, array: ListArray, operand_ids: set[int]
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
            reduction = reduction_edit(source, use, array, kinds)
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
        self, source: Source, subscript: ast.Subscript, array: ListArray, kinds: Kinds, edits: list[TextEdit]
    ) -> ast.Subscript | None:
        """The subscript that reads or writes one element (rewriting ``a[i, j]``), None if not an element."""
        index = subscript.slice
        if len(array.dims) == 2 and isinstance(index, ast.Tuple):
            if len(index.elts) != 2 or not all(scalar_index(e, kinds) for e in index.elts):
                return None
            i, j = (source.segment(e) for e in index.elts)
            edits.append(replace(source, subscript, f"{source.segment(subscript.value)}[{i}][{j}]"))
            return subscript
        if not scalar_index(index, kinds):
            return None
        if len(array.dims) == 2:
            outer = source.parent(subscript)
            if not (
                isinstance(outer, ast.Subscript)
                and outer.value is subscript
                and isinstance(subscript.ctx, ast.Load)
                and scalar_index(outer.slice, kinds)
            ):
                return None
            return outer
        return subscript

    def _element_use_ok(self, source: Source, element: ast.Subscript, array: ListArray, kinds: Kinds) -> bool:
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
                return value_kind in ("int", "bool", None) and not may_be_float(parent.value)
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


def _elementwise_operands(source: Source, expr: ast.AST, arrays: dict[str, ListArray]) -> list[ast.Name] | None:
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


def _scalar_dtypes(source: Source, expr: ast.AST, arrays: dict[str, ListArray]) -> set[str]:
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
