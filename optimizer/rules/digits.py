"""Counting the decimal digits of an integer by dividing it by ten in a loop, where ``len(str(n))`` counts them."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import (
    COMPREHENSIONS,
    FUNCTIONS,
    LOOPS,
    contains,
    is_builtin,
    is_call_to,
    previous_statement,
    scope_of,
    simple_assignment,
    uses_dynamic_scope,
    walk_scope,
)
from optimizer.rules.base import Finding, Rule, Source, walk
from optimizer.rules.edits import replace
from optimizer.rules.kinds import Kinds

# The loop's condition -> how many digits it leaves uncounted: ``n > 0`` runs once per digit, ``n >= 10`` stops
# at the leading digit.
_THRESHOLDS = {1: 0, 10: 1}


class DigitCountLoop(Rule):
    """``while n > 0: n //= 10; count += 1``: the number of decimal digits of an integer, one division each.

    Why faster: each pass of the loop is a big-integer division, a comparison and an addition in the
    interpreter; ``str`` converts the whole number in C, so ``len(str(n))`` costs about one pass. A digit count
    inside a loop over ``range(n)`` (digit sums, palindromes, "numbers with an odd number of digits") is where
    it shows. When unsafe: ``n`` and the counter must be integers (by inference, from the call sites for a
    parameter): a float's ``str`` has a decimal point. The condition must be ``n > 0`` or ``n >= 1`` (one pass
    per digit) or ``n >= 10`` / ``n > 9`` / ``n / 10 >= 1`` (one pass per digit but the first), so that a
    negative ``n`` does not loop; the rewrite keeps that condition as an ``if`` and leaves ``n`` as the loop
    did (0, or the leading digit). ``str`` of an int of more than 4300 digits raises ``ValueError`` (Python's
    conversion limit), and ``n = int(n / 10)`` rounds above 2**53 where ``//`` does not: outside those
    ranges the two agree.
    """

    code = "PERF131"
    name = "digit-count-loop"
    summary = "Count an integer's decimal digits with len(str(n)) instead of a loop dividing by 10."
    tags = ("math", "math-builtin")
    safety = "unsafe"
    safety_reason = "str() of an int over 4300 digits raises ValueError, and int(n / 10) rounds above 2**53"
    builtins = ("len", "str", "int")

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        if not all(is_builtin(source, name) for name in self.builtins):
            return []
        findings = []
        for node in walk(tree):
            if not isinstance(node, ast.While) or node.orelse or len(node.body) != 2:
                continue
            found = _digit_loop(source, node)
            if found is None or not source.owns_lines(node):
                continue
            number, counter, skipped = found
            kinds = Kinds(source, scope_of(source, node), _parameter_kinds(source, node))
            if kinds.name(number) != "int" or kinds.name(counter) != "int":
                continue
            findings.append(self._finding(source, node, number, counter, skipped))
        return findings

    def _finding(self, source: Source, loop: ast.While, number: str, counter: str, skipped: int) -> Finding:
        inner = source.indent_of(loop) + source.unit_of(loop)
        condition = source.segment(loop.test)
        count = f"len(str({number}))" + (f" - {skipped}" if skipped else "")
        lines = [f"if {condition}:", f"{inner}{counter} += {count}"]
        if not _dead_after(source, loop, number):
            lines.append(f"{inner}{number} = " + (f"int(str({number})[0])" if skipped else "0"))
        text = source.newline.join(lines)
        return self.header_finding(
            source,
            loop,
            f"this loop divides `{number}` by 10 once per digit: `len(str({number}))` counts the digits at once",
            [replace(source, loop, text)],
        )


def _digit_loop(source: Source, loop: ast.While) -> tuple[str, str, int] | None:
    """(the number, the counter, digits left uncounted) when ``loop`` counts the digits of a name, else None."""
    number = _divided_name(source, loop.body[0]) or _divided_name(source, loop.body[1])
    counter = _incremented_name(loop.body[1]) or _incremented_name(loop.body[0])
    if number is None or counter is None or number == counter:
        return None
    threshold = _threshold(loop.test, number)
    return None if threshold is None else (number, counter, _THRESHOLDS[threshold])


def _dead_after(source: Source, loop: ast.While, number: str) -> bool:
    """Whether the value the loop leaves in ``number`` is never read, so the rewrite need not compute it.

    No mention of the name outside the loop reads it (in any scope: a conservative test), nothing reads names
    dynamically, and each time the loop is reached again (inside an outer loop) a plain assignment right
    before it has just rebound the name.
    """
    inside = set(map(id, walk(loop)))
    # A read outside the loop: after it, or before it in an outer loop's next pass.
    if any(
        isinstance(node, ast.Name) and node.id == number and not isinstance(node.ctx, ast.Store)
        for node in walk(source.tree)
        if id(node) not in inside
    ):
        return False
    if uses_dynamic_scope(source.tree):
        return False
    scope, repeated = scope_of(source, loop), False
    for ancestor in source.ancestors(loop):
        if ancestor is scope:
            break
        repeated = repeated or isinstance(ancestor, (*LOOPS, *COMPREHENSIONS))
    rebound = simple_assignment(previous_statement(source, loop))
    return not repeated or (rebound is not None and rebound[0] == number)


def _threshold(test: ast.expr, number: str) -> int | None:
    """1 for ``n > 0``/``n >= 1``, 10 for ``n >= 10``/``n > 9``/``n / 10 >= 1`` (either side), else None."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(left, ast.Constant):  # ``0 < n`` is ``n > 0``
        flipped = {ast.Lt: ast.Gt(), ast.LtE: ast.GtE()}.get(type(op))
        if flipped is None:
            return None
        left, op, right = right, flipped, left
    if not (isinstance(right, ast.Constant) and type(right.value) is int and isinstance(op, ast.Gt | ast.GtE)):
        return None
    at_least = right.value + 1 if isinstance(op, ast.Gt) else right.value  # ``n > 9`` is ``n >= 10`` for ints
    if _is_name(left, number):
        return at_least if at_least in _THRESHOLDS else None
    # ``n / 10 >= 1`` is ``n >= 10`` for ints (the float division is exact enough below 2**53 and keeps its
    # OverflowError above 1e308, since the rewrite keeps the condition).
    scaled = isinstance(left, ast.BinOp) and isinstance(left.op, ast.Div) and _is_name(left.left, number)
    return 10 if scaled and _is_ten(left.right) and isinstance(op, ast.GtE) and right.value == 1 else None


