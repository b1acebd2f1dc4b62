"""The function or method "Optimize for speed" works on, the region a model sees, and putting a rewrite back.

A target is a top-level function or a method of a class (instance, class or static; classes nested in
classes included). A function nested in another is not verified on its own: the cursor inside it targets
the enclosing function or method, which is what gets called, captured and timed.

The model sees the target alone, dedented, after the module's imports and top-level assignments that it uses,
never the whole file. A rewrite comes back as such a region: its definition of the target is re-indented into
the module, and the imports it added go after the module's own.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass

from optimizer.functions import FunctionNotFoundError, line_starts, statement_span

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
# A top-level assignment longer than this is left out of the region: a model needs the names, not big tables.
MAX_CONTEXT_LINES = 6


@dataclass(frozen=True)
class Target:
    """A function or method of a module: its qualified name (``Catalog.percentile_ranks``) and its span."""

    qualname: str
    start: int  # character offsets of the definition, decorators included, to the start of the next line
    end: int
    indent: str  # the definition's indentation in the module

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def is_method(self) -> bool:
        return "." in self.qualname


def targets(tree: ast.Module, text: str) -> list[Target]:
    """Every top-level function and method in the module, in order."""
    starts = line_starts(text)
    found: list[Target] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, FunctionNode):
                start, end = statement_span(node, starts, len(text))
                found.append(Target(prefix + node.name, start, end, " " * node.col_offset))
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return found


def target_at(tree: ast.Module, text: str, start: int, end: int) -> Target | None:
    """The target holding the selection [start, end) (a cursor: start == end); None outside every function."""
    for target in targets(tree, text):
        # A selection ending exactly at the start of the next line still lies within the function.
        if target.start <= start < target.end and end <= target.end:
            return target
    return None


def find_target(tree: ast.Module, text: str, qualname: str) -> Target:
    for target in targets(tree, text):
        if target.qualname == qualname:
            return target
    raise FunctionNotFoundError(f"no function or method named {qualname!r} in the module")


def model_region(text: str, tree: ast.Module, target: Target) -> str:
    """What the model rewrites: the imports and short top-level assignments the target uses, then the target."""
    body = textwrap.dedent(text[target.start:target.end])
    used = {n.id for n in ast.walk(ast.parse(body)) if isinstance(n, ast.Name)}
    used |= {n.value.id for n in ast.walk(ast.parse(body))
             if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    context = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a for a in node.names if (a.asname or a.name).split(".")[0] in used or a.name == "*"]
            if names:
                context.append(_import_text(node, names))
        elif isinstance(node, ast.Assign | ast.AnnAssign) and (node.end_lineno or 0) - node.lineno < MAX_CONTEXT_LINES:
            targets_ = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id in used for t in targets_):
                context.append(ast.get_source_segment(text, node) or ast.unparse(node))
    return ("\n".join(context) + "\n\n\n" if context else "") + body


def _import_text(node: ast.Import | ast.ImportFrom, names: list[ast.alias]) -> str:
    kept = ast.Import(names) if isinstance(node, ast.Import) else ast.ImportFrom(node.module, names, node.level)
    return ast.unparse(kept)


def splice(text: str, tree: ast.Module, target: Target, rewritten: str) -> str | None:
    """The module with the target replaced by its definition in ``rewritten`` (a region), new imports added;
    None when ``rewritten`` does not parse or defines no function of the target's name."""
    try:
        region = ast.parse(rewritten)
    except (SyntaxError, ValueError):
        return None
    definition = _definition(region, target.name)
    if definition is None:
        return None
    start, end = statement_span(definition, line_starts(rewritten), len(rewritten))
    code = textwrap.dedent(rewritten[start:end])
    code = textwrap.indent(code if code.endswith("\n") else code + "\n", target.indent)
    existing = {ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)}
    added = "".join(f"{ast.unparse(n)}\n" for n in region.body
                    if isinstance(n, ast.Import | ast.ImportFrom) and ast.unparse(n) not in existing)
    at = _import_position(tree, text) if added else 0
    if at <= target.start:
        return text[:at] + added + text[at:target.start] + code + text[target.end:]
    return text[:target.start] + code + text[target.end:at] + added + text[at:]


def _definition(region: ast.Module, name: str) -> FunctionNode | None:
    """The region's definition of ``name``: at its top level, or inside a class a model wrapped it in."""
    for node in region.body:
        if isinstance(node, FunctionNode) and node.name == name:
            return node
    for node in region.body:
        if isinstance(node, ast.ClassDef):
            found = _definition(ast.Module(node.body, []), name)
            if found is not None:
                return found
    return None


def _import_position(tree: ast.Module, text: str) -> int:
    """Where added imports go: after the module's last top-level import (after its docstring and
    ``__future__`` imports when it has none)."""
    starts = line_starts(text)
    last = None
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            last = node
        elif last is not None:
            break
    if last is None:
        first = tree.body[0] if tree.body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            last = first
        else:
            return 0
    return statement_span(last, starts, len(text))[1]
