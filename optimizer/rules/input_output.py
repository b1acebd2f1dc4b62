"""Reading and writing: line-by-line ``input()``, ``eval(input())``, ``print`` in loops."""

from __future__ import annotations

import ast

from optimizer.rules.analysis import (
    COMPREHENSIONS,
    DEFINITIONS,
    FUNCTIONS,
    LOOPS,
    bound_anywhere,
    is_builtin,
    is_call_to,
    scope_of,
)
from optimizer.rules.base import Finding, Rule, Source, child_nodes, walk
from optimizer.rules.edits import insert_after, insert_at_top, insert_before, module_import, replace
from optimizer.rules.kinds import Kinds

INPUT_HELPER = [
    "",
    "",
    "def input():",
    "    line = sys.stdin.readline()",
    "    if not line:",
    '        raise EOFError("EOF when reading a line")',
    '    return line.rstrip("\\n")',
    "",
    "",
]


class BufferedInput(Rule):
    """``input()`` called for every line in a loop.

    Why faster: the builtin ``input()`` checks whether the terminal is interactive and flushes stdout on
    every call (system calls per line); the rewrite defines a module-level ``input`` that reads
    ``sys.stdin.readline`` and behaves exactly like the builtin without a prompt: it strips the one trailing
    newline, raises ``EOFError`` at the end of input and looks ``sys.stdin`` up on every call (about 2x
    faster). The bare ``input = sys.stdin.readline`` (3x) is not offered: past the end of input it returns
    ``''`` (``[]`` from ``.split()``) where the builtin raised ``EOFError``, so a loop that relied on that
    error to stop would run on, and it keeps reading the stream it was bound to when ``sys.stdin`` is
    replaced. When unsafe: a prompt argument (``input("> ")``) writes to stdout, and a program that binds
    the name ``input`` or ``sys`` itself is left alone.
    """

    code = "PERF103"
    name = "buffered-input"
    summary = "Read lines with sys.stdin.readline instead of input() in loops."
    tags = ("io", "input-readline")
    safety = "safe"
    safety_reason = (
        "the reader keeps input()'s newline stripping, EOFError and per-call sys.stdin; no prompt is rewritten"
    )

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        if not is_builtin(source, "input"):
            return []
        calls = [n for n in walk(tree) if is_call_to(n, source, "input")]
        if not calls or any(c.args or c.keywords for c in calls):
            return []
        looped = [c for c in calls if any(isinstance(a, LOOPS + COMPREHENSIONS) for a in source.ancestors(c))]
        if not looped:
            return []
        first_use = min(source.start(c) for c in calls)
        reader = INPUT_HELPER
        edits = None
        sys_name = module_import(source, "sys", before=first_use)
        if sys_name == "sys":
            import_stmt = next(
                s
                for s in tree.body
                if isinstance(s, ast.Import)
                and any(a.name == "sys" and not a.asname for a in s.names)
                and source.end(s) <= first_use
            )
            edit = insert_after(source, import_stmt, reader, indent="")
            edits = [edit] if edit else None
        if edits is None:
            if "sys" in bound_anywhere(source) and sys_name is None:
                return []
            edits = [insert_at_top(source, ["import sys", *reader])]
        message = (
            f"input() is called in a loop ({len(calls)} call{'s' if len(calls) > 1 else ''} in all): "
            "sys.stdin.readline reads each line about 3x faster"
        )
        return [self.finding(source, looped[0], message, edits)]


def _is_input_line(node: ast.AST, source: Source) -> bool:
    """``input()``, ``sys.stdin.readline()``, optionally followed by ``.strip()``/``.rstrip()``."""
    while (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("strip", "rstrip")
        and not node.args
    ):
        node = node.func.value
    if is_call_to(node, source, "input") and not node.args:
        return True
    return (
        isinstance(node, ast.Call)
        and not node.args
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "readline"
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr == "stdin"
    )


class EvalInput(Rule):
    """``int(eval(input()))``: evaluating a line of input as Python code only to get a number.

    Why faster: ``eval`` compiles the line as an expression and runs it (several microseconds a line,
    ten times the cost of reading it); ``int()`` and ``float()`` parse the text directly, and a discarded
    ``eval(input())`` only needs the line to be consumed. When unsafe: an input line that is an
    expression (``2+3``), a float read into ``int`` (``int('3.5')`` raises where ``int(eval('3.5'))``
    gives 3) or a hexadecimal literal; contest inputs are plain numbers, and the verifier checks.
    Conversely ``eval('07')`` raises while ``int('07')`` is 7.
    """

    code = "PERF104"
    name = "eval-input"
    summary = "Drop eval() around a line of input that int()/float() converts anyway."
    tags = ("io", "eval-removal")
    safety = "unsafe"
    safety_reason = "an input line that is an expression, a float or a literal such as 07 is read differently"

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        if not is_builtin(source, "eval"):
            return []
        findings = []
        for node in walk(tree):
            if not (
                is_call_to(node, source, "eval")
                and len(node.args) == 1
                and not node.keywords
                and _is_input_line(node.args[0], source)
            ):
                continue
            parent = source.parent(node)
            inner = source.segment(node.args[0])
            if is_call_to(parent, source, "int", "float") and len(parent.args) == 1 and not parent.keywords:
                message = (
                    f"{parent.func.id}(eval(...)) evaluates the line as Python code: {parent.func.id}() "
                    "parses it directly"
                )
            elif isinstance(parent, ast.Expr):
                message = "eval() of a line whose value is discarded: reading the line is enough"
            else:
                continue
            findings.append(self.finding(source, node, message, [replace(source, node, inner)]))
        return findings


