"""The project's own diff summariser: names the optimisation between a slow and a fast program.

``summarise_change(slow, fast)`` reads both programs' syntax trees, extracts performance-relevant
traits (how input is read, which containers are searched, loop nesting, recursion, caching, ...) and
turns the traits that changed into plain words, e.g. "reads all input at once with
sys.stdin.buffer.read() instead of calling input() per line". ``describe_code(code)`` describes one
program by the same traits; it is the "description" embedded next to the code when
``EmbedderOptions.text_mode`` asks for it.

Anything that produces a ``ChangeSummary`` can replace ``RuleSummariser`` (an LLM summariser, say):
see the ``Summariser`` protocol. The module is stdlib-only and cheap to import.
"""

from __future__ import annotations

import ast
import difflib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

SUMMARISER_VERSION = "rules-1"

_LOOP_NODES = (ast.For, ast.AsyncFor, ast.While)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_READ_ALL = {
    "sys.stdin.buffer.read": "sys.stdin.buffer.read()",
    "sys.stdin.read": "sys.stdin.read()",
    "sys.stdin.readlines": "sys.stdin.readlines()",
    "sys.stdin.buffer.readlines": "sys.stdin.buffer.readlines()",
    "open(0).read": "open(0).read()",
    "open(0).readlines": "open(0).readlines()",
    "stdin.read": "sys.stdin.read()",
    "stdin.buffer.read": "sys.stdin.buffer.read()",
}
_READLINE = {"sys.stdin.readline", "sys.stdin.buffer.readline", "stdin.readline", "stdin.buffer.readline"}
_AGGREGATES = ("sum", "max", "min", "any", "all")
_STR_METHODS = ("count", "translate", "find", "rfind", "startswith", "endswith", "replace", "split")
_MATH_HELPERS = ("gcd", "lcm", "comb", "perm", "isqrt", "factorial", "prod", "bit_count")


def unified_diff(slow: str, fast: str) -> str:
    """The unified diff of two programs, as FasterPy stores it (``input.py`` -> ``target.py``)."""
    lines = difflib.unified_diff(
        slow.strip().splitlines(), fast.splitlines(), fromfile="input.py", tofile="target.py", lineterm=""
    )
    return "\n".join(lines)


@dataclass
class CodeTraits:
    """Performance-relevant facts about one program, read from its syntax tree."""

    parsed: bool = True
    lines: int = 0
    imports: set[str] = field(default_factory=set)
    names_imported: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)
    calls_in_loop: Counter[str] = field(default_factory=Counter)
    max_loop_depth: int = 0
    loops: int = 0
    module_level_loops: int = 0
    comprehensions: int = 0
    append_loops: int = 0
    read_all: str | None = None
    per_line_input: bool = False
    readline_alias: bool = False
    print_in_loop: bool = False
    joined_output: bool = False
    list_membership_in_loop: bool = False
    set_or_dict_membership: bool = False
    str_concat_in_loop: bool = False
    list_concat_in_loop: bool = False
    recursive: set[str] = field(default_factory=set)
    memoised: bool = False
    memo_dict: bool = False
    pop_front: bool = False
    try_in_loop: bool = False
    breaks: int = 0
    list_mult_init: int = 0
    list_comp_init: int = 0
    cmp_to_key: bool = False
    subscript_sum_loop: bool = False
    methods: Counter[str] = field(default_factory=Counter)
    methods_in_loop: Counter[str] = field(default_factory=Counter)
    while_loops: int = 0
    step_slice_assign: bool = False
    reverse_slice: bool = False
    midpoint: bool = False

    @property
    def uses_numpy(self) -> bool:
        return "numpy" in self.imports

    def called(self, *names: str) -> bool:
        return any(self.calls[name] for name in names)

    def called_in_loop(self, *names: str) -> bool:
        return any(self.calls_in_loop[name] for name in names)

    def uses(self, *qualified: str) -> bool:
        """Whether any of the ``module.name`` given is imported by name or called."""
        return any(name in self.names_imported or self.calls[name] for name in qualified)

    def called_short(self, short: str) -> bool:
        """Whether a function whose last name part is ``short`` is called (``Counter``, ``heappush``)."""
        return any(name.split(".")[-1] == short for name in self.calls)


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain; ``open(0).read`` for calls on open(0); None otherwise."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
        parts.append("open(0)")
    else:
        return "." + ".".join(reversed(parts)) if parts else None
    return ".".join(reversed(parts))


