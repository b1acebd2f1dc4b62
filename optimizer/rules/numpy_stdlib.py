"""NumPy imported only for scalar math and reductions of Python lists: ``math`` and the builtins do it.

``numpy_alias`` and ``numpy_attribute`` (how a program names NumPy) are shared with ``numpy_arrays``."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import bound_anywhere, is_builtin, is_call_to, scope_of
from optimizer.rules.base import Finding, Rule, Source, walk
from optimizer.rules.edits import delete_statement, imported_name, module_import, replace
from optimizer.rules.kinds import Kinds

IMPORT_COST = "~80 ms"


def numpy_alias(source: Source) -> tuple[ast.Import, str] | None:
    """The ``import numpy [as np]`` statement and its name, when that is the name's only binding."""
    for stmt in walk(source.tree):
        if isinstance(stmt, ast.Import) and len(stmt.names) == 1 and stmt.names[0].name == "numpy":
            name = stmt.names[0].asname or "numpy"
            bindings = [
                n for n in walk(source.tree) if isinstance(n, ast.alias) and (n.asname or n.name).split(".")[0] == name
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


def numpy_attribute(node: ast.AST, alias: str) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == alias:
        return node.attr
    return None


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
    tags = ("libraries", "drop-numpy", "math-builtin")
    safety = "unsafe"
    safety_reason = "NumPy and math differ on edge values (nan where math raises); argument types are inferred"
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
