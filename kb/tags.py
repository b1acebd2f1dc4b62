"""The one tag vocabulary: the words the summariser, the catalogue, the evaluation and the rules tag changes with.

A tag is either a category (the catalogue's folders: what part of a program a change is about) or a change (one
named optimisation, which belongs to one category). Both kinds are valid tags, so an entry may carry its
category as a tag. Everything that writes tags (``kb.summarise``, ``kb/catalogue/*.toml``, the rules' ``tags``)
checks against ``VOCABULARY`` so retrieval filters and reports never see two spellings of one idea.
"""

from __future__ import annotations

CATEGORIES: dict[str, str] = {
    "io": "how the program reads its input and writes its output",
    "data-structures": "which container holds the data (set, dict, deque, Counter, heap)",
    "algorithms": "a different algorithm or a lower complexity class",
    "strings": "building, searching and splitting text",
    "loops": "the shape of the loops: built-ins, comprehensions, hoisting, early exits",
    "math": "arithmetic done by the standard library or a closed formula",
    "sorting": "sorting and the keys it sorts by",
    "libraries": "adding or removing a third-party library such as NumPy",
    "memory-copies": "copying less data",
    "general": "a rewrite no more specific category describes",
}

# change tag -> (category, meaning)
CHANGES: dict[str, tuple[str, str]] = {
    "input-read-all": ("io", "read all input at once instead of line by line"),
    "input-readline": ("io", "sys.stdin.readline instead of input()"),
    "output-batch": ("io", "one write of joined output instead of a print per item"),
    "eval-removal": ("io", "parse input with int()/split() instead of eval()"),
    "set-membership": ("data-structures", "membership tests on a set instead of a list"),
    "dict-lookup": ("data-structures", "a dict lookup instead of a search"),
    "deque": ("data-structures", "collections.deque for pops and inserts at the front"),
    "counter": ("data-structures", "collections.Counter or a dict of counts instead of repeated counting"),
    "heapq": ("data-structures", "a heap instead of re-sorting or scanning for the minimum"),
    "list-append": ("data-structures", "append/extend instead of list concatenation"),
    "bisect": ("algorithms", "bisect on a sorted list instead of a linear scan"),
    "prefix-sum": ("algorithms", "prefix sums instead of summing each range again"),
    "sieve": ("algorithms", "a sieve instead of testing each number for primality"),
    "memoization": ("algorithms", "cache the results of a pure function"),
    "recursion-to-iteration": ("algorithms", "a loop instead of recursion"),
    "dynamic-programming": ("algorithms", "a table of sub-results instead of recomputation"),
    "two-pointers": ("algorithms", "two indices moving through sorted data instead of nested loops"),
    "sliding-window": ("algorithms", "update a window's aggregate instead of recomputing it"),
    "binary-search": ("algorithms", "binary search instead of a linear search"),
    "union-find": ("algorithms", "a disjoint-set structure for connectivity"),
    "algorithmic": ("algorithms", "lower loop nesting by an unnamed algorithmic change (generic)"),
    "string-join": ("strings", "str.join instead of += in a loop"),
    "str-methods": ("strings", "a str method (count, find, replace, ...) instead of a Python loop"),
    "regex": ("strings", "a compiled or removed regular expression"),
    "builtin-aggregate": ("loops", "sum/max/min/any/all instead of an accumulating loop"),
    "comprehension": ("loops", "a comprehension instead of a loop that appends"),
    "map": ("loops", "map() over a built-in instead of a loop"),
    "list-init": ("loops", "[x] * n instead of a loop that fills a list"),
    "local-variables": ("loops", "local names instead of globals or attribute look-ups in a hot loop"),
    "hoist-invariant": ("loops", "loop-invariant work moved out of the loop"),
    "early-exit": ("loops", "stop the loop once the answer is known"),
    "itertools": ("loops", "an itertools function instead of a hand-written loop"),
    "exceptions": ("loops", "a test instead of try/except inside a loop"),
    "for-range": ("loops", "a for loop instead of a while loop with a counter"),
    "math-builtin": ("math", "a math function (gcd, comb, isqrt, ...) instead of a hand-written one"),
    "pow-mod": ("math", "three-argument pow() for modular powers"),
    "decimal-removal": ("math", "int or float arithmetic instead of Decimal"),
    "precompute": ("math", "values computed once instead of per query"),
    "numpy": ("libraries", "vectorised NumPy instead of Python loops"),
    "import-removal": ("libraries", "no import of a module the program does not use (start-up time)"),
    "drop-numpy": ("libraries", "plain Python instead of NumPy on small data"),
    "deepcopy-removal": ("memory-copies", "no deep copy where a shallow one or none will do"),
    "sort-key": ("sorting", "key= instead of cmp_to_key or decorate-sort-undecorate"),
    "sorting": ("sorting", "sort once instead of repeatedly or instead of scanning"),
    "restructure": ("general", "the same approach, written more simply (generic)"),
}

TAG_CATEGORY: dict[str, str] = {tag: category for tag, (category, _) in CHANGES.items()}
VOCABULARY: frozenset[str] = frozenset(CATEGORIES) | frozenset(CHANGES)
# Tags that name no specific change: they say something changed, not what.
GENERIC_TAGS = frozenset({"algorithmic", "restructure"})


def unknown_tags(tags: tuple[str, ...] | list[str]) -> list[str]:
    """The tags of ``tags`` that are not in the vocabulary, in their order."""
    return [tag for tag in tags if tag not in VOCABULARY]