class _TraitVisitor(ast.NodeVisitor):
    def __init__(self, traits: CodeTraits) -> None:
        self.t = traits
        self.loop_depth = 0
        self.function_stack: list[str] = []
        self.list_names: set[str] = set()
        self.set_names: set[str] = set()
        self.str_names: set[str] = set()
        self.aliases: dict[str, str] = {}
        self.memo_functions: set[str] = set()

    # --- imports -----------------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            top = alias.name.split(".")[0]
            self.t.imports.add(top)
            if alias.asname:
                self.aliases[alias.asname] = alias.name
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module:
            self.t.imports.add(node.module.split(".")[0])
            for alias in node.names:
                self.t.names_imported.add(f"{node.module}.{alias.name}")
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        self.generic_visit(node)

    # --- scopes and loops --------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = _dotted(target) or ""
            if name.split(".")[-1] in ("lru_cache", "cache"):
                self.t.memoised = True
        self.function_stack.append(node.name)
        saved_depth, self.loop_depth = self.loop_depth, 0
        self.generic_visit(node)
        self.loop_depth = saved_depth
        self.function_stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _enter_loop(self, node: ast.AST, body: Iterable[ast.stmt] = ()) -> None:
        self.t.loops += 1
        if not self.function_stack:
            self.t.module_level_loops += 1
        self.loop_depth += 1
        self.t.max_loop_depth = max(self.t.max_loop_depth, self.loop_depth)
        for statement in body:
            if _appends_to_list(statement):
                self.t.append_loops += 1
                break
        self.generic_visit(node)
        self.loop_depth -= 1

    def visit_For(self, node: ast.For) -> None:
        self._enter_loop(node, node.body)

    visit_AsyncFor = visit_For

    def visit_While(self, node: ast.While) -> None:
        self.t.while_loops += 1
        self._enter_loop(node, node.body)

    def _visit_comprehension(self, node: ast.AST) -> None:
        self.t.comprehensions += 1
        if isinstance(node, ast.ListComp) and _is_constant_comprehension(node):
            self.t.list_comp_init += 1
        generators = len(getattr(node, "generators", []))
        self.loop_depth += generators
        self.t.max_loop_depth = max(self.t.max_loop_depth, self.loop_depth)
        self.generic_visit(node)
        self.loop_depth -= generators

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comprehension

    def visit_Break(self, node: ast.Break) -> None:
        self.t.breaks += 1

    def visit_Try(self, node: ast.Try) -> None:
        if self.loop_depth and node.handlers:
            self.t.try_in_loop = True
        self.generic_visit(node)

    # --- assignments: what kind of container a name holds --------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        value = node.value
        target = node.targets[0] if len(node.targets) == 1 else None
        single = target.id if isinstance(target, ast.Name) else None
        grows_itself = False
        if single and isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            # name = name + x (append) or name = x + name (prepend): both copy the whole value.
            sides = (value.left, value.right)
            others = [s for s in sides if not (isinstance(s, ast.Name) and s.id == single)]
            grows_itself = len(others) == 1
            if grows_itself and self.loop_depth:
                if isinstance(others[0], ast.List | ast.ListComp) or single in self.list_names:
                    self.t.list_concat_in_loop = True
                elif single in self.str_names or _is_str_expr(others[0]):
                    self.t.str_concat_in_loop = True
        kind = _container_kind(value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                if not grows_itself:  # growing keeps the kind the name already had
                    self._remember(target.id, kind)
                source = _dotted(value) if isinstance(value, ast.Attribute) else None
                if source and (source in _READLINE or source.endswith("readline")):
                    self.t.readline_alias = True
        for target in node.targets:
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.slice, ast.Slice)
                and target.slice.step
            ):
                self.t.step_slice_assign = True
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Mult) and (
            isinstance(node.left, ast.List) or isinstance(node.right, ast.List)
        ):
            self.t.list_mult_init += 1
        if (
            isinstance(node.op, ast.FloorDiv)
            and isinstance(node.left, ast.BinOp)
            and isinstance(node.left.op, ast.Add)
            and isinstance(node.right, ast.Constant)
            and node.right.value == 2
        ):
            self.t.midpoint = True
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        step = node.slice.step if isinstance(node.slice, ast.Slice) else None
        if isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub):
            self.t.reverse_slice = True
        self.generic_visit(node)

    def _remember(self, name: str, kind: str | None) -> None:
        for names in (self.list_names, self.set_names, self.str_names):
            names.discard(name)
        if kind == "list":
            self.list_names.add(name)
        elif kind in ("set", "dict"):
            self.set_names.add(name)
        elif kind == "str":
            self.str_names.add(name)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if self.loop_depth and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name):
            name = node.target.id
            if name in self.str_names or _is_str_expr(node.value):
                self.t.str_concat_in_loop = True
        if (
            self.loop_depth
            and isinstance(node.op, ast.Add)
            and isinstance(node.value, ast.Subscript)
            and isinstance(node.value.slice, ast.Slice)
        ):
            self.t.subscript_sum_loop = True
        self.generic_visit(node)

    # --- membership -----------------------------------------------------------------------------
    def visit_Compare(self, node: ast.Compare) -> None:
        for op, right in zip(node.ops, node.comparators, strict=False):
            if not isinstance(op, ast.In | ast.NotIn):
                continue
            kind = _container_kind(right)
            if isinstance(right, ast.Name):
                if right.id in self.list_names:
                    kind = "list"
                elif right.id in self.set_names:
                    kind = "set"
            if kind == "list" and self.loop_depth:
                self.t.list_membership_in_loop = True
            elif kind in ("set", "dict"):
                self.t.set_or_dict_membership = True
        self.generic_visit(node)

    # --- calls ------------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        if name:
            name = self._expand_alias(name)
            self.t.calls[name] += 1
            if self.loop_depth:
                self.t.calls_in_loop[name] += 1
            self._call_facts(name, node)
        if isinstance(node.func, ast.Attribute):
            self.t.methods[node.func.attr] += 1
            if self.loop_depth:
                self.t.methods_in_loop[node.func.attr] += 1
        self.generic_visit(node)

    def _expand_alias(self, name: str) -> str:
        head, _, rest = name.partition(".")
        if head in self.aliases:
            full = self.aliases[head]
            return f"{full}.{rest}" if rest else full
        return name

    def _call_facts(self, name: str, node: ast.Call) -> None:
        short = name.split(".")[-1]
        if name in _READ_ALL:
            self.t.read_all = _READ_ALL[name]
        if (name == "input" or name in _READLINE) and self.loop_depth:
            self.t.per_line_input = True
        if name == "print" and self.loop_depth:
            self.t.print_in_loop = True
        if name in ("sys.stdout.write", "stdout.write") or (
            name == "print"
            and node.args
            and isinstance(node.args[0], ast.Call)
            and (_dotted(node.args[0].func) or "").endswith(".join")
        ):
            self.t.joined_output = True
        if name == "print" and any(isinstance(arg, ast.Starred) for arg in node.args):
            self.t.joined_output = True
        if short in ("pop",) and node.args and _is_zero(node.args[0]):
            self.t.pop_front = True
        if short == "insert" and node.args and _is_zero(node.args[0]):
            self.t.pop_front = True
        if self.function_stack and short == self.function_stack[-1] and name == short:
            self.t.recursive.add(short)
        if short == "cmp_to_key":
            self.t.cmp_to_key = True

    def visit_If(self, node: ast.If) -> None:
        # `if key in memo: return memo[key]` inside a function: a hand-written memo.
        test = node.test
        if (
            self.function_stack
            and isinstance(test, ast.Compare)
            and isinstance(test.ops[0], ast.In)
            and any(isinstance(s, ast.Return) for s in node.body)
        ):
            self.memo_functions.add(self.function_stack[-1])
        self.generic_visit(node)


