"""Module-level code in loops: move the script part of a program into a function."""

from __future__ import annotations

import ast
import symtable

from optimizer.rules.analysis import LOOPS, names_in, stored_names, uses_dynamic_scope
from optimizer.rules.base import BUILTIN_NAMES, Finding, Rule, Source, TextEdit, child_nodes, walk


class WrapModuleLoop(Rule):
    """Loops at module level, where every variable is a dictionary lookup.

    Why faster: at module level each read and write of a variable goes through the module's dict
    (``LOAD_NAME``/``STORE_NAME``); inside a function, local variables live in an array slot
    (``LOAD_FAST``), typically 1.5-3x faster for loop-heavy code. The rewrite moves the statements after
    the program's last definition (or the body of a trailing ``if __name__ == "__main__":``) into
    ``def main():`` and calls it.

    When unsafe: a variable the moved code assigns would become local, so names that anything else
    reads or writes as a global (the program's functions and classes, code before the moved part), and
    names of builtins (a local ``max = ...`` would shadow ``max`` before its assignment) are declared
    ``global`` in ``main``. Not applied when the code uses ``global`` at module level, star imports,
    ``exec``, ``globals()``/``locals()``/``vars()``, or has no loop to speed up.
    """

    code = "PERF106"
    name = "wrap-module-loop"
    summary = "Move module-level loops into a main() function so their variables are fast locals."
    tags = ("loops", "local-variables")
    safety = "unsafe"
    safety_reason = "module-level names the moved code assigns become locals: importers no longer see them"
    exclusive = True
    keeps_name_bindings = True

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        body = tree.body
        if not body or uses_dynamic_scope(tree):
            return []
        last_definition = max(
            (i for i, s in enumerate(body) if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)),
            default=-1,
        )
        first = last_definition + 1
        while first < len(body) and _is_header(body[first]):
            first += 1
        if first >= len(body):
            return []
        tail = body[-1]
        if first == len(body) - 1 and _is_main_guard(tail):
            return self._guard(source, tail)
        moved = body[first:]
        return self._suffix(source, moved)

    # --- the statements after the last definition -----------------------------------------------

    def _suffix(self, source: Source, moved: list[ast.stmt]) -> list[Finding]:
        if not _worth_it(moved) or not _movable(moved) or not source.starts_line(moved[0]):
            return []
        rest = [s for s in source.tree.body if not any(s is m for m in moved)]
        shared = _names_needing_global(source, moved, rest)
        main = _main_name(source)
        unit = _unit_for(source, moved[0].lineno, source.line_count)
        start_line = moved[0].lineno
        header = [f"def {main}():"]
        if shared:
            header.append(f"{unit}global {', '.join(sorted(shared))}")
        edits = [TextEdit(source.line_start(start_line), source.line_start(start_line), source.block(header, ""))]
        edits.extend(_indent_lines(source, start_line, source.line_count, unit))
        edits.append(_append_at_end(source, [f"{main}()"]))
        message = (
            f"{_loops(moved)} at module level, where every variable is a dict lookup: moving the code "
            f"into {main}() makes them fast locals"
        )
        return [self.header_finding(source, _first_loop(moved), message, edits)]

    # --- the body of ``if __name__ == "__main__":`` -----------------------------------------------

    def _guard(self, source: Source, guard: ast.If) -> list[Finding]:
        moved = guard.body
        if (
            guard.orelse
            or not _worth_it(moved)
            or not _movable(moved)
            or moved[0].lineno == guard.lineno
            or guard.test.end_lineno != guard.lineno
            or not source.starts_line(moved[0])
        ):
            return []
        rest = [s for s in source.tree.body if s is not guard]
        shared = _names_needing_global(source, moved, rest)
        main = _main_name(source)
        body_indent = source.indent_of(moved[0])
        edits = [TextEdit(source.stmt_start(guard), source.line_end(guard.lineno), f"def {main}():")]
        if shared:
            first_body_line = source.line_start(moved[0].lineno)
            edits.append(
                TextEdit(
                    first_body_line, first_body_line, source.block([f"global {', '.join(sorted(shared))}"], body_indent)
                )
            )
        condition = source.segment(guard.test)
        edits.append(_append_at_end(source, ["", "", f"if {condition}:", f"{body_indent}{main}()"]))
        message = (
            f"{_loops(moved)} in the module's namespace under `if __name__ == ...`, where every variable "
            f"is a dict lookup: moving the code into {main}() makes them fast locals"
        )
        return [self.header_finding(source, _first_loop(moved), message, edits)]