# Statements that could end the loop before its output is printed, or run code the rule cannot see.
STOPS_OR_HIDES_OUTPUT = (
    *DEFINITIONS,
    ast.Raise,
    ast.Return,
    ast.Yield,
    ast.YieldFrom,
    ast.Await,
    ast.Try,
    ast.With,
    ast.AsyncWith,
    ast.Global,
)
# Calls that end the program or write to stdout behind print's back.
EXITS = frozenset({"exit", "quit", "_exit"})


class PrintInLoop(Rule):
    """``print`` called for every line of output in a loop.

    Why faster: each ``print`` call parses its arguments, converts them and writes twice (the text and
    the end); collecting the lines in a list and printing them joined once costs a fraction of that.
    The output is byte for byte the same: ``print(a, b)`` becomes ``"%s %s" % (a, b)`` (``%s`` is
    ``str()``), and nothing is printed when the loop printed nothing. When unsafe: anything that can
    interleave other output or stop the program before the final print: other writes to stdout,
    ``print(..., end=...)``/``file=``/``flush=``, ``exit()``/``raise``/``return``/``yield`` in the loop,
    calls of the program's own functions that print or exit, a ``try`` around the loop that could
    catch an error and carry on printing, or a ``while True:`` loop without ``break`` (it only ends with
    an exception, after the original printed its lines). Those loops are left alone.
    """

    code = "PERF105"
    name = "print-in-loop"
    summary = "Collect a loop's output lines and print them once."
    tags = ("io", "output-batch")
    safety = "unsafe"
    safety_reason = "output is written at the end: a crash or other output in between (stderr, a child) reorders it"
    builtins = ("print", "str", "map")

    def find(self, tree: ast.Module, source: Source) -> list[Finding]:
        if not is_builtin(source, "print") or _writes_stdout_elsewhere(tree):
            return []
        noisy = _output_functions(tree, source)
        findings: list[Finding] = []
        for scope in [tree, *(n for n in walk(tree) if isinstance(n, FUNCTIONS))]:
            if isinstance(scope, ast.Lambda) or _is_generator(scope):
                continue
            for loop in _top_loops(scope.body):
                findings.extend(self._try(source, loop, scope, noisy))
        return findings

    def _try(self, source: Source, loop: ast.stmt, scope: ast.AST, noisy: set[str]) -> list[Finding]:
        prints = [n for n in walk(loop) if is_call_to(n, source, "print")]
        if not prints:
            return []
        if self._qualifies(source, loop, scope, prints, noisy):
            finding = self._rewrite(source, loop, prints)
            if finding:
                return [finding]
        found = []
        for inner in _top_loops(_child_statements(loop)):
            found.extend(self._try(source, inner, scope, noisy))
        return found

    def _qualifies(
        self, source: Source, loop: ast.stmt, scope: ast.AST, prints: list[ast.Call], noisy: set[str]
    ) -> bool:
        if _endless(loop):
            return False  # only an exception ends it: the original's lines would be printed, ours lost
        for node in walk(loop):
            if isinstance(node, STOPS_OR_HIDES_OUTPUT):
                return False
            if isinstance(node, ast.Name) and node.id == "print" and not _is_print_callee(node, source):
                return False
            if isinstance(node, ast.Call):
                callee = (
                    node.func.id
                    if isinstance(node.func, ast.Name)
                    else node.func.attr
                    if isinstance(node.func, ast.Attribute)
                    else None
                )
                if callee in EXITS or callee in noisy or callee == "write":
                    return False
        for call in prints:
            if not isinstance(source.parent(call), ast.Expr) or not _print_text(source, call):
                return False
        for ancestor in source.ancestors(loop):
            if ancestor is scope:
                break
            if isinstance(ancestor, ast.Try | ast.TryStar | ast.With | ast.AsyncWith):
                return False
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef) and _called_under_try(source, scope.name):
            return False
        return source.owns_lines(loop)

    def _rewrite(self, source: Source, loop: ast.stmt, prints: list[ast.Call]) -> Finding | None:
        out = source.fresh_name("output_lines")
        before = insert_before(source, loop, [f"{out} = []"])
        after = insert_after(source, loop, [f"if {out}:", f'{source.unit_of(loop)}print("\\n".join({out}))'])
        if before is None or after is None:
            return None
        edits = [before]
        edits.extend(replace(source, call, f"{out}.append({_print_text(source, call)})") for call in prints)
        edits.append(after)
        message = (
            f"print() is called in this loop ({len(prints)} call{'s' if len(prints) > 1 else ''}): "
            "collect the lines and print them once"
        )
        return self.finding(source, min(prints, key=source.start), message, edits)


