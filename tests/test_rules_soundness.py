"""Preconditions that real libraries broke (issue 13): each case fired, and its fix changed behaviour."""

from __future__ import annotations

import pytest
from rules_support import edits_of

from optimizer.rules import RULES_BY_CODE, find_all


def test_append_loop_inside_a_suppressing_with_is_left_alone() -> None:
    # The comprehension would leave `firsts` unbound when StopIteration is suppressed half-way.
    code = (
        "from contextlib import suppress\n"
        "def heads(iterators):\n"
        "    with suppress(StopIteration):\n"
        "        firsts = []\n"
        "        for it in iterators:\n"
        "            firsts.append(next(it))\n"
        "    return firsts\n"
    )
    assert edits_of(code, "PERF110") == []


def test_append_loop_inside_a_try_is_left_alone() -> None:
    code = (
        "def parse(lines):\n"
        "    try:\n"
        "        values = []\n"
        "        for line in lines:\n"
        "            values.append(int(line))\n"
        "    except ValueError:\n"
        "        pass\n"
        "    return values\n"
    )
    assert edits_of(code, "PERF110") == []


def test_append_loop_outside_any_handler_still_fires() -> None:
    code = "def squares(n):\n    out = []\n    for i in range(n):\n        out.append(i * i)\n    return out\n"
    assert len(edits_of(code, "PERF110")) == 1


MEMBERSHIP = """\
def dedupe(items):
    seen = ["a"]
{setup}
    out = []
    for item in items:
        if item not in seen:
            {add}(item)
            out.append(item)
{after}
"""


def _membership(setup: str = "", add: str = "seen.append", after: str = "    return out") -> str:
    return MEMBERSHIP.format(setup=setup, add=add, after=after)


def test_list_grown_through_an_alias_of_append_is_not_a_set() -> None:
    code = _membership(setup="    seen_add = seen.append", add="seen_add")
    assert edits_of(code, "PERF109") == []


def test_list_passed_to_a_call_or_returned_is_not_a_set() -> None:
    assert edits_of(_membership(setup="    register(seen)", add="out.append"), "PERF109") == []
    assert edits_of(_membership(add="out.append", after="    return seen"), "PERF109") == []


def test_list_with_items_not_provably_hashable_is_not_a_set() -> None:
    code = "def known(rows, wanted):\n    table = [row for row in rows]\n    return [w for w in wanted if w in table]\n"
    assert edits_of(code, "PERF109") == []
    mixed = "def pick(xs):\n    allowed = [1, (2, 3), [4]]\n    return [x for x in xs if x in allowed]\n"
    assert edits_of(mixed, "PERF109") == []


def test_list_only_read_with_hashable_items_still_becomes_a_set() -> None:
    code = "def pick(xs):\n    allowed = [1, 2, 3]\n    return [x for x in xs if x in allowed]\n"
    assert len(edits_of(code, "PERF109")) == 1


def test_import_in_a_try_is_an_availability_probe_not_an_unused_import() -> None:
    code = "try:\n    import threading\nexcept ImportError:\n    threading = None\nHAVE_THREADS = True\n"
    assert find_all(code, [RULES_BY_CODE["PERF101"]]) == []
    probe = "try:\n    import numpy\nexcept ImportError:\n    pass\n"
    assert find_all(probe, [RULES_BY_CODE["PERF101"]]) == []


def test_unused_import_outside_a_try_is_still_found() -> None:
    assert len(find_all("import numpy\nprint(1)\n", [RULES_BY_CODE["PERF101"]])) == 1


def _covers(outer, inner) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def test_print_loop_and_module_loop_do_not_hide_the_input_finding_inside() -> None:
    code = "n = int(input())\nfor _ in range(n):\n    x = input()\n    print(x)\n"
    findings = find_all(code)
    [inner] = [f for f in findings if f.code == "PERF103"]
    [module_loop] = [f for f in findings if f.code == "PERF106"]
    [printing] = [f for f in findings if f.code == "PERF105"]
    assert (printing.start, printing.end) == ((4, 4), (4, 12))  # the print call
    assert module_loop.start[0] == module_loop.end[0] == 2  # the loop's header line only
    assert (inner.start, inner.end) == ((3, 8), (3, 15))  # the input() call
    assert not any(_covers(wide, inner) for wide in (printing, module_loop))


