"""Loops that reduce their elements to one value a builtin computes in C: sum, count, min/max, any/all."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import (
    is_builtin,
    is_call_to,
    names_in,
    previous_statement,
    scope_of,
    stored_names,
)
from optimizer.rules.base import Finding, Source, TextEdit, walk
from optimizer.rules.edits import replace
from optimizer.rules.kinds import Kinds
from optimizer.rules.loops import (
    LoopRule,
    SimpleLoop,
    built_unseen,
    impure,
    is_name,
    loop_names,
    plain_target,
    simple_loop,
    targets_unused_after,
)


class ManualSum(LoopRule):
    """A loop that adds every element to a running total: ``for x in xs: total += x``.

    Why faster: ``sum()`` adds in C, about 4x faster than the interpreted loop (``sum(map(int, xs))``
    for ``total += int(x)``). When unsafe: only integer elements are summed this way (float addition in
    a different grouping can round differently); the total must be an int (``+=`` on a list extends
    it), must not be read inside the loop (nor by a function it calls, for a global total), and the loop
    variable must not be read (or deleted) afterwards.
    """

    code = "PERF111"
    name = "manual-sum"
    summary = "Replace a loop that adds up elements with sum()."
    tags = ("loops", "builtin-aggregate")
    safety = "safe"
    safety_reason = "sum adds the same integers (inferred from literals and int-returning builtins) in the same order"
    builtins = ("sum", "map")

    def check(self, source: Source, loop: ast.For) -> Finding | None:
        simple = simple_loop(loop)
        if simple is None or simple.condition is not None or not isinstance(simple.target, ast.Name):
            return None
        stmt = simple.statement
        if not (isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add) and isinstance(stmt.target, ast.Name)):
            return None
        total, x = stmt.target.id, simple.target.id
        kinds = Kinds(source, scope_of(source, loop))
        if kinds.name(total) != "int" or total in names_in(simple.iterable):
            return None
        iterable = source.segment(simple.iterable)
        if is_name(stmt.value, x):
            element = kinds.iter_element(simple.iterable)
            summed = f"sum({iterable})"
        elif (
            is_call_to(stmt.value, source, "int", "len", "abs", "ord")
            and len(stmt.value.args) == 1
            and is_name(stmt.value.args[0], x)
            and not stmt.value.keywords
        ):
            element = "int"
            summed = f"sum(map({stmt.value.func.id}, {iterable}))"
        else:
            return None
        if element not in ("int", "bool") or not targets_unused_after(source, loop, {x}):
            return None
        if not built_unseen(source, loop, total):
            return None
        edit = replace(source, loop, f"{total} += {summed}") if source.owns_lines(loop) else None
        return self.finding(
            source,
            stmt,
            f"this loop adds up `{iterable}` into `{total}`: {summed} does it in C",
            [edit] if edit else [],
        )


class ManualCount(LoopRule):
    """A loop that counts the elements equal to a value: ``for x in xs: if x == v: n += 1``.

    Why faster: ``list.count``/``str.count`` compare in C, 10x or more faster than the loop.
    When unsafe: the iterable must be a list, tuple or string (by inference; a generator has no
    ``count``); for a string the value must be one character (``str.count`` counts substrings); ``v``
    must not change in the loop and the loop variable must not be read afterwards.
    """

    code = "PERF112"
    name = "manual-count"
    summary = "Replace a loop that counts equal elements with .count()."
    tags = ("loops", "builtin-aggregate", "str-methods")
    safety = "unsafe"
    safety_reason = "count() compares by identity before equality, so a NaN or an odd __eq__ counts differently"

    def check(self, source: Source, loop: ast.For) -> Finding | None:
        simple = simple_loop(loop)
        if simple is None or simple.condition is None or not isinstance(simple.target, ast.Name):
            return None
        stmt, test, x = simple.statement, simple.condition, simple.target.id
        if not (
            isinstance(stmt, ast.AugAssign)
            and isinstance(stmt.op, ast.Add)
            and isinstance(stmt.target, ast.Name)
            and isinstance(stmt.value, ast.Constant)
            and stmt.value.value == 1
            and type(stmt.value.value) is int
        ):
            return None
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
            return None
        left, right = test.left, test.comparators[0]
        value = right if is_name(left, x) else left if is_name(right, x) else None
        if value is None or x in names_in(value) or impure(value) or any(isinstance(n, ast.Call) for n in walk(value)):
            return None
        counter = stmt.target.id
        kinds = Kinds(source, scope_of(source, loop))
        kind = kinds.of(simple.iterable)
        sequence = kind is not None and (kind.startswith("list:") or kind == "str")
        if (
            not sequence
            or kinds.name(counter) != "int"
            or counter in names_in(simple.iterable)
            or counter in names_in(value)
        ):
            return None
        if kind == "str" and not (
            isinstance(value, ast.Constant) and isinstance(value.value, str) and len(value.value) == 1
        ):
            return None
        if not targets_unused_after(source, loop, {x}) or not source.owns_lines(loop):
            return None
        iterable = source.segment(simple.iterable)
        if not isinstance(simple.iterable, ast.Name | ast.Attribute | ast.Subscript | ast.Call):
            iterable = f"({iterable})"
        text = f"{counter} += {iterable}.count({source.segment(value)})"
        return self.finding(
            source,
            loop.body[0],
            f"this loop counts elements equal to {source.segment(value)}: .count() does it in C",
            [replace(source, loop, text)],
        )


class ManualMinMax(LoopRule):
    """A loop that keeps the largest (smallest) value: ``for x in xs: best = max(best, f(x))``.

    Why faster: one ``max()`` over a generator (or the list itself) avoids a builtin call and a store
    per element: 3x to 8x faster. The rewrite ``best = max(best, max(xs, default=best))`` keeps the
    starting value and works on empty input. Also matches ``if f(x) > best: best = f(x)``. When unsafe:
    ``best`` read in the expression or the iterable, a loop variable read after the loop, or ``>=``
    (which keeps the last of equal values, not the first).
    """

    code = "PERF113"
    name = "manual-min-max"
    summary = "Replace a loop that tracks a maximum or minimum with max()/min()."
    tags = ("loops", "builtin-aggregate")
    safety = "unsafe"
    safety_reason = "min/max compare like the loop only when the elements' types keep the loop's tie and start rules"
    builtins = ("max", "min")

    def check(self, source: Source, loop: ast.For) -> Finding | None:
        simple = simple_loop(loop)
        if simple is None:
            return None
        found = self._if_update(source, loop.body[0]) or self._call_update(source, simple)
        if found is None:
            return None
        best, func, expr, conditional = found
        condition = simple.condition if conditional else None
        names = loop_names(simple)
        if (
            best in names_in(simple.iterable)
            or best in names_in(expr)
            or impure(expr)
            or impure(simple.iterable)
            or best in names
            or not targets_unused_after(source, loop, names)
            or (condition is not None and (best in names_in(condition) or impure(condition)))
        ):
            return None
        if not is_builtin(source, func) or not source.owns_lines(loop):
            return None
        iterable = source.segment(simple.iterable)
        clause = f" if {source.segment(condition)}" if condition is not None else ""
        if isinstance(simple.target, ast.Name) and is_name(expr, simple.target.id) and not clause:
            inner = iterable
        else:
            inner = f"({source.segment(expr)} for {source.segment(simple.target)} in {iterable}{clause})"
        text = f"{best} = {func}({best}, {func}({inner}, default={best}))"
        return self.finding(
            source,
            loop.body[0],
            f"this loop tracks the {func}imum in `{best}`: one {func}() call is several times faster",
            [replace(source, loop, text)],
        )

    def _call_update(self, source: Source, simple: SimpleLoop) -> tuple[str, str, ast.expr, bool] | None:
        """``best = max(best, expr)`` (either argument order), possibly under the loop's ``if``."""
        stmt = simple.statement
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            return None
        best, value = stmt.targets[0].id, stmt.value
        if not (is_call_to(value, source, "max", "min") and len(value.args) == 2 and not value.keywords):
            return None
        first, second = value.args
        if is_name(first, best) and not isinstance(second, ast.Starred):
            return best, value.func.id, second, True
        if is_name(second, best) and not isinstance(first, ast.Starred):
            return best, value.func.id, first, True
        return None

    def _if_update(self, source: Source, stmt: ast.stmt) -> tuple[str, str, ast.expr, bool] | None:
        """``if expr > best: best = expr`` (or ``<``, either side): the same expression on both lines."""
        if not (isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1):
            return None
        test, body = stmt.test, stmt.body[0]
        if not (
            isinstance(body, ast.Assign)
            and len(body.targets) == 1
            and isinstance(body.targets[0], ast.Name)
            and isinstance(test, ast.Compare)
            and len(test.ops) == 1
        ):
            return None
        best = body.targets[0].id
        left, op, right = test.left, test.ops[0], test.comparators[0]
        expr_text = source.segment(body.value)
        if is_name(right, best) and source.segment(left) == expr_text:
            func = "max" if isinstance(op, ast.Gt) else "min" if isinstance(op, ast.Lt) else None
        elif is_name(left, best) and source.segment(right) == expr_text:
            func = "max" if isinstance(op, ast.Lt) else "min" if isinstance(op, ast.Gt) else None
        else:
            func = None
        # The expression is evaluated twice in the loop and once in the generator: it must have no effects.
        if func is None or any(
            isinstance(n, ast.Call) and not is_call_to(n, source, "abs", "len", "int") for n in walk(body.value)
        ):
            return None
        return best, func, body.value, False


