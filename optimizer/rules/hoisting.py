"""Work repeated on every iteration although its inputs do not change: move it before the loop."""

from __future__ import annotations

import ast
import re

from optimizer.rules.analysis import (
    LOOPS,
    Use,
    classify_use,
    is_builtin,
    is_call_to,
    names_in,
    private_to_scope,
    scope_names,
    scope_of,
    stored_names,
)
from optimizer.rules.base import Finding, Rule, Source, walk
from optimizer.rules.edits import insert_before, module_import, replace


def _loops_around(source: Source, node: ast.AST) -> list[ast.stmt]:
    """The loops of ``node``'s own scope that contain it, innermost first (a while test counts as inside)."""
    scope = scope_of(source, node)
    loops = []
    child = node
    for ancestor in source.ancestors(node):
        if ancestor is scope:
            break
        if isinstance(ancestor, LOOPS):
            repeated = child in ancestor.body or (isinstance(ancestor, ast.While) and child is ancestor.test)
            if repeated:
                loops.append(ancestor)
        child = ancestor
    return loops


def _unchanged_in(source: Source, loop: ast.stmt, names: set[str]) -> bool:
    """None of ``names`` is rebound, mutated or handed to unknown code anywhere in ``loop``."""
    for node in walk(loop):
        if isinstance(node, ast.Name) and node.id in names and classify_use(source, node) is not Use.READ:
            return False
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef) and names & names_in(
            node
        ):
            return False
    return True


def _escapes(source: Source, scope: ast.AST, name: str) -> bool:
    """Whether ``name``'s object goes anywhere in ``scope`` (``push = xs.append``, ``f(xs)``) that could later
    change it from inside the loop without naming it."""
    return any(classify_use(source, use) is Use.ESCAPE for use in scope_names(source, scope, name))


def _outermost_invariant_loop(source: Source, node: ast.AST, names: set[str]) -> ast.stmt | None:
    found = None
    for loop in _loops_around(source, node):
        if not _unchanged_in(source, loop, names) or names & stored_names(getattr(loop, "target", ast.Pass())):
            break
        found = loop
    return found


class SortedInLoop(Rule):
    """``sorted(xs)`` computed on every iteration of a loop that never changes ``xs``.

    Why faster: sorting is O(n log n) each time; sorting once before the loop makes the loop's cost
    independent of it. When unsafe: ``xs`` (and a ``key`` function's names) must not change in the loop,
    and the sorted list must only be read (a loop that pops from it would see the previous iteration's
    changes); the result is then computed even when the loop runs zero times, so ``xs`` must be bound
    before the loop.
    """

    code = "PERF119"
    name = "sorted-in-loop"
    summary = "Sort once before the loop instead of on every iteration."
    tags = ("sorting", "hoist-invariant")
    safety = "unsafe"
    safety_reason = "a call in the loop could change the list or the key's names through an alias we cannot see"

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        findings = []
        for node in walk(tree):
            if not (is_call_to(node, source, "sorted") and len(node.args) == 1 and isinstance(node.args[0], ast.Name)):
                continue
            found = self._check(source, node)
            if found:
                findings.append(found)
        return findings

    def _check(self, source: Source, call: ast.Call) -> Finding | None:
        name = call.args[0].id
        names = {name}
        for keyword in call.keywords:
            if keyword.arg not in ("key", "reverse") or any(isinstance(n, ast.Call) for n in walk(keyword.value)):
                return None
            names |= {n.id for n in walk(keyword.value) if isinstance(n, ast.Name)}
        scope = scope_of(source, call)
        if (
            isinstance(scope, ast.ClassDef)
            or not private_to_scope(source, scope, name)
            or _escapes(source, scope, name)
        ):
            return None
        loop = _outermost_invariant_loop(source, call, names)
        if loop is None or not self._result_read_only(source, call, scope):
            return None
        if not any(
            not isinstance(n.ctx, ast.Load) and source.start(n) < source.stmt_start(loop)
            for n in scope_names(source, scope, name)
        ):
            return None
        hoisted = source.fresh_name(f"{name}_sorted")
        before = insert_before(source, loop, [f"{hoisted} = {source.segment(call)}"])
        if before is None:
            return None
        return self.finding(
            source,
            call,
            f"sorted({name}) is recomputed on every iteration although `{name}` does "
            "not change in the loop: sort once before it",
            [before, replace(source, call, hoisted)],
        )

    def _result_read_only(self, source: Source, call: ast.Call, scope: ast.AST) -> bool:
        parent = source.parent(call)
        if (
            isinstance(parent, ast.Assign)
            and parent.value is call
            and len(parent.targets) == 1
            and isinstance(parent.targets[0], ast.Name)
        ):
            target = parent.targets[0].id
            if not private_to_scope(source, scope, target):
                return False
            uses = scope_names(source, scope, target)
            stores = [u for u in uses if not isinstance(u.ctx, ast.Load)]
            return stores == [parent.targets[0]] and all(
                classify_use(source, u) is Use.READ for u in uses if isinstance(u.ctx, ast.Load)
            )
        if isinstance(parent, ast.Subscript) and parent.value is call:
            return isinstance(parent.ctx, ast.Load)
        if isinstance(parent, ast.For | ast.comprehension) and parent.iter is call:
            return True
        if isinstance(parent, ast.Compare):
            return True
        return is_call_to(
            parent,
            source,
            "len",
            "sum",
            "min",
            "max",
            "tuple",
            "set",
            "any",
            "all",
            "enumerate",
            "zip",
            "reversed",
            "print",
            "str",
        )


