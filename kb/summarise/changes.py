"""What changed between a slow and a fast program: the rules that name an optimisation from two programs' traits,
the ``Summariser`` protocol and the default ``RuleSummariser``."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from kb.summarise.traits import READLINE_CALLS, CodeTraits, code_traits
from kb.tags import TAG_CATEGORY

SUMMARISER_VERSION = "rules-1"

_AGGREGATES = ("sum", "max", "min", "any", "all")
_STR_METHODS = ("count", "translate", "find", "rfind", "startswith", "endswith", "replace", "split")
_MATH_HELPERS = ("gcd", "lcm", "comb", "perm", "isqrt", "factorial", "prod", "bit_count")


def unified_diff(slow: str, fast: str) -> str:
    """The unified diff of two programs, as FasterPy stores it (``input.py`` -> ``target.py``)."""
    lines = difflib.unified_diff(
        slow.strip().splitlines(), fast.splitlines(), fromfile="input.py", tofile="target.py", lineterm=""
    )
    return "\n".join(lines)



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



_Rule = Callable[[CodeTraits, CodeTraits], Change | None]


def _io_read_all(s: CodeTraits, f: CodeTraits) -> Change | None:
    if f.read_all and not s.read_all and (s.called("input") or s.called(*READLINE_CALLS)):
        before = "calling input() per line" if s.called("input") else "reading line by line"
        return Change("input-read-all", f"reads all input at once with {f.read_all} instead of {before}", 10)
    return None


def _io_readline(s: CodeTraits, f: CodeTraits) -> Change | None:
    fast_lines = f.readline_alias or f.called(*READLINE_CALLS)
    if fast_lines and not f.read_all and s.called("input") and not (s.readline_alias or s.called(*READLINE_CALLS)):
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
