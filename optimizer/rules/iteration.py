"""Iterating the direct way: over the elements, over lazy iterables, stopping early."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import (
    DEFINITIONS,
    Use,
    classify_use,
    is_builtin,
    is_call_to,
    names_in,
    private_to_scope,
    scope_of,
)
from optimizer.rules.base import Finding, Rule, Source, TextEdit, walk, walk_all
from optimizer.rules.edits import replace
from optimizer.rules.loops import targets_unused_after


class RangeLenIndex(Rule):
    """``for i in range(len(xs)):`` where ``i`` is only used as ``xs[i]``.

    Why faster: each ``xs[i]`` is an index operation on top of the ``range`` iteration; iterating over
    ``xs`` directly hands out the elements (~1.5x for the loop). When unsafe: ``i`` used for anything but
    reading ``xs[i]`` (stores into ``xs[i]``, arithmetic on ``i``), ``i`` read after the loop, or ``xs``
    changed in the loop (iterating a list that grows differs from a fixed ``range``).
    """

    code = "PERF123"
    name = "range-len-index"
    summary = "Iterate over the elements instead of range(len(xs)) when the index only reads xs[i]."
    tags = ("loops", "restructure")
    safety = "unsafe"
    safety_reason = "iterating must yield xs[0], xs[1], ...: not so for a dict or a custom container"

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        findings = []
        for loop in walk(tree):
            if not (
                isinstance(loop, ast.For)
                and isinstance(loop.target, ast.Name)
                and not loop.orelse
                and is_call_to(loop.iter, source, "range")
                and len(loop.iter.args) == 1
                and is_call_to(loop.iter.args[0], source, "len")
                and len(loop.iter.args[0].args) == 1
                and isinstance(loop.iter.args[0].args[0], ast.Name)
            ):
                continue
            index, seq = loop.target.id, loop.iter.args[0].args[0].id
            found = self._check(source, loop, index, seq)
            if found:
                findings.append(found)
        return findings

    def _check(self, source: Source, loop: ast.For, index: str, seq: str) -> Finding | None:
        scope = scope_of(source, loop)
        if isinstance(scope, ast.ClassDef) or index == seq:
            return None
        reads = []
        for node in walk_all(loop.body):
            if isinstance(node, DEFINITIONS) and {index, seq} & names_in(node):
                return None
            if isinstance(node, ast.Name) and node.id == index:
                parent = source.parent(node)
                if not (
                    isinstance(node.ctx, ast.Load)
                    and isinstance(parent, ast.Subscript)
                    and parent.slice is node
                    and isinstance(parent.value, ast.Name)
                    and parent.value.id == seq
                    and isinstance(parent.ctx, ast.Load)
                ):
                    return None
                reads.append(parent)
            elif isinstance(node, ast.Name) and node.id == seq and classify_use(source, node) is not Use.READ:
                return None
        if not reads or not targets_unused_after(source, loop, {index}):
            return None
        if (
            isinstance(scope, ast.Module)
            and not private_to_scope(source, scope, seq)
            and any(isinstance(n, ast.Call) for n in walk_all(loop.body))
        ):
            return None  # a function called in the loop might change the global list
        item = source.fresh_name(seq[:-1] if seq.endswith("s") and len(seq) > 2 else f"{seq}_item")
        edits = [replace(source, loop.target, item), replace(source, loop.iter, seq)]
        edits.extend(replace(source, read, item) for read in reads)
        return self.finding(source, loop.iter, f"`{index}` only indexes `{seq}`: iterate over `{seq}` directly", edits)


# Consumers that read their whole argument once before doing anything else.
CONSUMERS = frozenset({"sorted", "sum", "min", "max", "set", "frozenset", "tuple", "list", "reversed", "len"})
LAZY_SOURCES = frozenset({"range", "map", "filter", "zip", "enumerate", "reversed"})
PURE_CONVERSIONS = frozenset({"int", "str", "float", "len", "abs", "ord", "chr", "tuple", "bool", "sorted"})


class RedundantListCall(Rule):
    """``list(...)`` around a lazy iterable that is only iterated once: ``for i in list(range(n))``,
    ``a, b = list(map(int, line.split()))``, ``sorted(list(xs))``.

    Why faster: the list is built, iterated once and thrown away; iterating the ``range``/``map``
    directly skips building it (memory and time proportional to its length). When unsafe: a ``for`` loop
    over ``map``/``filter``/``zip`` reads its sources lazily, so the loop must not change them and the
    mapped function must be a pure builtin conversion; ``reversed`` needs a sequence (fine for
    ``range``); ``len`` only takes ``range`` (not ``map``).
    """

    code = "PERF129"
    name = "redundant-list-call"
    summary = "Iterate a range/map/zip directly instead of materialising it with list() first."
    tags = ("memory-copies",)
    safety = "unsafe"
    safety_reason = "the loop now reads map/filter/zip sources lazily: a change to them through an alias shows"

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        findings = []
        for node in walk(tree):
            if not (is_call_to(node, source, "list") and len(node.args) == 1 and not node.keywords):
                continue
            inner = node.args[0]
            if not (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Name)
                and inner.func.id in LAZY_SOURCES
                and is_builtin(source, inner.func.id)
            ):
                continue
            if not self._safe(source, node, inner):
                continue
            findings.append(
                self.finding(
                    source,
                    node,
                    f"list() builds a list from {inner.func.id}() only to iterate it once: iterate it directly",
                    [replace(source, node, source.segment(inner))],
                )
            )
        return findings

    def _safe(self, source: Source, call: ast.Call, inner: ast.Call) -> bool:
        parent = source.parent(call)
        kind = inner.func.id
        if kind != "range" and not self._pure_source(source, inner):
            return False
        if isinstance(parent, ast.For) and parent.iter is call:
            if kind == "range":
                return True
            changed = {n.id for n in walk(inner) if isinstance(n, ast.Name)}
            for node in walk_all(parent.body):
                if isinstance(node, ast.Name) and node.id in changed and classify_use(source, node) is not Use.READ:
                    return False
                if isinstance(node, ast.Call) and not (
                    isinstance(node.func, ast.Name) and is_builtin(source, node.func.id)
                ):
                    return False
            return True
        if isinstance(parent, ast.comprehension) and parent.iter is call:
            return kind == "range" or self._comprehension_pure(source, parent)
        if (
            isinstance(parent, ast.Assign)
            and parent.value is call
            and len(parent.targets) == 1
            and isinstance(parent.targets[0], ast.Tuple | ast.List)
            and not any(isinstance(e, ast.Starred) for e in parent.targets[0].elts)
        ):
            return True
        return (
            is_call_to(parent, source, *CONSUMERS)
            and parent.args == [call]
            and not (parent.func.id in ("reversed", "len") and kind != "range")
        )

    def _pure_source(self, source: Source, inner: ast.Call) -> bool:
        """A map/filter/zip/enumerate over builtin conversions whose arguments do not call anything else."""
        if inner.func.id in ("map", "filter"):
            func = inner.args[0] if inner.args else None
            if not (isinstance(func, ast.Name) and func.id in PURE_CONVERSIONS and is_builtin(source, func.id)):
                return False
            arguments = inner.args[1:]
        else:
            arguments = inner.args
        for argument in arguments:
            for node in walk(argument):
                if isinstance(node, ast.Call) and not self._reading_call(source, node):
                    return False
        return True

    def _reading_call(self, source: Source, call: ast.Call) -> bool:
        func = call.func
        if isinstance(func, ast.Name):
            return is_builtin(source, func.id) and func.id in PURE_CONVERSIONS | {"input", "range", "map", "zip"}
        if isinstance(func, ast.Attribute):
            return func.attr in ("split", "strip", "rstrip", "readline", "read")
        return False

    def _comprehension_pure(self, source: Source, generator: ast.comprehension) -> bool:
        comprehension = source.parent(generator)
        return not any(
            isinstance(n, ast.Call) and not (isinstance(n.func, ast.Name) and is_builtin(source, n.func.id))
            for n in walk(comprehension)
            if n is not generator.iter and not any(n is m for m in walk(generator.iter))
        )


class AnyAllOverList(Rule):
    """``any([...])`` or ``all([...])`` over a list comprehension.

    Why faster: the list comprehension evaluates every element before ``any``/``all`` looks at the
    first; a generator lets them stop at the first decisive element (and builds no list). When unsafe:
    elements after the decisive one are no longer evaluated, so the element expression and conditions
    may only call pure builtins (no input, printing or user functions with side effects).
    """

    code = "PERF130"
    name = "any-all-over-list"
    summary = "Pass a generator, not a list comprehension, to any()/all() so they can stop early."
    tags = ("loops", "early-exit")
    safety = "unsafe"
    safety_reason = "elements after the decisive one are no longer computed: an error they would raise disappears"

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        findings = []
        for node in walk(tree):
            if not (
                is_call_to(node, source, "any", "all")
                and len(node.args) == 1
                and not node.keywords
                and isinstance(node.args[0], ast.ListComp)
            ):
                continue
            comprehension = node.args[0]
            if any(
                isinstance(n, ast.Call)
                and not (
                    isinstance(n.func, ast.Name)
                    and is_builtin(source, n.func.id)
                    and n.func.id in PURE_CONVERSIONS | {"max", "min", "sum", "range"}
                )
                for n in walk(comprehension)
            ) or any(isinstance(n, ast.NamedExpr | ast.Await) for n in walk(comprehension)):
                continue
            start, end = source.span(comprehension)
            inner = source.text[start + 1 : end - 1]
            findings.append(
                self.finding(
                    source,
                    node,
                    f"{node.func.id}() gets a fully built list: a generator lets it stop at the first decisive element",
                    [TextEdit(start, end, inner)],
                )
            )
        return findings