class AnyAllLoop(LoopRule):
    """A flag set by a loop that stops at the first match: ``found = False; for x in xs: if c: found = True; break``.

    Why faster: at module level the loop's variable accesses are dict lookups; ``any()`` over a
    generator runs its test in a function's fast locals and stops at the first match the same way
    (~1.3x). Inside functions the loop is already as fast, so the rule only fires at module level.
    When unsafe: the loop variable (which would hold the matching element) read after the loop, or
    anything else in the loop body.
    """

    code = "PERF114"
    name = "any-all-loop"
    summary = "Replace a search loop that sets a flag and breaks with any()/all()."
    tags = ("loops", "builtin-aggregate", "early-exit")
    safety = "unsafe"
    safety_reason = "a StopIteration raised by the condition becomes a RuntimeError inside the generator"
    builtins = ("any", "all")
    module_scope_only = True

    def check(self, source: Source, loop: ast.For) -> Finding | None:
        if loop.orelse or len(loop.body) != 1 or not plain_target(loop.target):
            return None
        branch = loop.body[0]
        if not (
            isinstance(branch, ast.If)
            and not branch.orelse
            and len(branch.body) == 2
            and isinstance(branch.body[1], ast.Break)
        ):
            return None
        setter = branch.body[0]
        init = previous_statement(source, loop)
        if not (
            isinstance(setter, ast.Assign)
            and len(setter.targets) == 1
            and isinstance(setter.targets[0], ast.Name)
            and isinstance(setter.value, ast.Constant)
            and isinstance(setter.value.value, bool)
            and isinstance(init, ast.Assign)
            and len(init.targets) == 1
            and is_name(init.targets[0], setter.targets[0].id)
            and isinstance(init.value, ast.Constant)
            and init.value.value is (not setter.value.value)
        ):
            return None
        flag = setter.targets[0].id
        names = stored_names(loop.target)
        if (
            flag in names_in(loop.iter)
            or flag in names_in(branch.test)
            or impure(branch.test)
            or not targets_unused_after(source, loop, names)
            or not source.starts_line(init)
            or not source.ends_line(loop)
        ):
            return None
        test = source.segment(branch.test)
        clause = f"for {source.segment(loop.target)} in {source.segment(loop.iter)}"
        text = f"{flag} = any({test} {clause})" if setter.value.value else f"{flag} = all(not ({test}) {clause})"
        edit = TextEdit(source.stmt_start(init), source.end(loop), text)
        return self.finding(
            source,
            loop.body[0],
            f"this loop searches for a match to set `{flag}`: {'any' if setter.value.value else 'all'}() does the same",
            [edit],
        )