# One loop per rule; the marked line holds the slow construct the finding must point at (not the loop).
LOOP_FINDINGS = {
    "PERF108": "def f(xs):\n    s = ''\n    for x in xs:\n        s += x  # here\n    return s\n",
    "PERF110": "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x * 2)  # here\n    return out\n",
    "PERF111": "def f(n):\n    t = 0\n    for i in range(n):\n        t += i  # here\n    return t\n",
    "PERF112": "def f():\n    xs = [1, 2, 1]\n    c = 0\n    for x in xs:\n        if x == 1:  # here\n"
    "            c += 1\n    return c\n",
    "PERF116": "def f(xs):\n    d = {}\n    for x in xs:\n        d[x] = d.get(x, 0) + 1  # here\n    return d\n",
    "PERF127": "def f(xs):\n    acc = [0]\n    for x in xs:\n        acc.append(acc[-1] + x)  # here\n    return acc\n",
}


@pytest.mark.parametrize("code", sorted(LOOP_FINDINGS))
def test_a_loop_rule_points_at_the_slow_statement_not_the_loop(code: str) -> None:
    text = LOOP_FINDINGS[code]
    line = 1 + text[: text.index("# here")].count("\n")
    [finding] = find_all(text, [RULES_BY_CODE[code]])
    assert finding.start[0] == line and finding.end[0] <= line + 1, finding


def test_a_recursive_function_finding_covers_its_def_line_only() -> None:
    code = "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\nprint(fib(20))\n"
    [finding] = find_all(code, [RULES_BY_CODE["PERF120"]])
    assert (finding.start, finding.end) == ((1, 0), (1, 11))


def test_a_star_import_may_shadow_any_builtin() -> None:
    # `input` may be the star-imported module's own reader: reading sys.stdin instead would bypass it.
    code = "from prompts import *\nfor _ in range(3):\n    print(int(input()))\n"
    assert edits_of(code, "PERF103") == []
    assert len(edits_of(code.replace("from prompts import *\n", ""), "PERF103")) == 1


def test_a_star_import_may_shadow_the_builtins_a_rewrite_drops() -> None:
    # list() may be the star-imported module's own (a logging list, say): dropping the call would skip it.
    code = "from tracing import *\ndef f(n):\n    t = 0\n    for i in list(range(n)):\n        t += i\n    return t\n"
    assert edits_of(code, "PERF129") == []
    assert len(edits_of(code.replace("from tracing import *\n", ""), "PERF129")) == 1


def test_loop_variable_deleted_after_the_loop_is_a_use() -> None:
    # Modules clean up their namespace with `del`: a comprehension never binds `_n`, so the del would fail.
    code = '_names = []\nfor _n in ("a", "b"):\n    _names.append(_n.upper())\ndel _n\n'
    assert edits_of(code, "PERF110") == []
    total = "t = 0\nfor _n in range(3):\n    t += _n\ndel _n\n"
    assert edits_of(total, "PERF111") == []


RECORDED = """\
def record(x):
    return len(seen) + x
{decl}seen = []
{loop}for i in range(3):
{loop}    seen.append(record(i))
"""


def test_a_global_list_read_by_a_called_function_while_it_is_built() -> None:
    # record() reads the list half-built; a comprehension binds it only at the end (NameError, or the old list).
    assert edits_of(RECORDED.format(decl="", loop=""), "PERF110") == []
    assert edits_of(RECORDED.format(decl="def build():\n    global seen\n    ", loop="    "), "PERF110") == []
    # Builtins and the string methods cannot see it: a module-level loop over them still becomes a comprehension.
    plain = "words = []\nfor w in 'a b'.split():\n    words.append(w.upper())\nprint(words)\n"
    assert len(edits_of(plain, "PERF110")) == 1


