"""What the summariser reads from one program: its performance-relevant traits (``CodeTraits``), from its syntax
tree (how input is read, which containers are searched, loop nesting, recursion, caching, ...)."""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

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
READLINE_CALLS = {"sys.stdin.readline", "sys.stdin.buffer.readline", "stdin.readline", "stdin.buffer.readline"}


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
                if source and (source in READLINE_CALLS or source.endswith("readline")):
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
        if (name == "input" or name in READLINE_CALLS) and self.loop_depth:
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