REGEX_FUNCTIONS = frozenset({"match", "search", "fullmatch", "findall", "finditer", "sub", "subn", "split"})


class RegexInLoop(Rule):
    """``re.match(r"pattern", s)`` (or search, sub, findall...) with a constant pattern inside a loop.

    Why faster: each module-level ``re`` call looks the pattern up in ``re``'s cache (hashing the
    pattern, type checks, a lock-free dict probe) before matching; a pattern compiled once before the
    loop skips all of that (~1.5x for short strings). When unsafe: only constant patterns and flags are
    hoisted, and ``re`` must be the standard module imported at the top level.
    """

    code = "PERF124"
    name = "regex-in-loop"
    summary = "Compile a constant regular expression once before the loop."
    tags = ("strings", "regex", "hoist-invariant")
    safety = "safe"
    safety_reason = "a constant pattern compiled once matches the same as re's per-call compile"

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        re_name = module_import(source, "re")
        if re_name is None:
            return []
        findings = []
        for node in walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in REGEX_FUNCTIONS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == re_name
                and node.args
            ):
                continue
            pattern = node.args[0]
            if not (isinstance(pattern, ast.Constant) and isinstance(pattern.value, str | bytes)):
                continue
            flags = [k for k in node.keywords if k.arg == "flags"]
            others = [k for k in node.keywords if k.arg != "flags"]
            if any(k.arg is None for k in node.keywords) or (
                flags and not self._constant_flags(flags[0].value, re_name)
            ):
                continue
            if len(node.args) > (3 if node.func.attr in ("sub", "subn") else 2):
                continue  # a positional flags argument
            if not _compiles(pattern.value, flags[0].value if flags else None):
                continue  # hoisted, the error would be raised before the loop, even if the call never runs
            loops = _loops_around(source, node)
            if not loops or not source.starts_line(loops[-1]):
                continue
            loop = loops[-1]
            compiled = source.fresh_name("pattern")
            flag_text = f", {source.segment(flags[0].value)}" if flags else ""
            before = insert_before(
                source, loop, [f"{compiled} = {re_name}.compile({source.segment(pattern)}{flag_text})"]
            )
            rest = [source.segment(a) for a in node.args[1:]] + [f"{k.arg}={source.segment(k.value)}" for k in others]
            call = f"{compiled}.{node.func.attr}({', '.join(rest)})"
            findings.append(
                self.finding(
                    source,
                    node,
                    f"re.{node.func.attr}() with a constant pattern in a loop looks "
                    "the pattern up on every call: compile it once",
                    [before, replace(source, node, call)],
                )
            )
        return findings

    def _constant_flags(self, node: ast.AST, re_name: str) -> bool:
        return all(
            isinstance(n, ast.BinOp | ast.BitOr | ast.Load | ast.Constant)
            or (isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == re_name)
            or (isinstance(n, ast.Name) and n.id == re_name)
            for n in walk(node)
        )


def _compiles(pattern: str | bytes, flags: ast.expr | None) -> bool:
    """Whether ``re.compile(pattern, flags)`` succeeds (``flags``: ints and ``re.X`` joined by ``|``)."""
    try:
        re.compile(pattern, 0 if flags is None else _flag_value(flags))
    except (re.error, TypeError, ValueError, OverflowError):
        return False
    return True


def _flag_value(node: ast.expr) -> int:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _flag_value(node.left) | _flag_value(node.right)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(getattr(re, node.attr, None), int):
        return getattr(re, node.attr)
    raise ValueError("not a constant flag")


class WhileLenHoist(Rule):
    """``while i < len(xs):`` with ``xs`` unchanged in the loop.

    Why faster: the condition calls ``len`` (a global lookup and a call) on every iteration; a length
    computed once is a local read (~1.5x for a tight loop). When unsafe: ``xs`` must not change in the
    loop: no append/pop, no rebinding, not passed to a function that could change it.
    """

    code = "PERF128"
    name = "while-len-hoist"
    summary = "Compute len(xs) once before a while loop that does not change xs."
    tags = ("loops", "hoist-invariant")
    safety = "unsafe"
    safety_reason = "a call in the loop could change the list through an alias we cannot see"
    builtins = ("len",)

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        if not is_builtin(source, "len"):
            return []
        findings = []
        for loop in walk(tree):
            if not isinstance(loop, ast.While):
                continue
            calls = [
                n
                for n in walk(loop.test)
                if is_call_to(n, source, "len")
                and len(n.args) == 1
                and isinstance(n.args[0], ast.Name)
                and not n.keywords
            ]
            for call in calls[:1]:
                name = call.args[0].id
                scope = scope_of(source, loop)
                if (
                    isinstance(scope, ast.ClassDef)
                    or not private_to_scope(source, scope, name)
                    or _escapes(source, scope, name)
                    or not _unchanged_in(source, loop, {name})
                ):
                    continue
                length = source.fresh_name(f"{name}_len")
                before = insert_before(source, loop, [f"{length} = len({name})"])
                if before is None:
                    continue
                edits = [before, *(replace(source, c, length) for c in calls if c.args[0].id == name)]
                findings.append(
                    self.finding(
                        source,
                        call,
                        f"len({name}) is recomputed on every test of this loop "
                        f"although `{name}` does not change: compute it once",
                        edits,
                    )
                )
        return findings