def test_a_global_total_read_by_a_generator_the_loop_consumes_is_not_summed_at_the_end() -> None:
    # gen() yields the running total: the loop sums 1 + 1, sum() at the end 1 + 0.
    code = "def gen():\n    yield 1\n    yield total\ntotal = 0\nfor v in map(int, gen()):\n    total += v\n"
    assert edits_of(code, "PERF111") == []
    assert len(edits_of(code.replace("map(int, gen())", "[1, 2]"), "PERF111")) == 1


def test_counting_a_bool_or_float_is_not_rewritten_with_get() -> None:
    # d[k] = True stays True; d.get(k, 0) + True is 1 (and 0 + -0.0 is 0.0).
    code = (
        "def f(ks):\n    d = {}\n    for k in ks:\n        if k in d:\n"
        "            d[k] += VALUE\n        else:\n            d[k] = VALUE\n    return d\n"
    )
    assert edits_of(code.replace("VALUE", "True"), "PERF115") == []
    assert edits_of(code.replace("VALUE", "-0.0"), "PERF115") == []
    assert len(edits_of(code.replace("VALUE", "1"), "PERF115")) == 1


def test_a_class_of_the_programs_own_named_like_a_dict_is_not_a_dict() -> None:
    # The program's Counter may define keys() and __contains__ differently: `k in d` is not `k in d.keys()`.
    own = "class Counter:\n    def keys(self):\n        return ['a']\nd = Counter()\nprint('a' in d.keys())\n"
    assert edits_of(own, "PERF117") == []
    imported = "from collections import Counter\nd = Counter('ab')\nprint('a' in d.keys())\n"
    assert len(edits_of(imported, "PERF117")) == 1


QUEUE = """\
def walk(start):
    queue = [start]
    while queue:
        node = queue.pop(0)
        queue.append(node - 1) if node else None
    {use}
"""


def test_a_queue_used_where_a_deque_behaves_differently_stays_a_list() -> None:
    assert len(edits_of(QUEUE.format(use="return len(queue)"), "PERF118")) == 1
    for use in ("return queue.copy()", "return isinstance(queue, list)", "return enumerate(queue)"):
        assert edits_of(QUEUE.format(use=use), "PERF118") == [], use


def test_an_invalid_constant_pattern_is_not_compiled_before_the_loop() -> None:
    # Hoisted, re.compile("(") would raise even when the loop never calls it.
    code = "import re\ndef f(lines):\n    for line in lines:\n        if line:\n            re.match({p}, line)\n"
    assert edits_of(code.format(p='"("'), "PERF124") == []
    assert len(edits_of(code.format(p='"a+"'), "PERF124")) == 1


def test_a_list_changed_through_an_alias_made_before_the_loop_is_not_hoisted() -> None:
    # push is xs.append: the loop grows xs without naming it, so len(xs) and sorted(xs) change every time.
    grow = (
        "def f():\n    xs = [3, 1]\n    push = xs.append\n    i = 0\n"
        "    while i < len(xs) and i < 5:\n        push(i)\n        i += 1\n    return i\n"
    )
    assert edits_of(grow, "PERF128") == []
    plain = grow.replace("    push = xs.append\n", "").replace("        push(i)\n", "")
    assert len(edits_of(plain, "PERF128")) == 1
    ranked = (
        "def f():\n    xs = [3, 1]\n    push = xs.append\n    for i in range(3):\n"
        "        push(i)\n        print(sorted(xs))\n"
    )
    assert edits_of(ranked, "PERF119") == []


def test_buffered_input_never_binds_readline_itself() -> None:
    # Past the end of input readline returns '' (.split() gives []): this loop would never stop, where
    # input()'s EOFError ended it; and a replaced sys.stdin must be read, not the stream bound at import.
    endless = "import io, sys\nsys.stdin = io.StringIO('1 2\\n')\nwhile True:\n    print(len(input().split()))\n"
    [finding] = edits_of(endless, "PERF103")
    assert "input = sys.stdin.readline" not in finding.edits[0].new_text
    assert "sys.stdin.readline()" in finding.edits[0].new_text
