"""Imports that cost start-up time for nothing."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import uses_dynamic_scope
from optimizer.rules.base import Finding, Rule, Source, TextEdit, walk
from optimizer.rules.edits import delete_statement, replace

# Packages whose import has no effect a program can observe besides binding the name. An import of
# anything else (a local module, ``this``, ``antigravity``, ``readline``...) may run code that matters.
SIDE_EFFECT_FREE = frozenset(
    {
        "numpy",
        "scipy",
        "pandas",
        "networkx",
        "sympy",
        "matplotlib",
        "sklearn",
        "numba",
        "statistics",
        "math",
        "cmath",
        "itertools",
        "collections",
        "heapq",
        "bisect",
        "functools",
        "operator",
        "copy",
        "re",
        "string",
        "fractions",
        "decimal",
        "random",
        "array",
        "queue",
        "typing",
        "time",
        "datetime",
        "calendar",
        "sys",
        "os",
        "io",
        "json",
        "pprint",
        "textwrap",
        "unicodedata",
        "dataclasses",
        "enum",
        "abc",
        "numbers",
        "types",
        "struct",
        "hashlib",
        "base64",
        "binascii",
        "zlib",
        "csv",
        "difflib",
        "inspect",
        "ast",
        "dis",
        "weakref",
        "contextlib",
        "threading",
        "bz2",
        "lzma",
        "gzip",
        "glob",
        "fnmatch",
        "shutil",
        "tempfile",
        "pathlib",
        "traceback",
        "warnings",
        "platform",
        "locale",
        "secrets",
        "uuid",
        "ctypes",
    }
)
# Approximate import cost where it is large enough to matter on its own.
IMPORT_COST = {
    "numpy": "~80 ms",
    "scipy": "~140 ms",
    "pandas": "~300 ms",
    "networkx": "~200 ms",
    "sympy": "~400 ms",
    "matplotlib": "~100 ms",
    "sklearn": "~500 ms",
    "numba": "~300 ms",
}


def _top_package(alias: ast.alias, stmt: ast.Import | ast.ImportFrom) -> str:
    module = alias.name if isinstance(stmt, ast.Import) else (stmt.module or "")
    return module.split(".")[0]


def _binding(alias: ast.alias) -> str:
    return (alias.asname or alias.name).split(".")[0]


def _import_text(stmt: ast.Import | ast.ImportFrom, aliases: list[ast.alias]) -> str:
    if isinstance(stmt, ast.Import):
        return ast.unparse(ast.Import(names=aliases))
    return ast.unparse(ast.ImportFrom(module=stmt.module, names=aliases, level=stmt.level))


def _names_read(source: Source) -> dict[str, int]:
    """How often each name is read (loaded) anywhere in the module, plus names listed in ``__all__``."""
    counts: dict[str, int] = {}
    for node in walk(source.tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load | ast.Del):
            counts[node.id] = counts.get(node.id, 0) + 1
        elif isinstance(node, ast.Global | ast.Nonlocal):
            for name in node.names:
                counts[name] = counts.get(name, 0) + 1
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            for sub in walk(node.value):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    counts[sub.value] = counts.get(sub.value, 0) + 1
    return counts


def _binding_count(source: Source) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in walk(source.tree):
        if isinstance(node, ast.alias):
            name = _binding(node)
            counts[name] = counts.get(name, 0) + 1
    return counts


class UnusedImport(Rule):
    """An import whose name the program never uses.

    Why faster: importing runs the module's code at start-up; NumPy alone takes about 80 ms, more than
    most contest programs' whole run, and SciPy or pandas far more. Removing the import removes the cost.
    When unsafe: an import can have side effects (registering codecs, patching, printing); only packages
    known to have none are removed. A name read through ``globals()``, ``eval``/``exec`` strings or
    ``__all__`` counts as used, and so does a name another import binds too. An import in the body of a
    ``try`` is an availability probe (``try: import threading`` / ``except ImportError:``): its success
    is what the program uses, so it is never reported.
    """

    code = "PERF101"
    name = "unused-import"
    summary = "Remove an import that is never used (NumPy and friends cost tens of milliseconds to import)."
    tags = ("libraries", "import-removal")
    safety = "unsafe"
    safety_reason = "another module may read the name through this one (a re-export we cannot see)"

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        if uses_dynamic_scope(tree) or _evaluates_strings(tree, source):
            return []
        reads = _names_read(source)
        bindings = _binding_count(source)
        findings = []
        for stmt in walk(tree):
            if not isinstance(stmt, ast.Import | ast.ImportFrom):
                continue
            if isinstance(stmt, ast.ImportFrom) and (stmt.module == "__future__" or stmt.level > 0):
                continue
            if _in_try_body(source, stmt):
                continue  # an availability probe: ``try: import threading`` / ``except ImportError: ...``
            unused = [
                alias
                for alias in stmt.names
                if alias.name != "*"
                and _top_package(alias, stmt) in SIDE_EFFECT_FREE
                and reads.get(_binding(alias), 0) == 0
                and bindings.get(_binding(alias), 0) == 1
            ]
            if not unused:
                continue
            kept = [alias for alias in stmt.names if alias not in unused]
            if kept:
                edit: TextEdit | None = replace(source, stmt, _import_text(stmt, kept))
            else:
                edit = delete_statement(source, stmt)
            names = ", ".join(f"`{_binding(a)}`" for a in unused)
            costs = [IMPORT_COST[_top_package(a, stmt)] for a in unused if _top_package(a, stmt) in IMPORT_COST]
            cost = f" (importing it costs {costs[0]} at start-up)" if costs else ""
            message = f"{names} {'is' if len(unused) == 1 else 'are'} imported but never used{cost}"
            findings.append(self.finding(source, stmt, message, [edit] if edit else []))
        return findings


def _in_try_body(source: Source, stmt: ast.stmt) -> bool:
    """Whether ``stmt`` runs inside the body of a ``try``: importing there tests whether the module exists."""
    child: ast.AST = stmt
    for ancestor in source.ancestors(stmt):
        if isinstance(ancestor, ast.Try | ast.TryStar) and any(s is child for s in ancestor.body):
            return True
        child = ancestor
    return False


def _evaluates_strings(tree: ast.Module, source: Source) -> bool:
    """Whether the program evaluates code it builds itself (eval/exec of anything but a line of input)."""
    for node in walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("eval", "exec"):
            arg = node.args[0] if node.args else None
            if not _is_input_line(arg):
                return True
    return False


def _is_input_line(node: ast.AST | None) -> bool:
    """``input()``, ``sys.stdin.readline()`` and the like, possibly stripped."""
    while (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("strip", "rstrip", "lstrip")
    ):
        node = node.func.value
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "input"
    return isinstance(func, ast.Attribute) and func.attr in ("readline", "read")
