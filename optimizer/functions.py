"""Verifying a function rather than a program: where its inputs come from and how it is run.

A function is verified through a *driver*: a program that loads the module (as a module, so its
``if __name__ == "__main__"`` block stays quiet), calls the function on each verification input and prints
``repr`` of the result, of the arguments afterwards (in-place mutation is behaviour too) or of the
exception raised. The original's driver is the oracle, exactly as for stdin programs.

Inputs, each labelled with its source:
- ``doctest``: calls of the function in its docstring's examples;
- ``call site``: calls in the module whose arguments are all literals;
- ``hypothesis``: arguments drawn with hypothesis (derandomized) from the parameters' type hints, seeded
  with the literals seen at call sites.

Calls captured while the project's own tests run are a further source for functions and methods of a package:
``optimizer.project_runs`` captures them (pickled, not only literals) and ``optimizer.project_verify`` replays
them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass

from optimizer.candidates import VerificationInputs
from optimizer.sandbox_driver import MAX_ITERATED  # a returned iterator is cut where the sandbox driver cuts it

_LINE_END = re.compile(r"\r\n|\r|\n")

# Enough calls to be representative, few enough to keep verification within its time budget.
MAX_CALLS_PER_SOURCE = 20


class FunctionNotFoundError(LookupError):
    """The module has no top-level function of that name."""


@dataclass(frozen=True)
class FunctionCall:
    """The source text of one call's arguments, e.g. ``"[3, 1, 2], key=None"``, and where it came from."""

    arguments: str
    source: str


def find_function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    raise FunctionNotFoundError(f"no top-level function named {name!r} in the module")


def doctest_calls(module_source: str, name: str) -> list[FunctionCall]:
    function = find_function(ast.parse(module_source), name)
    docstring = ast.get_docstring(function, clean=True) or ""
    import doctest  # here: the language server's start-up imports this module for its line helpers

    try:
        examples = doctest.DocTestParser().get_examples(docstring)
    except ValueError:  # examples doctest itself cannot read (inconsistent indentation): none to call
        return []
    calls = []
    for example in examples:
        calls.extend(_calls_in(example.source, name, "doctest", literal_only=False))
    return calls[:MAX_CALLS_PER_SOURCE]


def call_site_calls(module_source: str, name: str) -> list[FunctionCall]:
    return _calls_in(module_source, name, "call site", literal_only=True)[:MAX_CALLS_PER_SOURCE]


def _calls_in(source: str, name: str, label: str, literal_only: bool) -> list[FunctionCall]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    calls = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name):
            continue
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            continue
        parts = [a for a in node.args] + [k.value for k in node.keywords]
        if literal_only and not all(_is_literal(p) for p in parts):
            continue
        texts = [ast.unparse(a) for a in node.args] + [f"{k.arg}={ast.unparse(k.value)}" for k in node.keywords]
        calls.append(FunctionCall(", ".join(texts), label))
    return calls


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def hypothesis_calls(module_source: str, name: str, count: int = MAX_CALLS_PER_SOURCE) -> list[FunctionCall]:
    """Arguments drawn from the type hints; none when a parameter has no hint we can generate for."""
    function = find_function(ast.parse(module_source), name)
    seeds = [value for call in call_site_calls(module_source, name)
             if (arguments := literal_arguments(call)) is not None for value in arguments[0]]
    strategies = []
    for arg in function.args.posonlyargs + function.args.args:
        strategy = _strategy(arg.annotation, seeds)
        if strategy is None:
            return []
        strategies.append(strategy)
    if not strategies:
        return []
    drawn = draw_examples(strategies, count)
    return [FunctionCall(", ".join(repr(v) for v in values), "hypothesis") for values in drawn]


def literal_arguments(call: FunctionCall) -> tuple[tuple, dict] | None:
    """``(args, kwargs)`` of a call whose arguments are all literals (``[3, 1], key=None``), else None."""
    try:
        node = ast.parse(f"f({call.arguments})", mode="eval").body
        assert isinstance(node, ast.Call)
        if any(keyword.arg is None for keyword in node.keywords):  # **mapping: not a literal
            return None
        return (tuple(ast.literal_eval(a) for a in node.args),
                {str(k.arg): ast.literal_eval(k.value) for k in node.keywords})
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):  # names, starred, calls, too deep
        return None