def _appends_to_list(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.If):
        return any(_appends_to_list(inner) for inner in (*statement.body, *statement.orelse))
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and isinstance(statement.value.func, ast.Attribute)
        and statement.value.func.attr == "append"
    )


def _container_kind(node: ast.AST) -> str | None:
    if isinstance(node, ast.List | ast.ListComp):
        return "list"
    if isinstance(node, ast.Set | ast.SetComp):
        return "set"
    if isinstance(node, ast.Dict | ast.DictComp):
        return "dict"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "str"
    if isinstance(node, ast.Call):
        name = _dotted(node.func) or ""
        short = name.split(".")[-1]
        if short in ("list", "sorted"):
            return "list"
        if short in ("set", "frozenset"):
            return "set"
        if short in ("dict", "Counter", "defaultdict", "OrderedDict"):
            return "dict"
        if short == "str":
            return "str"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and isinstance(node.left, ast.List):
        return "list"
    return None


def _is_str_expr(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Call) and (_dotted(node.func) or "") in ("str", "chr"):
        return True
    return isinstance(node, ast.BinOp) and (_is_str_expr(node.left) or _is_str_expr(node.right))


def _is_zero(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0


def _is_constant_comprehension(node: ast.ListComp) -> bool:
    return isinstance(node.elt, ast.Constant) and len(node.generators) == 1


def code_traits(code: str) -> CodeTraits:
    """The traits of one program; a program that does not parse gets a few token-level traits."""
    traits = CodeTraits(lines=sum(1 for line in code.splitlines() if line.strip()))
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        traits.parsed = False
        for name in (
            "input",
            "print",
            "eval",
            "sys.stdin.readline",
            "sys.stdin.buffer.read",
            "sys.stdin.read",
        ):
            traits.calls[name] = code.count(name + "(")
        traits.imports = {word for word in ("numpy", "sys", "collections", "heapq", "bisect") if word in code}
        return traits
    visitor = _TraitVisitor(traits)
    visitor.visit(tree)
    traits.memo_dict = bool(visitor.memo_functions & traits.recursive)
    return traits


# --- changes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One recognised optimisation: a tag from the shared vocabulary and a plain-words phrase."""

    tag: str
    phrase: str
    weight: float


@dataclass(frozen=True)
class ChangeSummary:
    """What changed between a slow and a fast program: a sentence, its tags and the changes behind it."""

    text: str
    tags: tuple[str, ...]
    changes: tuple[Change, ...]
    category: str


class Summariser(Protocol):
    """Anything that names the optimisation between two programs (rules here; an LLM later)."""

    name: str

    def summarise(self, slow: str, fast: str) -> ChangeSummary: ...


# Tags shared by the summariser, the catalogue and the evaluation; GENERIC_TAGS name no specific change.
TAG_CATEGORY = {
    "input-read-all": "io",
    "input-readline": "io",
    "output-batch": "io",
    "eval-removal": "io",
    "set-membership": "data-structures",
    "dict-lookup": "data-structures",
    "deque": "data-structures",
    "counter": "data-structures",
    "heapq": "data-structures",
    "bisect": "algorithms",
    "string-join": "strings",
    "str-methods": "strings",
    "list-append": "data-structures",
    "builtin-aggregate": "loops",
    "comprehension": "loops",
    "map": "loops",
    "list-init": "loops",
    "local-variables": "loops",
    "hoist-invariant": "loops",
    "early-exit": "loops",
    "itertools": "loops",
    "prefix-sum": "algorithms",
    "sieve": "algorithms",
    "memoization": "algorithms",
    "recursion-to-iteration": "algorithms",
    "dynamic-programming": "algorithms",
    "two-pointers": "algorithms",
    "sliding-window": "algorithms",
    "binary-search": "algorithms",
    "union-find": "algorithms",
    "algorithmic": "algorithms",
    "math-builtin": "math",
    "pow-mod": "math",
    "numpy": "libraries",
    "drop-numpy": "libraries",
    "decimal-removal": "math",
    "deepcopy-removal": "memory-copies",
    "exceptions": "loops",
    "regex": "strings",
    "sort-key": "sorting",
    "for-range": "loops",
    "precompute": "math",
    "sorting": "sorting",
    "restructure": "general",
}
GENERIC_TAGS = frozenset({"algorithmic", "restructure"})

_Rule = Callable[[CodeTraits, CodeTraits], Change | None]


def _io_read_all(s: CodeTraits, f: CodeTraits) -> Change | None:
    if f.read_all and not s.read_all and (s.called("input") or s.called(*_READLINE)):
        before = "calling input() per line" if s.called("input") else "reading line by line"
        return Change("input-read-all", f"reads all input at once with {f.read_all} instead of {before}", 10)
    return None


def _io_readline(s: CodeTraits, f: CodeTraits) -> Change | None:
    fast_lines = f.readline_alias or f.called(*_READLINE)
    if fast_lines and not f.read_all and s.called("input") and not (s.readline_alias or s.called(*_READLINE)):
        return Change("input-readline", "reads lines with sys.stdin.readline instead of input()", 7)
    return None


def _output_batch(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.print_in_loop and not f.print_in_loop:
        how = "sys.stdout.write" if f.called("sys.stdout.write") else "one print of the joined lines"
        return Change(
            "output-batch", f"collects the output and writes it once ({how}) instead of print() per item", 8
        )
    return None


def _eval_removal(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.calls["eval"] > f.calls["eval"]:
        return Change("eval-removal", "converts input with int()/split() instead of eval()", 6)
    return None


def _set_membership(s: CodeTraits, f: CodeTraits) -> Change | None:
    if f.calls["set"] > s.calls["set"] and s.max_loop_depth > f.max_loop_depth:
        return Change("set-membership", "uses a set instead of comparing items pair by pair", 8)
    if s.list_membership_in_loop and not f.list_membership_in_loop:
        return Change("set-membership", "tests membership in a set or dict instead of scanning a list", 9)
    if not s.set_or_dict_membership and f.set_or_dict_membership:
        return Change(
            "set-membership", "looks items up in a set or dict instead of searching a list or grid", 6
        )
    return None


def _dict_lookup(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.methods_in_loop["index"] and not f.methods_in_loop["index"]:
        return Change(
            "dict-lookup", "finds positions with a dict built once instead of list.index() in a loop", 8
        )
    if f.methods["get"] > s.methods["get"] and s.max_loop_depth > f.max_loop_depth:
        return Change("dict-lookup", "replaces a nested search with dict lookups", 7)
    if (f.methods["items"] + f.methods["values"]) > (s.methods["items"] + s.methods["values"]):
        return Change(
            "dict-lookup", "iterates over dict.items()/values() instead of looking each key up again", 3
        )
    if s.methods["get"] > f.methods["get"] and f.list_mult_init > s.list_mult_init:
        return Change("list-init", "stores values in a list indexed by integer instead of a dict", 3)
    return None


def _deque(s: CodeTraits, f: CodeTraits) -> Change | None:
    if f.uses("collections.deque") and not s.uses("collections.deque"):
        return Change("deque", "uses collections.deque for the queue instead of list.pop(0)/insert(0, x)", 8)
    return None


def _counter(s: CodeTraits, f: CodeTraits) -> Change | None:
    if f.uses("collections.Counter") and not s.uses("collections.Counter"):
        return Change("counter", "counts with collections.Counter instead of counting by hand", 6)
    if s.methods_in_loop["count"] and not f.methods_in_loop["count"] and not s.methods["translate"]:
        return Change(
            "counter", "counts every value in one pass instead of calling list.count() per value", 7
        )
    return None


def _heapq(s: CodeTraits, f: CodeTraits) -> Change | None:
    if "heapq" in f.imports and "heapq" not in s.imports:
        return Change("heapq", "keeps a heap (heapq) instead of re-sorting or scanning for the minimum", 7)
    return None


def _bisect(s: CodeTraits, f: CodeTraits) -> Change | None:
    if "bisect" in f.imports and "bisect" not in s.imports:
        return Change("bisect", "finds positions by binary search with bisect instead of a linear scan", 7)
    return None


def _string_join(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.str_concat_in_loop and not f.str_concat_in_loop:
        return Change("string-join", "builds the string with ''.join() instead of += in a loop", 7)
    return None


def _list_append(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.list_concat_in_loop and not f.list_concat_in_loop:
        return Change(
            "list-append",
            "grows the list in place (append/extend) instead of copying it with list = list + [x]",
            8,
        )
    return None


def _sort_in_loop(s: CodeTraits, f: CodeTraits) -> Change | None:
    if (s.calls_in_loop["sorted"] or s.methods_in_loop["sort"]) and not (
        f.calls_in_loop["sorted"] or f.methods_in_loop["sort"]
    ):
        return Change("hoist-invariant", "sorts once outside the loop instead of on every iteration", 8)
    return None


def _hoist_invariant(s: CodeTraits, f: CodeTraits) -> Change | None:
    hoisted = [
        name
        for name in ("max", "min", "len", "set", "list")
        if s.calls_in_loop[name] > f.calls_in_loop[name] and f.calls[name]
    ]
    if hoisted and f.max_loop_depth >= 1:
        names = "/".join(f"{name}()" for name in hoisted)
        return Change(
            "hoist-invariant", f"computes {names} once before the loop instead of on every iteration", 6
        )
    return None


def _str_methods(s: CodeTraits, f: CodeTraits) -> Change | None:
    gained = [name for name in _STR_METHODS if f.methods[name] > s.methods[name]]
    if f.reverse_slice and not s.reverse_slice:
        gained.append("[::-1]")
    if gained and f.max_loop_depth <= s.max_loop_depth and f.loops <= s.loops:
        names = ", ".join(name if name.startswith("[") else f"str.{name}()" for name in gained[:3])
        return Change(
            "str-methods", f"lets the C-implemented {names} do the character work instead of a Python loop", 6
        )
    return None


def _for_range(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.while_loops > f.while_loops and f.calls["range"] > s.calls["range"]:
        return Change("for-range", "counts with for ... in range() instead of a while loop and a counter", 3)
    return None


def _map(s: CodeTraits, f: CodeTraits) -> Change | None:
    if f.calls["map"] > s.calls["map"] and (s.append_loops > f.append_loops or s.loops > f.loops):
        return Change("map", "converts items with map() instead of a Python loop", 4)
    return None


def _sieve(s: CodeTraits, f: CodeTraits) -> Change | None:
    if f.step_slice_assign and not s.step_slice_assign:
        return Change(
            "sieve",
            "marks multiples with a sieve (slice assignment) instead of testing every "
            "number by trial division",
            8,
        )
    return None


def _binary_search(s: CodeTraits, f: CodeTraits) -> Change | None:
    if f.midpoint and not s.midpoint:
        return Change(
            "binary-search",
            "binary-searches the answer (halving the range) instead of trying candidates one by one",
            7,
        )
    return None


def _builtin_aggregate(s: CodeTraits, f: CodeTraits) -> Change | None:
    gained = [name for name in _AGGREGATES if f.calls[name] > s.calls[name]]
    if gained and f.loops < s.loops:
        names = "/".join(f"{name}()" for name in gained)
        return Change("builtin-aggregate", f"replaces an explicit loop with the built-in {names}", 5)
    return None


def _comprehension(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.append_loops > f.append_loops and f.comprehensions > s.comprehensions:
        return Change("comprehension", "builds lists with comprehensions instead of append() loops", 4)
    return None


def _list_init(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.list_comp_init > f.list_comp_init and f.list_mult_init > s.list_mult_init:
        return Change("list-init", "creates the list with [0] * n instead of a comprehension", 3)
    return None


def _local_variables(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.module_level_loops and not f.module_level_loops and f.loops:
        return Change(
            "local-variables", "moves the loops into a function, where variables are fast locals", 4
        )
    return None


def _early_exit(s: CodeTraits, f: CodeTraits) -> Change | None:
    if f.breaks > s.breaks or (
        f.called("exit", "sys.exit", "quit") and not s.called("exit", "sys.exit", "quit")
    ):
        return Change(
            "early-exit",
            "stops as soon as the answer is known (break/exit) instead of finishing every loop",
            4,
        )
    return None


def _prefix_sum(s: CodeTraits, f: CodeTraits) -> Change | None:
    if f.uses("itertools.accumulate") and not s.uses("itertools.accumulate"):
        return Change(
            "prefix-sum", "precomputes prefix sums (itertools.accumulate) instead of re-summing ranges", 7
        )
    if s.called_in_loop("sum") and not f.called_in_loop("sum") and f.loops:
        return Change(
            "prefix-sum", "keeps running or prefix sums instead of calling sum() inside the loop", 7
        )
    return None


def _memoisation(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.recursive and not (s.memoised or s.memo_dict) and (f.memoised or f.memo_dict) and f.recursive:
        return Change(
            "memoization", "caches the results of the recursive function (functools.lru_cache or a dict)", 9
        )
    if f.memoised and not s.memoised:
        return Change("memoization", "caches the function's results with functools.lru_cache", 8)
    return None


def _recursion_to_iteration(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.recursive and not f.recursive:
        return Change(
            "recursion-to-iteration", "replaces recursion with a loop (bottom-up, no call overhead)", 8
        )
    return None


def _math_builtin(s: CodeTraits, f: CodeTraits) -> Change | None:
    gained = sorted(
        {name.split(".")[-1] for name in f.calls if name.split(".")[-1] in _MATH_HELPERS}
        - {name.split(".")[-1] for name in s.calls if name.split(".")[-1] in _MATH_HELPERS}
    )
    gained += sorted(
        name.split(".")[-1]
        for name in f.names_imported - s.names_imported
        if name.startswith("math.") and name.split(".")[-1] not in gained
    )
    gained += [name for name in ("bit_count",) if f.methods[name] > s.methods[name] and name not in gained]
    if gained:
        names = ", ".join(f"{name}()" for name in gained)
        return Change("math-builtin", f"uses the C-implemented {names} instead of computing it by hand", 6)
    return None


def _pow_mod(s: CodeTraits, f: CodeTraits) -> Change | None:
    if f.calls["pow"] > s.calls["pow"]:
        return Change("pow-mod", "uses three-argument pow(base, exp, mod) for modular powers", 6)
    return None


def _numpy(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.uses_numpy and not f.uses_numpy:
        return Change(
            "drop-numpy",
            "drops numpy: for data this small, importing it costs more than plain Python saves",
            6,
        )
    if f.uses_numpy and not s.uses_numpy:
        return Change("numpy", "vectorises the arithmetic with numpy arrays instead of Python loops", 7)
    return None


def _decimal(s: CodeTraits, f: CodeTraits) -> Change | None:
    slow_exact = s.imports & {"decimal", "fractions"}
    if slow_exact and not (f.imports & {"decimal", "fractions"}):
        return Change("decimal-removal", "computes with integers instead of Decimal/Fraction objects", 6)
    return None


def _deepcopy(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.called("copy.deepcopy", "deepcopy") and not f.called("copy.deepcopy", "deepcopy"):
        return Change("deepcopy-removal", "copies with slicing/list() instead of copy.deepcopy", 6)
    return None


def _exceptions(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.try_in_loop and not f.try_in_loop:
        return Change(
            "exceptions",
            "checks the condition directly (e.g. dict.get) instead of raising and "
            "catching exceptions in the loop",
            5,
        )
    return None


def _regex(s: CodeTraits, f: CodeTraits) -> Change | None:
    slow_re = sum(count for name, count in s.calls_in_loop.items() if name.startswith("re."))
    fast_re = sum(count for name, count in f.calls_in_loop.items() if name.startswith("re."))
    if slow_re > fast_re:
        return Change(
            "regex", "avoids calling the re module inside the loop (precompiled pattern or str methods)", 5
        )
    return None


def _sort_key(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.cmp_to_key and not f.cmp_to_key:
        return Change(
            "sort-key", "sorts with a key function instead of a comparison function (cmp_to_key)", 6
        )
    return None


def _itertools(s: CodeTraits, f: CodeTraits) -> Change | None:
    gained = {name for name in f.names_imported if name.startswith("itertools.")} - {
        name for name in s.names_imported if name.startswith("itertools.")
    }
    gained.discard("itertools.accumulate")
    if gained or (
        "itertools" in f.imports
        and "itertools" not in s.imports
        and not gained
        and not f.uses("itertools.accumulate")
    ):
        return Change(
            "itertools", "generates the combinations with itertools instead of nested index loops", 4
        )
    return None


def _algorithmic(s: CodeTraits, f: CodeTraits) -> Change | None:
    if s.max_loop_depth > f.max_loop_depth:
        if f.max_loop_depth == 0:
            return Change(
                "algorithmic",
                "replaces the loop with a direct computation (a closed formula or built-ins)",
                3,
            )
        return Change(
            "algorithmic",
            f"uses a lower-complexity algorithm: loop nesting drops from "
            f"{s.max_loop_depth} to {f.max_loop_depth}",
            3,
        )
    return None


_RULES: tuple[_Rule, ...] = (
    _io_read_all,
    _io_readline,
    _output_batch,
    _eval_removal,
    _set_membership,
    _dict_lookup,
    _deque,
    _counter,
    _heapq,
    _bisect,
    _string_join,
    _list_append,
    _sort_in_loop,
    _hoist_invariant,
    _str_methods,
    _for_range,
    _map,
    _sieve,
    _binary_search,
    _prefix_sum,
    _memoisation,
    _recursion_to_iteration,
    _math_builtin,
    _pow_mod,
    _numpy,
    _decimal,
    _deepcopy,
    _exceptions,
    _regex,
    _sort_key,
    _itertools,
    _builtin_aggregate,
    _comprehension,
    _list_init,
    _local_variables,
    _early_exit,
    _algorithmic,
)


class RuleSummariser:
    """The default summariser: syntax-tree rules, deterministic, stdlib only."""

    name = SUMMARISER_VERSION

    def __init__(self, max_phrases: int = 3) -> None:
        self.max_phrases = max_phrases

    def summarise(self, slow: str, fast: str) -> ChangeSummary:
        s, f = code_traits(slow), code_traits(fast)
        changes = [change for rule in _RULES if (change := rule(s, f)) is not None]
        changes.sort(key=lambda change: -change.weight)
        if not changes:
            changes = [_fallback(slow, fast, s, f)]
        chosen = changes[: self.max_phrases]
        text = "; ".join(change.phrase for change in chosen)
        text = text[0].upper() + text[1:] + "."
        tags = tuple(dict.fromkeys(change.tag for change in changes))
        return ChangeSummary(text, tags, tuple(changes), TAG_CATEGORY.get(chosen[0].tag, "general"))


def _fallback(slow: str, fast: str, s: CodeTraits, f: CodeTraits) -> Change:
    if f.lines and s.lines >= 2 * f.lines and s.lines - f.lines >= 4:
        return Change(
            "restructure", f"simplifies the program ({s.lines} to {f.lines} lines) with the same approach", 1
        )
    if s.loops > f.loops:
        return Change("restructure", f"does the work with fewer loops ({s.loops} to {f.loops})", 1)
    changed = sum(
        1
        for line in unified_diff(slow, fast).splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )
    return Change("restructure", f"rewrites {changed} lines without a change this summariser recognises", 0)


def summarise_change(slow: str, fast: str, summariser: Summariser | None = None) -> ChangeSummary:
    """Name the optimisation that turns ``slow`` into ``fast`` (rule-based unless another is given)."""
    return (summariser or RuleSummariser()).summarise(slow, fast)


def describe_code(code: str) -> str:
    """A short plain-words description of a program's performance-relevant shape.

    Used as the "description" that ``EmbedderOptions.text_mode`` may embed with (or instead of) the
    code, after the RAS finding that retrieval by description can beat retrieval by raw code.
    """
    t = code_traits(code)
    parts: list[str] = []
    if t.read_all:
        parts.append(f"reads all input at once with {t.read_all}")
    elif t.per_line_input:
        parts.append("reads input line by line in a loop")
    elif t.called("input"):
        parts.append("reads a few lines with input()")
    if t.calls["eval"]:
        parts.append("parses input with eval()")
    if t.max_loop_depth >= 2:
        parts.append(f"{t.max_loop_depth} nested loops")
    elif t.loops or t.comprehensions:
        parts.append("a single loop level")
    else:
        parts.append("no loops")
    if t.recursive:
        parts.append("recursive function" + (" with memoisation" if t.memoised or t.memo_dict else ""))
    if t.list_membership_in_loop:
        parts.append("membership tests on a list inside a loop")
    if t.called_in_loop(".index", ".count"):
        parts.append("list.index/count inside a loop")
    if t.str_concat_in_loop:
        parts.append("string concatenation with += in a loop")
    if t.list_concat_in_loop:
        parts.append("list concatenation in a loop")
    if t.pop_front:
        parts.append("pops or inserts at the front of a list")
    if t.called_in_loop("sorted", ".sort"):
        parts.append("sorting inside a loop")
    if t.called_in_loop("sum", "max", "min"):
        parts.append("sum/max/min over slices inside a loop")
    if t.print_in_loop:
        parts.append("prints inside a loop")
    if t.try_in_loop:
        parts.append("exceptions caught inside a loop")
    if t.called("copy.deepcopy", "deepcopy"):
        parts.append("deep copies")
    libraries = sorted(t.imports - {"sys", "os"})
    if libraries:
        parts.append("uses " + ", ".join(libraries))
    used = [
        name
        for name in (
            "sorted",
            "sum",
            "max",
            "min",
            "Counter",
            "defaultdict",
            "deque",
            "heappush",
            "bisect_left",
            "pow",
            "gcd",
        )
        if t.called_short(name)
    ]
    if used:
        parts.append("calls " + ", ".join(used))
    return "Python program: " + "; ".join(parts) + "."
