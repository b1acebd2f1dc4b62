"""Arithmetic the standard library does better: modular powers, integer square roots."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import is_builtin, is_call_to, scope_of
from optimizer.rules.base import Finding, Rule, Source, walk
from optimizer.rules.edits import insert_at_top, module_import, replace
from optimizer.rules.kinds import Kinds

SMALL_EXPONENT = 16  # below this, a ** b % m is as fast as pow(a, b, m) (the power stays small)


class PowMod(Rule):
    """``a ** b % m`` on integers.

    Why faster: ``a ** b`` builds the full power, a number with about ``b·log2(a)`` bits, before the
    remainder is taken; ``pow(a, b, m)`` reduces modulo ``m`` at every step of square-and-multiply, so a
    large exponent such as ``mod - 2`` costs microseconds instead of seconds. When unsafe: all three
    operands must be integers (by inference) and the exponent non-negative: ``pow(a, -1, m)`` is a
    modular inverse where ``a ** -1 % m`` is a float. Exponents below 16 are left alone (no gain).
    """

    code = "PERF121"
    name = "pow-mod"
    summary = "Use pow(a, b, m) instead of a ** b % m."
    tags = ("math", "pow-mod")
    safety = "unsafe"
    safety_reason = "pow(a, b, 0) raises ValueError where a ** b % 0 raises ZeroDivisionError"
    builtins = ("pow",)

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        if not is_builtin(source, "pow"):
            return []
        findings = []
        for node in walk(tree):
            if not (
                isinstance(node, ast.BinOp)
                and isinstance(node.op, ast.Mod)
                and isinstance(node.left, ast.BinOp)
                and isinstance(node.left.op, ast.Pow)
            ):
                continue
            base, exponent, modulus = node.left.left, node.left.right, node.right
            kinds = Kinds(source, scope_of(source, node))
            if any(kinds.of(n) != "int" for n in (base, modulus)) or not self._big_exponent(exponent, kinds):
                continue
            text = f"pow({source.segment(base)}, {source.segment(exponent)}, {source.segment(modulus)})"
            findings.append(
                self.finding(
                    source,
                    node,
                    f"{source.segment(node)} computes the whole power before "
                    "the remainder: pow() with a modulus reduces as it goes",
                    [replace(source, node, text)],
                )
            )
        return findings

    def _big_exponent(self, exponent: ast.AST, kinds: Kinds) -> bool:
        if isinstance(exponent, ast.Constant):
            return type(exponent.value) is int and exponent.value >= SMALL_EXPONENT
        if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.USub):
            return False
        return kinds.of(exponent) == "int"


class IntSqrt(Rule):
    """``int(x ** 0.5)`` or ``int(math.sqrt(x))`` for an integer ``x``.

    Why faster: the float round trip converts to float, takes the root and converts back;
    ``math.isqrt`` works on the integer directly (~2.5x faster) and is exact: above 2**52 the float
    version can be off by one (``int(math.sqrt(10**16 - 1))`` is 10**8). When unsafe: ``x`` must be an
    integer by inference (``isqrt`` rejects floats); negative ``x`` fails in both forms.
    """

    code = "PERF122"
    name = "int-sqrt"
    summary = "Use math.isqrt(x) instead of int(x ** 0.5) for integers."
    tags = ("math", "math-builtin")
    safety = "unsafe"
    safety_reason = "beyond 2**52 int(math.sqrt(x)) rounds where math.isqrt is exact: the results can differ"

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        sqrt_names = {
            alias.asname or alias.name
            for stmt in tree.body
            if isinstance(stmt, ast.ImportFrom) and stmt.module == "math"
            for alias in stmt.names
            if alias.name == "sqrt"
        }
        findings = []
        for node in walk(tree):
            if not (is_call_to(node, source, "int") and len(node.args) == 1 and not node.keywords):
                continue
            scope = scope_of(source, node)
            # An import that runs after this line at module level would not be there yet.
            math_name = module_import(source, "math", before=source.start(node) if scope is tree else None)
            root = self._root_of(node.args[0], math_name, sqrt_names)
            if root is None:
                continue
            if Kinds(source, scope).of(root) != "int":
                continue
            if math_name:
                prefix, imports = math_name, []
            elif "math" in source.name_ids and module_import(source, "math") is None:
                continue
            else:
                prefix, imports = "math", [insert_at_top(source, ["import math"])]
            text = f"{prefix}.isqrt({source.segment(root)})"
            findings.append(
                self.finding(
                    source,
                    node,
                    f"{source.segment(node)} goes through a float: math.isqrt is exact and faster on integers",
                    [*imports, replace(source, node, text)],
                )
            )
        return findings

    def _root_of(self, node: ast.AST, math_name: str | None, sqrt_names: set[str]) -> ast.expr | None:
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Pow)
            and isinstance(node.right, ast.Constant)
            and node.right.value == 0.5
        ):
            return node.left
        if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "sqrt"
                and isinstance(func.value, ast.Name)
                and math_name
                and func.value.id == math_name
            ):
                return node.args[0]
            if isinstance(func, ast.Name) and func.id in sqrt_names:
                return node.args[0]
        return None