def _strategy(annotation: ast.expr | None, seeds: Sequence[object]):
    """A hypothesis strategy for a simple annotation (int, float, str, bool, list[...], tuple[...], ...)."""
    from hypothesis import strategies as st

    if annotation is None:
        return None
    simple = {
        "int": st.integers(-1000, 1000),
        "float": st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
        "str": st.text(alphabet="abcdefghij0123456789 ", max_size=30),
        "bool": st.booleans(),
        "bytes": st.binary(max_size=30),
    }
    if isinstance(annotation, ast.Name) and annotation.id in simple:
        base = simple[annotation.id]
        same_type = [s for s in seeds if type(s).__name__ == annotation.id]
        return st.one_of(st.sampled_from(same_type), base) if same_type else base
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name):
        container = annotation.value.id.lower()
        items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        inner = [_strategy(item, seeds) for item in items if not isinstance(item, ast.Constant)]
        if any(s is None for s in inner) or not inner:
            return None
        if container in ("list", "sequence", "iterable"):
            return st.lists(inner[0], max_size=30)
        if container == "set":
            return st.sets(inner[0], max_size=30)
        if container == "tuple":
            ellipsis = any(isinstance(i, ast.Constant) and i.value is Ellipsis for i in items)
            return st.lists(inner[0], max_size=10).map(tuple) if ellipsis else st.tuples(*inner)
        if container == "dict" and len(inner) == 2:
            return st.dictionaries(inner[0], inner[1], max_size=20)
    return None


def draw_examples(strategies: list, count: int) -> list[tuple]:
    """Up to ``count`` distinct tuples drawn from ``strategies``, the same on every run (derandomized)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    drawn: list[tuple] = []

    @settings(
        max_examples=count, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(st.tuples(*strategies))
    def collect(values: tuple) -> None:
        if values not in drawn:
            drawn.append(values)

    collect()
    return drawn[:count]


def function_inputs(module_source: str, name: str) -> list[FunctionCall]:
    """Every verification call for ``name``: doctests, literal call sites, then hypothesis."""
    calls = doctest_calls(module_source, name) + call_site_calls(module_source, name)
    calls += hypothesis_calls(module_source, name)
    unique: dict[str, FunctionCall] = {}
    for call in calls:
        unique.setdefault(call.arguments, call)
    return list(unique.values())


def driver_program(module_source: str, name: str, calls: Sequence[FunctionCall], repeat: int = 1) -> str:
    """A program that runs ``name`` on every call ``repeat`` times and prints what the first pass saw."""
    lines = [
        "from collections.abc import Iterator as _Iterator",
        "from io import IOBase as _IOBase",
        "from itertools import islice as _islice",
        "_namespace = {'__name__': '__pyperf_target__'}",
        f"exec(compile({module_source!r}, 'target.py', 'exec'), _namespace)",
        f"_function = _namespace[{name!r}]",
        "_calls = []",
    ]
    for call in calls:
        # Arguments are evaluated in the module's namespace (doctests may use its names), afresh each pass.
        maker = f"lambda: (lambda *a, **k: (a, k))({call.arguments})"
        lines.append(f"_calls.append(eval({maker!r}, _namespace))")
    lines += [
        f"for _pass in range({repeat}):",
        "    for _make in _calls:",
        "        _args, _kwargs = _make()",
        "        try:",
        "            _value = _function(*_args, **_kwargs)",
        # A generator, zip, map, ...: its work happens as it is consumed, and it compares by what it yields
        "            if isinstance(_value, _Iterator) and not isinstance(_value, _IOBase):",
        f"                _value = ('iterated', list(_islice(_value, {MAX_ITERATED})))",
        "            _outcome = ('returned', _value)",
        "        except Exception as _error:",
        "            _outcome = ('raised', type(_error).__name__)",
        "        if _pass == 0:",
        "            print(repr((_outcome, _args, _kwargs)))",
    ]
    return "\n".join(lines) + "\n"


DRIVER_INPUT = VerificationInputs((b"",), ("driver",))  # a driver reads nothing


def call_counts(calls: Sequence[FunctionCall]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for call in calls:
        counts[call.source] = counts.get(call.source, 0) + 1
    return counts


def line_starts(text: str) -> list[int]:
    """Offsets where the lines of ``text`` start.

    Lines end at ``\\r\\n``, ``\\r`` or ``\\n``, as Python's tokenizer (so ``ast`` line numbers) and LSP count
    them; ``str.splitlines`` would also split on form feeds and other separators, and disagree with both.
    """
    return [0] + [m.end() for m in _LINE_END.finditer(text)]


def statement_span(node: ast.stmt, starts: Sequence[int], length: int) -> tuple[int, int]:
    """Character offsets of a statement (a function: decorators included), from the start of its first line to
    the start of the line after its last (``length``, the text's, when it ends the text).

    ``starts`` is ``line_starts`` of the text, computed once by a caller that asks for many statements.
    """
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    after = (node.end_lineno or node.lineno) + 1
    return starts[first - 1], starts[after - 1] if after - 1 < len(starts) else length


def function_span(module_source: str, function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int]:
    """Character offsets of the function in the module, decorators included, to the end of its last line."""
    return statement_span(function, line_starts(module_source), len(module_source))
