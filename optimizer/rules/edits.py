"""Building edits: replace a node, delete a statement, insert lines around one, add an import."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import block_of, bound_anywhere, has_star_import
from optimizer.rules.base import Source, TextEdit, walk


def replace(source: Source, node: ast.AST, text: str) -> TextEdit:
    start, end = source.span(node)
    return TextEdit(start, end, text)


def delete_statement(source: Source, stmt: ast.stmt) -> TextEdit | None:
    """Remove a statement; ``pass`` stands in when it is the only one of its block. None if not possible."""
    found = block_of(source, stmt)
    if found is None:
        return None
    block, _ = found
    if len(block) == 1 and not isinstance(source.parent(stmt), ast.Module):
        return replace(source, stmt, "pass")
    start, end = source.stmt_start(stmt), source.end(stmt)
    if source.owns_lines(stmt):
        first_line_start = source.line_start(
            stmt.lineno if not getattr(stmt, "decorator_list", None) else source.position(start)[0]
        )
        return TextEdit(first_line_start, source.full_lines_end(stmt), "")
    line_end = source.line_end(stmt.end_lineno)
    rest = source.text[end:line_end]
    if rest.lstrip().startswith(";"):
        after = end + len(rest) - len(rest.lstrip()) + 1
        while after < line_end and source.text[after] in " \t":
            after += 1
        return TextEdit(start, after, "")
    before = source.text[:start].rstrip(" \t")
    if before.endswith(";"):
        return TextEdit(len(before) - 1, end, "")
    return None


def insert_before(source: Source, stmt: ast.stmt, lines: list[str]) -> TextEdit | None:
    """Insert ``lines`` as statements right before ``stmt`` at its indentation (None if it shares a line)."""
    if not source.starts_line(stmt):
        return None
    start = source.stmt_start(stmt)
    line_start = start - len(source.indent_of(stmt))
    return TextEdit(line_start, line_start, source.block(lines, source.indent_of(stmt)))


def insert_after(source: Source, stmt: ast.stmt, lines: list[str], indent: str | None = None) -> TextEdit | None:
    """Insert ``lines`` right after ``stmt`` (at its indentation unless given); None if it shares a line."""
    if not source.owns_lines(stmt):
        return None
    indent = source.indent_of(stmt) if indent is None else indent
    offset = source.full_lines_end(stmt)
    text = source.block(lines, indent)
    if offset == len(source.text) and not source.text.endswith(("\n", "\r")):
        text = source.newline + text
    return TextEdit(offset, offset, text)


def top_of_module(source: Source) -> int:
    """Where new module-level statements go: after the docstring and ``from __future__`` imports."""
    body = source.tree.body
    index = 0
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        index = 1
    while index < len(body) and isinstance(body[index], ast.ImportFrom) and body[index].module == "__future__":
        index += 1
    if index < len(body):
        stmt = body[index]
        return source.line_start(source.position(source.stmt_start(stmt))[0])
    if index == 0:
        return 0
    return source.full_lines_end(body[index - 1])


def insert_at_top(source: Source, lines: list[str]) -> TextEdit:
    offset = top_of_module(source)
    text = source.block(lines, "")
    if offset == len(source.text) and source.text and not source.text.endswith(("\n", "\r")):
        text = source.newline + text
    return TextEdit(offset, offset, text)


def module_import(source: Source, module: str, before: int | None = None) -> str | None:
    """The name under which a top-level ``import module`` binds it, if that name is never rebound.

    With ``before``, only an import that ends before that offset counts (it has run by then).
    """
    for stmt in source.tree.body:
        if before is not None and source.end(stmt) > before:
            break
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name == module:
                    name = alias.asname or alias.name
                    if _bound_once(source, name):
                        return name
    return None


def imported_name(source: Source, module: str, name: str, before: int | None = None) -> str | None:
    """The local name of a top-level ``from module import name`` (never rebound), if there is one."""
    for stmt in source.tree.body:
        if before is not None and source.end(stmt) > before:
            break
        if isinstance(stmt, ast.ImportFrom) and stmt.module == module and stmt.level == 0:
            for alias in stmt.names:
                if alias.name == name:
                    local = alias.asname or alias.name
                    if _bound_once(source, local):
                        return local
    return None


def _bound_once(source: Source, name: str) -> bool:
    """Only its import binds ``name`` (a star-import may rebind any name, so none counts then)."""
    if has_star_import(source):
        return False
    count = 0
    for node in walk(source.tree):
        if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
            return False
        if isinstance(node, ast.alias) and (node.asname or node.name).split(".")[0] == name:
            count += 1
        elif (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name) or (
            isinstance(node, ast.arg) and node.arg == name
        ):
            return False
    return count == 1


def ensure_from_import(
    source: Source, module: str, name: str, before: int | None = None
) -> tuple[str, list[TextEdit]] | None:
    """How to refer to ``module.name``: an existing binding, or a new ``from module import name`` line.

    An existing import counts when it is at the top level and ends before ``before`` (the first place the
    rewrite uses it). None when ``name`` means something else in the program (the import would shadow it).
    """
    local = imported_name(source, module, name, before)
    if local:
        return local, []
    qualified = module_import(source, module, before)
    if qualified:
        return f"{qualified}.{name}", []
    if name in bound_anywhere(source) or name in source.name_ids or has_star_import(source):
        return None
    return name, [insert_at_top(source, [f"from {module} import {name}"])]