def _divided_name(source: Source, stmt: ast.stmt) -> str | None:
    """``n`` of ``n //= 10``, ``n = n // 10`` or ``n = int(n / 10)``."""
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.FloorDiv) and _is_ten(stmt.value):
        return stmt.target.id if isinstance(stmt.target, ast.Name) else None
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        return None
    name, value = stmt.targets[0].id, stmt.value
    if is_call_to(value, source, "int") and len(value.args) == 1 and not value.keywords:
        value = value.args[0]
        wanted: type[ast.operator] = ast.Div
    else:
        wanted = ast.FloorDiv
    is_division = isinstance(value, ast.BinOp) and isinstance(value.op, wanted)
    return name if is_division and _is_name(value.left, name) and _is_ten(value.right) else None


def _incremented_name(stmt: ast.stmt) -> str | None:
    """``c`` of ``c += 1`` (``c = c + 1`` is not recognised: the kinds cannot see through it)."""
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add) and _is_one(stmt.value):
        return stmt.target.id if isinstance(stmt.target, ast.Name) else None
    return None


def _parameter_kinds(source: Source, loop: ast.While) -> dict[str, str]:
    """Kinds of the parameters of the module-level function around ``loop``, as every call of it passes them.

    Only a function defined once, never rebound and only ever called by name with positional arguments: a
    call we cannot see (the function passed as a value) leaves its parameters unknown. A parameter assigned
    anywhere but in ``loop`` is left unknown too (its kind could change before the loop).
    """
    func = scope_of(source, loop)
    if not isinstance(func, ast.FunctionDef) or source.parent(func) is not source.tree:
        return {}
    params = [a.arg for a in func.args.args]
    if func.args.vararg or func.args.kwarg or func.args.kwonlyargs or func.args.posonlyargs or func.args.defaults:
        return {}
    calls = []
    for sub in walk(source.tree):
        if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and sub.name == func.name:
            if sub is not func:
                return {}
        elif isinstance(sub, ast.Name) and sub.id == func.name:
            call = source.parent(sub)
            if not (isinstance(sub.ctx, ast.Load) and isinstance(call, ast.Call) and call.func is sub):
                return {}
            if call.keywords or len(call.args) != len(params) or any(isinstance(a, ast.Starred) for a in call.args):
                return {}
            calls.append(call)
    if not calls or any(isinstance(scope_of(source, call), FUNCTIONS) for call in calls):
        return {}  # calls from inside functions (recursion too) would need their own scopes' kinds
    outside = Kinds(source, source.tree)
    stored = {
        n.id
        for n in walk_scope(func)
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load) and not contains(loop, n)
    }
    kinds: dict[str, str] = {}
    for i, param in enumerate(params):
        if param in stored:
            continue
        found = {outside.of(call.args[i]) for call in calls}
        if len(found) == 1 and None not in found:
            kinds[param] = found.pop()
    return kinds


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _is_ten(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value == 10


def _is_one(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value == 1
