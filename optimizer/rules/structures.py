"""The right data structure: deques for queues, copies not made, shallow copies of flat lists."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import (
    LOOPS,
    Use,
    classify_use,
    is_builtin,
    is_call_to,
    private_to_scope,
    scope_names,
    scope_of,
)
from optimizer.rules.base import Finding, Rule, Source, TextEdit, walk, walk_all
from optimizer.rules.edits import ensure_from_import, module_import, replace
from optimizer.rules.kinds import Kinds

# Methods a deque has with the same meaning as on a list (``copy`` is not: it returns a deque).
DEQUE_METHODS = frozenset(
    {
        "append",
        "appendleft",
        "pop",
        "popleft",
        "extend",
        "extendleft",
        "remove",
        "count",
        "index",
        "clear",
        "reverse",
        "insert",
        "rotate",
    }
)


class ListAsQueue(Rule):
    """A list used as a queue: ``q.pop(0)`` or ``q.insert(0, x)``.

    Why faster: removing or inserting at the front of a list shifts every element (O(n));
    ``collections.deque`` does both in O(1), so a BFS over n nodes drops from O(n²) to O(n).
    When unsafe: a deque has no slicing, ``sort`` or list concatenation and prints differently, so every
    use of the name must be one a deque supports the same way (front/back pops and appends, indexing,
    ``len``, truth tests, ``in``, iteration) and the list must not escape (returned, passed to a
    function, aliased). Every binding of the name must be a list display, which becomes a deque.
    """

    code = "PERF118"
    name = "list-as-queue"
    summary = "Use collections.deque for a list popped or inserted at the front."
    tags = ("data-structures", "deque")
    safety = "safe"
    safety_reason = "every use is one a deque supports the same way and the list never escapes its scope"

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        candidates: dict[tuple[int, str], ast.Call] = {}
        for node in walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and _front_operation(node)
            ):
                scope = scope_of(source, node)
                candidates.setdefault((id(scope), node.func.value.id), node)
        findings = []
        for (_, name), call in candidates.items():
            found = self._check(source, scope_of(source, call), name, call)
            if found:
                findings.append(found)
        return findings

    def _check(self, source: Source, scope: ast.AST, name: str, first: ast.Call) -> Finding | None:
        if isinstance(scope, ast.ClassDef) or not private_to_scope(source, scope, name):
            return None
        edits: list[TextEdit] = []
        bindings: list[ast.expr] = []
        for use in scope_names(source, scope, name):
            parent = source.parent(use)
            if isinstance(use.ctx, ast.Store):
                if not (
                    isinstance(parent, ast.Assign)
                    and parent.targets == [use]
                    and (isinstance(parent.value, ast.List) or is_call_to(parent.value, source, "list"))
                ):
                    return None
                bindings.append(parent.value)
                continue
            if isinstance(use.ctx, ast.Del):
                return None
            edit = self._use(source, use, parent)
            if edit is False:
                return None
            if isinstance(edit, TextEdit):
                edits.append(edit)
        if not bindings:
            return None
        found = ensure_from_import(source, "collections", "deque", before=min(source.start(b) for b in bindings))
        if found is None:
            return None
        deque, import_edits = found
        for value in bindings:
            if isinstance(value, ast.List):
                text = f"{deque}()" if not value.elts else f"{deque}({source.segment(value)})"
            else:
                text = f"{deque}({', '.join(source.segment(a) for a in value.args)})"
            edits.append(replace(source, value, text))
        return self.finding(
            source,
            first,
            f"`{name}.{first.func.attr}({source.segment(first.args[0])}, ...)` "
            "shifts the whole list: collections.deque does it in O(1)"
            if first.func.attr == "insert"
            else f"`{name}.pop(0)` shifts the whole list: deque.popleft() is O(1)",
            [*import_edits, *edits],
        )

    def _use(self, source: Source, use: ast.Name, parent: ast.AST) -> TextEdit | bool | None:
        """The edit a use needs, None if it works unchanged on a deque, False if it does not."""
        if isinstance(parent, ast.For) and parent.iter is use:
            # A list may grow while a loop iterates it; a deque raises "mutated during iteration".
            body = walk_all(parent.body)
            return False if any(isinstance(n, ast.Name) and n.id == use.id for n in body) else None
        if isinstance(parent, ast.Attribute) and parent.value is use:
            call = source.parent(parent)
            if not (isinstance(call, ast.Call) and call.func is parent) or parent.attr not in DEQUE_METHODS:
                return False
            if _front_operation(call):
                if parent.attr == "pop":
                    return TextEdit(source.start(parent), source.end(call), f"{use.id}.popleft()")
                return TextEdit(
                    source.start(parent), source.end(call), f"{use.id}.appendleft({source.segment(call.args[1])})"
                )
            if parent.attr == "pop" and call.args:
                return False
            return None
        if isinstance(parent, ast.Subscript) and parent.value is use:
            return False if isinstance(parent.slice, ast.Slice) else None
        use_kind = classify_use(source, use)
        if isinstance(parent, ast.Call) and not is_call_to(parent, source, *EAGER_READERS):
            # isinstance/type see a deque; enumerate, zip, map... read it lazily, and a deque mutated meanwhile
            # raises where a list goes on; print, str and list show or copy it differently.
            return False
        if (
            use_kind is Use.READ
            and not (
                isinstance(parent, ast.Compare) and any(not isinstance(op, ast.In | ast.NotIn) for op in parent.ops)
            )
            and not isinstance(parent, ast.BinOp | ast.FormattedValue)
        ):
            return None
        return False


# Builtins that consume a list or deque at once, and give the same result for both.
EAGER_READERS = ("len", "sum", "min", "max", "sorted", "any", "all", "set", "frozenset", "tuple", "bool", "dict")


def _front_operation(call: ast.Call) -> bool:
    attr = call.func.attr
    if attr == "pop" and len(call.args) == 1 and not call.keywords:
        return isinstance(call.args[0], ast.Constant) and call.args[0].value == 0 and type(call.args[0].value) is int
    if attr == "insert" and len(call.args) == 2 and not call.keywords:
        return isinstance(call.args[0], ast.Constant) and call.args[0].value == 0 and type(call.args[0].value) is int
    return False


class NeedlessCopy(Rule):
    """A copy (``a[:]``, ``list(a)``, ``a.copy()``, ``copy.copy(a)``) that is never needed.

    Why faster: copying a list costs O(n) time and memory; if neither the copy nor the original changes
    while both exist, the original can be used directly. When unsafe: the copy must only be read (no
    mutation, not returned, passed to a function or aliased), the original must not change after the
    copy is made (nor before it, in a loop around it), and neither may be seen by a nested function.
    ``list(x)`` is a copy only when ``x`` is a list (by inference); otherwise it converts and stays.
    """

    code = "PERF125"
    name = "needless-copy"
    summary = "Drop a list copy that neither the copy nor the original ever modifies."
    tags = ("memory-copies",)
    safety = "unsafe"
    safety_reason = "an alias or bound method made before the copy can still change the original"

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        findings = []
        for node in walk(tree):
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
                continue
            original = self._copied(source, node.value)
            if original is None:
                continue
            found = self._check(source, node, node.targets[0].id, original)
            if found:
                findings.append(found)
        return findings

    def _copied(self, source: Source, value: ast.AST) -> str | None:
        if (
            isinstance(value, ast.Subscript)
            and isinstance(value.value, ast.Name)
            and isinstance(value.slice, ast.Slice)
            and value.slice.lower is None
            and value.slice.upper is None
            and value.slice.step is None
        ):
            return value.value.id
        if is_call_to(value, source, "list") and len(value.args) == 1 and isinstance(value.args[0], ast.Name):
            return value.args[0].id
        if (
            isinstance(value, ast.Call)
            and not value.args
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "copy"
            and isinstance(value.func.value, ast.Name)
        ):
            return value.func.value.id
        if (
            isinstance(value, ast.Call)
            and len(value.args) == 1
            and isinstance(value.args[0], ast.Name)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "copy"
            and isinstance(value.func.value, ast.Name)
            and value.func.value.id == module_import(source, "copy")
        ):
            return value.args[0].id
        return None

    def _check(self, source: Source, assign: ast.Assign, copy: str, original: str) -> Finding | None:
        scope = scope_of(source, assign)
        if copy == original or isinstance(scope, ast.ClassDef):
            return None
        if not private_to_scope(source, scope, copy) or not private_to_scope(source, scope, original):
            return None
        kind = Kinds(source, scope).name(original)
        if not (kind and kind.startswith("list:")):
            return None
        copy_uses = scope_names(source, scope, copy)
        if [u for u in copy_uses if not isinstance(u.ctx, ast.Load)] != [assign.targets[0]]:
            return None
        if any(classify_use(source, u) is not Use.READ for u in copy_uses if isinstance(u.ctx, ast.Load)):
            return None
        copy_start = source.stmt_start(assign)
        loops = [
            a for a in source.ancestors(assign) if isinstance(a, LOOPS) and any(s is scope for s in source.ancestors(a))
        ]
        for use in scope_names(source, scope, original):
            if use is assign.value or any(use is n for n in walk(assign.value)):
                continue
            if classify_use(source, use) is Use.READ:
                continue
            before = source.start(use) < copy_start and not any(any(n is use for n in walk(loop)) for loop in loops)
            if not before:
                return None
        return self.finding(
            source,
            assign.value,
            f"`{copy}` is a copy of `{original}` that neither ever modifies: use the list itself",
            [replace(source, assign.value, original)],
        )


class DeepcopyFlat(Rule):
    """``copy.deepcopy`` of a list of numbers or strings.

    Why faster: ``deepcopy`` walks the object recursively through Python code, keeping a memo of every
    object (~50x slower than a slice for a flat list); numbers and strings are immutable, so a shallow
    copy ``xs[:]`` is an equal and equally independent list. When unsafe: any element that is itself
    mutable (a list of lists) needs the deep copy; only lists whose elements are all numbers or strings
    by inference are rewritten.
    """

    code = "PERF126"
    name = "deepcopy-flat-list"
    summary = "Copy a flat list of immutables with a slice instead of copy.deepcopy."
    tags = ("memory-copies", "deepcopy-removal")
    safety = "safe"
    safety_reason = "a shallow copy of a list of immutable values is an equal, independent list"

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        copy_module = module_import(source, "copy")
        from_name = None
        for stmt in tree.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module == "copy":
                for alias in stmt.names:
                    if alias.name == "deepcopy":
                        from_name = alias.asname or alias.name
        findings = []
        for node in walk(tree):
            if not (isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords):
                continue
            func = node.func
            is_deepcopy = (
                isinstance(func, ast.Attribute)
                and func.attr == "deepcopy"
                and isinstance(func.value, ast.Name)
                and copy_module is not None
                and func.value.id == copy_module
            ) or (
                isinstance(func, ast.Name)
                and from_name is not None
                and func.id == from_name
                and not is_builtin(source, func.id)
            )
            if not is_deepcopy:
                continue
            kind = Kinds(source, scope_of(source, node)).of(node.args[0])
            if not (kind and kind.startswith("list:") and kind[5:] in ("int", "float", "str", "bool", "none", "bytes")):
                continue
            arg = source.segment(node.args[0])
            if not isinstance(node.args[0], ast.Name | ast.Attribute | ast.Subscript | ast.Call):
                arg = f"({arg})"
            findings.append(
                self.finding(
                    source,
                    node,
                    f"deepcopy of a list of immutable values: {arg}[:] makes the same independent copy",
                    [replace(source, node, f"{arg}[:]")],
                )
            )
        return findings