def _is_header(stmt: ast.stmt) -> bool:
    """Statements that stay at module level: the docstring and imports."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
        return True
    return isinstance(stmt, ast.Import | ast.ImportFrom)


def _is_main_guard(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
        return False
    test = stmt.test
    sides = [test.left, *test.comparators]
    return (
        len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
        and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    )


def _worth_it(moved: list[ast.stmt]) -> bool:
    return _loop_count(moved) > 0


def _loops(moved: list[ast.stmt]) -> str:
    count = _loop_count(moved)
    return f"{count} loop{'s run' if count != 1 else ' runs'}"


def _loop_count(moved: list[ast.stmt]) -> int:
    count = 0
    for stmt in moved:
        for node in _walk_outside_functions(stmt):
            if isinstance(node, (*LOOPS, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                count += 1
    return count


def _first_loop(moved: list[ast.stmt]) -> ast.AST:
    for stmt in moved:
        for node in _walk_outside_functions(stmt):
            if isinstance(node, LOOPS):
                return node
    return moved[0]


def _walk_outside_functions(node: ast.AST):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in child_nodes(current):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                stack.append(child)


def _movable(moved: list[ast.stmt]) -> bool:
    for stmt in moved:
        for node in _walk_outside_functions(stmt):
            if isinstance(node, ast.Global | ast.Nonlocal | ast.Return | ast.Yield | ast.YieldFrom | ast.Await):
                return False
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                return False
            if isinstance(node, ast.Name) and node.id in ("__annotations__",):
                return False
    return True


def _names_needing_global(source: Source, moved: list[ast.stmt], rest: list[ast.stmt]) -> set[str]:
    """Names the moved code binds that must stay module globals.

    Those are the names any function or class of the program uses as a global (from the symbol table),
    the names the rest of the module-level code mentions, builtins (a local would shadow them before its
    first assignment) and dunder names.
    """
    bound: set[str] = set()
    for stmt in moved:
        bound |= _bound_outside_functions(stmt)
    elsewhere = _global_references(source, moved)
    for stmt in rest:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            elsewhere.add(stmt.name)
            for part in [*stmt.decorator_list, *getattr(stmt, "bases", []), *getattr(stmt, "keywords", [])]:
                elsewhere |= names_in(part)
            if not isinstance(stmt, ast.ClassDef):
                for default in [*stmt.args.defaults, *(d for d in stmt.args.kw_defaults if d is not None)]:
                    elsewhere |= names_in(default)
        else:
            elsewhere |= names_in(stmt)
    return {n for n in bound if n in elsewhere or n in BUILTIN_NAMES or n.startswith("__")}


def _global_references(source: Source, moved: list[ast.stmt]) -> set[str]:
    """Names that the program's functions, lambdas, comprehensions and classes use as module globals.

    Scopes inside the moved code only count for names they declare ``global``: their other references to
    the moved code's variables become closure references once the code is inside ``main``.
    """
    first, last = moved[0].lineno, moved[-1].end_lineno
    found: set[str] = set()
    stack = [
        (table, False)
        for table in symtable.symtable(source.text.removeprefix("\ufeff"), "<rules>", "exec").get_children()
    ]
    while stack:
        table, inside = stack.pop()
        inside = inside or first <= table.get_lineno() <= last
        stack.extend((child, inside) for child in table.get_children())
        for symbol in table.get_symbols():
            if symbol.is_declared_global():
                found.add(symbol.get_name())
            elif inside:
                continue
            elif symbol.is_global() or (table.get_type() == "class" and not symbol.is_local()):
                found.add(symbol.get_name())
    return found


def _bound_outside_functions(stmt: ast.stmt) -> set[str]:
    bound: set[str] = set()
    for node in _walk_outside_functions(stmt):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif (isinstance(node, ast.ExceptHandler) and node.name) or (
            isinstance(node, ast.MatchAs | ast.MatchStar) and node.name
        ):
            bound.add(node.name)
    # Definitions nested in the moved code (under if/for) bind their names too.
    for node in walk(stmt):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node is not stmt:
            bound.add(node.name)
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        bound.add(stmt.name)
    # Comprehension targets are the comprehension's own.
    return bound - _comprehension_only_targets(stmt)


def _comprehension_only_targets(stmt: ast.stmt) -> set[str]:
    in_comprehensions: set[str] = set()
    elsewhere: set[str] = set()
    for node in walk(stmt):
        if isinstance(node, ast.comprehension):
            in_comprehensions |= stored_names(node.target)
    for node in _walk_outside_functions(stmt):
        if isinstance(node, ast.comprehension):
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and not _under_comprehension(node, stmt):
            elsewhere.add(node.id)
    return in_comprehensions - elsewhere


def _under_comprehension(name: ast.Name, root: ast.AST) -> bool:
    for node in walk(root):
        if isinstance(node, ast.comprehension) and any(sub is name for sub in walk(node.target)):
            return True
    return False


def _main_name(source: Source) -> str:
    for candidate in ("main", "_main", "main_", "run_main"):
        if candidate not in source.identifiers and candidate not in BUILTIN_NAMES:
            return candidate
    return source.fresh_name("main")


def _unit_for(source: Source, first_line: int, last_line: int) -> str:
    """The indentation to add: a tab where the moved lines indent with tabs (keeps them consistent)."""
    for lineno in range(first_line, last_line + 1):
        line = source.line_text(lineno)
        if line[: len(line) - len(line.lstrip())].count("\t"):
            return "\t"
    unit = source.indent_unit
    return unit if unit.strip() == "" and "\t" not in unit else "    "


def _indent_lines(source: Source, first_line: int, last_line: int, unit: str) -> list[TextEdit]:
    edits = []
    inside_strings = source.string_continuation_lines
    for lineno in range(first_line, last_line + 1):
        if lineno in inside_strings or not source.line_text(lineno).strip():
            continue
        line = source.line_text(lineno)
        # After any form feeds: they reset the column count, so indentation must follow them.
        offset = source.line_start(lineno) + len(line) - len(line.lstrip("\x0c"))
        edits.append(TextEdit(offset, offset, unit))
    return edits


def _append_at_end(source: Source, lines: list[str]) -> TextEdit:
    end = len(source.text)
    text = source.block(lines, "")
    if source.text and not source.text.endswith(("\n", "\r")):
        text = source.newline + text
    return TextEdit(end, end, text)
