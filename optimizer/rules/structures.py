"""The right data structure: sets for membership, deques for queues, dict lookups, copies not made."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import (
    COMPREHENSIONS,
    DEFINITIONS,
    FUNCTIONS,
    HASHABLE,
    LOOPS,
    Kinds,
    Use,
    classify_use,
    enclosing_statement,
    is_builtin,
    is_call_to,
    is_local_name,
    scope_of,
    walk_scope,
)
from optimizer.rules.base import Finding, Rule, Source, TextEdit, walk, walk_all
from optimizer.rules.edits import ensure_from_import, insert_before, module_import, replace

DICT_FACTORIES = frozenset({"dict", "defaultdict", "Counter", "OrderedDict"})


def scope_names(source: Source, scope: ast.AST, name: str) -> list[ast.Name]:
    """The ``Name`` nodes of ``name`` in ``scope`` itself (nested functions and classes not entered)."""
    return [n for n in walk_scope(scope) if isinstance(n, ast.Name) and n.id == name]


def private_to_scope(source: Source, scope: ast.AST, name: str) -> bool:
    """``name`` is a variable of ``scope`` that no nested function, lambda or class mentions."""
    if not is_local_name(scope, name):
        return False
    if isinstance(scope, FUNCTIONS) and name in {a.arg for a in walk(scope.args) if isinstance(a, ast.arg)}:
        return False
    for node in walk(scope):
        if (
            node is not scope
            and isinstance(node, DEFINITIONS)
            and any(
                (isinstance(n, ast.Name) and n.id == name) or (isinstance(n, ast.arg) and n.arg == name)
                for n in walk(node)
            )
        ):
            return False
    return True


def is_dict_like(source: Source, scope: ast.AST, name: str) -> bool:
    """Every binding of ``name`` in ``scope`` is a dict display, comprehension or dict-like constructor."""
    stores = [n for n in scope_names(source, scope, name) if not isinstance(n.ctx, ast.Load)]
    if not stores or not is_local_name(scope, name):
        return False
    for store in stores:
        parent = source.parent(store)
        if not (isinstance(parent, ast.Assign) and store in parent.targets):
            return False
        value = parent.value
        if isinstance(value, ast.Dict | ast.DictComp):
            continue
        if isinstance(value, ast.Call):
            func = value.func
            func_name = (
                func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            )
            if func_name in DICT_FACTORIES:
                continue
        return False
    return True


def _cheap_key(node: ast.AST) -> bool:
    """An expression evaluated twice gives the same value, cheaply: names, constants, their arithmetic."""
    return all(
        isinstance(
            n,
            ast.Name
            | ast.Constant
            | ast.Load
            | ast.Tuple
            | ast.BinOp
            | ast.UnaryOp
            | ast.operator
            | ast.unaryop
            | ast.Subscript
            | ast.Attribute,
        )
        for n in walk(node)
    )


class ListMembershipToSet(Rule):
    """``x in some_list`` tested in a loop while the list does not change.

    Why faster: ``in`` on a list compares element by element (O(n) per test); a set built once answers
    in O(1), so a loop of m tests drops from O(m·n) to O(m + n). When unsafe: the list must not change
    while the set stands in for it (no mutation or rebinding inside the loop, no nested function that
    could change it), its elements and the values tested must be hashable (by inference: numbers,
    strings, tuples of those), and a list of strings tested with ``in`` is still a list, not a string.
    """

    code = "PERF109"
    name = "list-membership-to-set"
    summary = "Test membership in a set built once instead of a list inside a loop."
    tags = ("data-structure", "loop", "membership")
    builtins = ("set",)

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        groups: dict[tuple[int, str], list[ast.Compare]] = {}
        anchors: dict[tuple[int, str], ast.stmt] = {}
        for node in walk(tree):
            if not (
                isinstance(node, ast.Compare)
                and len(node.ops) == 1
                and isinstance(node.ops[0], ast.In | ast.NotIn)
                and isinstance(node.comparators[0], ast.Name)
            ):
                continue
            anchor = _outermost_repeat_statement(source, node)
            if anchor is None:
                continue
            key = (id(anchor), node.comparators[0].id)
            groups.setdefault(key, []).append(node)
            anchors[key] = anchor
        findings = []
        for key, compares in groups.items():
            found = self._check(source, anchors[key], key[1], compares)
            if found:
                findings.append(found)
        return findings

    def _check(self, source: Source, anchor: ast.stmt, name: str, compares: list[ast.Compare]) -> Finding | None:
        scope = scope_of(source, anchor)
        if isinstance(scope, ast.ClassDef) or not private_to_scope(source, scope, name):
            return None
        kinds = Kinds(source, scope)
        kind = kinds.name(name)
        if not (kind and kind.startswith("list:") and kind[5:] in HASHABLE):
            return None
        for compare in compares:
            tested = kinds.of(compare.left)
            if isinstance(compare.left, ast.List | ast.ListComp | ast.Dict | ast.Set) or (
                tested is not None and tested not in HASHABLE
            ):
                return None
        if not any(
            isinstance(n, ast.Name)
            and n.id == name
            and not isinstance(n.ctx, ast.Load)
            and source.start(n) < source.stmt_start(anchor)
            for n in scope_names(source, scope, name)
        ):
            return None  # not bound before the loop
        for use in scope_names(source, scope, name):
            inside = any(a is anchor for a in source.ancestors(use))
            if inside and any(use is c.comparators[0] for c in compares):
                continue
            if inside and classify_use(source, use) is not Use.READ:
                return None
        set_name = source.fresh_name(f"{name}_set")
        before = insert_before(source, anchor, [f"{set_name} = set({name})"])
        if before is None:
            return None
        edits = [before, *(replace(source, c.comparators[0], set_name) for c in compares)]
        return self.finding(
            source,
            compares[0],
            f"`in {name}` scans the list on every test in this loop: a set built once answers in constant time",
            edits,
        )


def _outermost_repeat_statement(source: Source, node: ast.AST) -> ast.stmt | None:
    """The statement holding the outermost loop (or comprehension) around ``node`` in its scope."""
    scope = scope_of(source, node)
    outermost = None
    for ancestor in source.ancestors(node):
        if ancestor is scope:
            break
        if isinstance(ancestor, (*LOOPS, *COMPREHENSIONS)):
            outermost = ancestor
    if outermost is None:
        return None
    return outermost if isinstance(outermost, ast.stmt) else enclosing_statement(source, outermost)


class DictGetCounting(Rule):
    """``if k in d: d[k] += v else: d[k] = v`` (or ``try: d[k] += v except KeyError: d[k] = v``).

    Why faster: the membership test and the update look the key up three times, and a raised
    ``KeyError`` is expensive; ``d[k] = d.get(k, 0) + v`` looks it up twice with no branch (~1.5x).
    When unsafe: ``d`` must be a dict (every binding a dict display or dict-like constructor: on a list,
    ``in`` tests values while ``[]`` indexes), the key an expression without calls (it is evaluated
    twice), and ``v`` a number (``0 + v`` is ``v`` only for numbers).
    """

    code = "PERF115"
    name = "dict-get-counting"
    summary = "Update a count with d.get(k, 0) instead of a membership test or KeyError."
    tags = ("dict", "counting")

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        findings = []
        for node in walk(tree):
            parts = _if_counting(node) or _try_counting(node)
            if not parts:
                continue
            d, key, value = parts
            scope = scope_of(source, node)
            kinds = Kinds(source, scope)
            if (
                not is_dict_like(source, scope, d)
                or not _cheap_key(key)
                or any(isinstance(n, ast.Call) for n in walk(key))
                or kinds.of(value) not in ("int", "bool", "float")
            ):
                continue
            text = f"{d}[{source.segment(key)}] = {d}.get({source.segment(key)}, 0) + {source.segment(value)}"
            if not source.owns_lines(node):
                continue
            findings.append(
                self.finding(
                    source,
                    node,
                    f"`{d}[{source.segment(key)}]` is looked up three times to "
                    "count: d.get(k, 0) does it in one expression",
                    [replace(source, node, text)],
                )
            )
        return findings


def _subscript(node: ast.AST) -> tuple[str, ast.expr] | None:
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and not isinstance(node.slice, ast.Slice):
        return node.value.id, node.slice
    return None


def _same(a: ast.AST, b: ast.AST) -> bool:
    return ast.dump(a) == ast.dump(b)


def _update_pair(added: ast.stmt, assigned: ast.stmt) -> tuple[str, ast.expr, ast.expr] | None:
    """``d[k] += v`` and ``d[k] = v`` on the same dict, key and value."""
    if not (
        isinstance(added, ast.AugAssign)
        and isinstance(added.op, ast.Add)
        and isinstance(assigned, ast.Assign)
        and len(assigned.targets) == 1
    ):
        return None
    first, second = _subscript(added.target), _subscript(assigned.targets[0])
    if (
        not first
        or not second
        or first[0] != second[0]
        or not _same(first[1], second[1])
        or not _same(added.value, assigned.value)
    ):
        return None
    return first[0], first[1], added.value


def _if_counting(node: ast.AST) -> tuple[str, ast.expr, ast.expr] | None:
    if not (isinstance(node, ast.If) and len(node.body) == 1 and len(node.orelse) == 1):
        return None
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.comparators[0], ast.Name)):
        return None
    if isinstance(test.ops[0], ast.In):
        pair = _update_pair(node.body[0], node.orelse[0])
    elif isinstance(test.ops[0], ast.NotIn):
        pair = _update_pair(node.orelse[0], node.body[0])
    else:
        return None
    if pair is None or pair[0] != test.comparators[0].id or not _same(pair[1], test.left):
        return None
    return pair


def _try_counting(node: ast.AST) -> tuple[str, ast.expr, ast.expr] | None:
    if not (
        isinstance(node, ast.Try)
        and len(node.body) == 1
        and len(node.handlers) == 1
        and not node.orelse
        and not node.finalbody
    ):
        return None
    handler = node.handlers[0]
    if not (
        isinstance(handler.type, ast.Name)
        and handler.type.id == "KeyError"
        and handler.name is None
        and len(handler.body) == 1
    ):
        return None
    return _update_pair(node.body[0], handler.body[0])


class DictKeysMembership(Rule):
    """``k in d.keys()``: testing membership through the keys view.

    Why faster: ``k in d`` is the same hash lookup without creating a view object and calling a method
    (~1.6x for the test). When unsafe: only for dicts: the receiver must be bound to a dict display or
    dict-like constructor in its scope; otherwise the finding is reported without an edit.
    """

    code = "PERF117"
    name = "dict-keys-membership"
    summary = "Test `k in d` instead of `k in d.keys()`."
    tags = ("dict", "membership")

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        findings = []
        for node in walk(tree):
            if not (
                isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In | ast.NotIn)
            ):
                continue
            keys = node.comparators[0]
            if not (
                isinstance(keys, ast.Call)
                and isinstance(keys.func, ast.Attribute)
                and keys.func.attr == "keys"
                and not keys.args
                and not keys.keywords
            ):
                continue
            receiver = keys.func.value
            dict_like = isinstance(receiver, ast.Name) and is_dict_like(source, scope_of(source, node), receiver.id)
            edits = [replace(source, keys, source.segment(receiver))] if dict_like else []
            findings.append(
                self.finding(
                    source,
                    keys,
                    f"`in {source.segment(keys)}` builds a keys view to test "
                    f"membership: `in {source.segment(receiver)}` is the same "
                    "lookup",
                    edits,
                )
            )
        return findings


# Methods a deque has with the same meaning as on a list.
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
        "copy",
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
    tags = ("data-structure", "queue", "collections")

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
        if (
            use_kind is Use.READ
            and not is_call_to(parent, source, "print", "str", "repr", "format", "list")
            and not (
                isinstance(parent, ast.Compare) and any(not isinstance(op, ast.In | ast.NotIn) for op in parent.ops)
            )
            and not isinstance(parent, ast.BinOp | ast.FormattedValue)
        ):
            return None
        return False


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
    tags = ("memory", "copy")

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
    tags = ("copy",)

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