def _endless(loop: ast.stmt) -> bool:
    """A ``while True:`` loop without a ``break`` of its own."""
    if not (isinstance(loop, ast.While) and isinstance(loop.test, ast.Constant) and loop.test.value):
        return False
    stack = list(loop.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Break):
            return False
        if not isinstance(node, (*LOOPS, *DEFINITIONS)):
            stack.extend(child_nodes(node))
    return True


def _print_text(source: Source, call: ast.Call) -> str | None:
    """The text one ``print`` call writes, as an expression without its final newline (None: not handled)."""
    sep = " "
    for keyword in call.keywords:
        if keyword.arg == "sep" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
            sep = keyword.value.value
        elif keyword.arg == "end" and isinstance(keyword.value, ast.Constant) and keyword.value.value == "\n":
            continue
        else:
            return None
    args = call.args
    if not args:
        return '""'
    if len(args) == 1 and isinstance(args[0], ast.Starred):
        return f"{sep!r}.join(map(str, {source.segment(args[0].value)}))"
    if any(isinstance(a, ast.Starred) for a in args):
        return None
    if len(args) == 1:
        text = source.segment(args[0])
        kinds = Kinds(source, scope_of(source, call))
        return text if kinds.of(args[0]) == "str" else f"str({text})"
    template = sep.replace("%", "%%").join(["%s"] * len(args))
    return f"{template!r} % ({', '.join(source.segment(a) for a in args)})"


def _is_print_callee(name: ast.Name, source: Source) -> bool:
    parent = source.parent(name)
    return isinstance(parent, ast.Call) and parent.func is name


def _writes_stdout_elsewhere(tree: ast.Module) -> bool:
    """``sys.stdout`` used directly, rebound or redirected anywhere: output order is not print's alone."""
    for node in walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("stdout", "__stdout__"):
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "print"
            and any(k.arg in ("file", "flush") for k in node.keywords)
        ):
            return True
    return False


def _output_functions(tree: ast.Module, source: Source) -> set[str]:
    """Names of the program's functions, methods and classes that print, write, exit or raise."""
    noisy: set[str] = set()
    definitions = [n for n in walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    changed = True
    while changed:
        changed = False
        for definition in definitions:
            if definition.name in noisy:
                continue
            for node in walk(definition):
                loud = isinstance(node, ast.Raise | ast.Yield | ast.YieldFrom) or (
                    isinstance(node, ast.Call)
                    and (
                        (
                            isinstance(node.func, ast.Name)
                            and (node.func.id in EXITS or node.func.id == "print" or node.func.id in noisy)
                        )
                        or (
                            isinstance(node.func, ast.Attribute)
                            and (node.func.attr in EXITS or node.func.attr == "write" or node.func.attr in noisy)
                        )
                    )
                )
                if loud:
                    noisy.add(definition.name)
                    changed = True
                    break
    return noisy


def _called_under_try(source: Source, name: str) -> bool:
    for node in walk(source.tree):
        if isinstance(node, ast.Try | ast.TryStar):
            for stmt in node.body:
                for sub in walk(stmt):
                    if isinstance(sub, ast.Name) and sub.id == name:
                        return True
    return False


def _is_generator(scope: ast.AST) -> bool:
    return any(isinstance(n, ast.Yield | ast.YieldFrom) for n in walk(scope))


def _child_statements(stmt: ast.stmt) -> list[ast.stmt]:
    children: list[ast.stmt] = []
    for field in ("body", "orelse", "finalbody"):
        children.extend(getattr(stmt, field, []) or [])
    for handler in getattr(stmt, "handlers", []) or []:
        children.extend(handler.body)
    for case in getattr(stmt, "cases", []) or []:
        children.extend(case.body)
    return children


def _top_loops(statements: list[ast.stmt]) -> list[ast.stmt]:
    """The loops in ``statements`` that no other loop among them contains (not entering functions)."""
    loops: list[ast.stmt] = []
    for stmt in statements:
        if isinstance(stmt, LOOPS):
            loops.append(stmt)
        elif not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            loops.extend(_top_loops(_child_statements(stmt)))
    return loops
