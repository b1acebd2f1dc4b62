"""Loop rules: comprehension, sum, count, min/max, any/all, Counter, accumulate, string building."""

import pytest
from rules_support import edits_of, run_program

from optimizer.rules import RULES_BY_CODE, find_all, rewrite


def check(rule: str, slow: str, fast: str, stdin: str, expected: str, starts: list[int]) -> None:
    """The rule finds what it should, rewrites to exactly ``fast``, and both print ``expected``."""
    assert [f.start[0] for f in find_all(slow, [RULES_BY_CODE[rule]])] == starts
    assert rewrite(slow, select={rule}).code == fast
    assert run_program(fast, stdin) == run_program(slow, stdin) == expected


def test_append_to_comprehension():
    slow = (
        "n = int(input())\n"
        "squares = []\n"
        "for i in range(n):\n"
        "    for j in range(i):\n"
        "        if (i + j) % 3 == 0:\n"
        "            squares.append(i * j)\n"
        "print(squares)\n"
    )
    fast = (
        "n = int(input())\nsquares = [i * j for i in range(n) for j in range(i) if (i + j) % 3 == 0]\nprint(squares)\n"
    )
    check("PERF110", slow, fast, "6\n", "[2, 0, 8, 5, 20]\n", [6])


@pytest.mark.parametrize(
    "code",
    [
        "xs = []\nfor i in range(3):\n    xs.append(len(xs))\n",  # reads the list while building it
        "xs = []\nfor i in range(3):\n    xs.append(i)\nprint(i)\n",  # the loop variable is used after
        "xs = []\nfor i in range(3):\n    xs.append(i)\n    print(i)\n",  # the loop does more
        "xs = [0]\nfor i in range(3):\n    xs.append(i)\n",  # does not start empty
        "xs = []\nprint(xs)\nfor i in range(3):\n    xs.append(i)\n",  # not right before the loop
    ],
)
def test_append_to_comprehension_precondition(code):
    assert edits_of(code, "PERF110") == []


def test_manual_sum():
    slow = (
        "values = list(map(int, input().split()))\n"
        "total = 0\n"
        "for v in values:\n"
        "    total += v\n"
        "words = input().split()\n"
        "length = 0\n"
        "for w in words:\n"
        "    length += len(w)\n"
        "print(total, length)\n"
    )
    fast = (
        "values = list(map(int, input().split()))\n"
        "total = 0\n"
        "total += sum(values)\n"
        "words = input().split()\n"
        "length = 0\n"
        "length += sum(map(len, words))\n"
        "print(total, length)\n"
    )
    check("PERF111", slow, fast, "1 2 3\nab c\n", "6 3\n", [4, 8])


@pytest.mark.parametrize(
    "code",
    [
        "xs = [0.1, 0.2]\nt = 0.0\nfor x in xs:\n    t += x\n",  # float rounding depends on grouping
        "def f(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n",  # element type unknown
        "xs = [1, 2]\nt = 0\nfor x in xs:\n    t += x\nprint(x)\n",  # the loop variable is used after
        "xs = [1, 2]\nt = []\nfor x in xs:\n    t += x\n",  # list += extends
        "sum = 0\nfor i in range(3):\n    sum += i\n",  # `sum` is not the builtin here
    ],
)
def test_manual_sum_precondition(code):
    assert edits_of(code, "PERF111") == []


def test_manual_count():
    slow = (
        "s = input()\n"
        "xs = list(map(int, input().split()))\n"
        "a = 0\n"
        "for ch in s:\n"
        '    if ch == "a":\n'
        "        a += 1\n"
        "zeros = 0\n"
        "for x in xs:\n"
        "    if 0 == x:\n"
        "        zeros += 1\n"
        "print(a, zeros)\n"
    )
    fast = (
        "s = input()\n"
        "xs = list(map(int, input().split()))\n"
        "a = 0\n"
        'a += s.count("a")\n'
        "zeros = 0\n"
        "zeros += xs.count(0)\n"
        "print(a, zeros)\n"
    )
    check("PERF112", slow, fast, "banana\n0 1 0\n", "3 2\n", [5, 9])


@pytest.mark.parametrize(
    "code",
    [
        "s = input()\nc = 0\nfor ch in s:\n    if ch == 'aa':\n        c += 1\n",  # str.count counts substrings
        "c = 0\nfor x in map(int, input().split()):\n    if x == 1:\n        c += 1\n",  # no .count on map
        "xs = [1, 2]\nc = 0\nfor x in xs:\n    if x == c:\n        c += 1\n",  # the value changes in the loop
    ],
)
def test_manual_count_precondition(code):
    assert edits_of(code, "PERF112") == []


def test_manual_min_max():
    slow = (
        "xs = list(map(int, input().split()))\n"
        "best = 0\n"
        "for x in xs:\n"
        "    best = max(best, x)\n"
        "low = 10 ** 9\n"
        "for i, x in enumerate(xs):\n"
        "    if x * i < low:\n"
        "        low = x * i\n"
        "print(best, low)\n"
    )
    fast = (
        "xs = list(map(int, input().split()))\n"
        "best = 0\n"
        "best = max(best, max(xs, default=best))\n"
        "low = 10 ** 9\n"
        "low = min(low, min((x * i for i, x in enumerate(xs)), default=low))\n"
        "print(best, low)\n"
    )
    check("PERF113", slow, fast, "4 1 3\n", "4 0\n", [4, 7])
    assert run_program(fast, "\n") == run_program(slow, "\n") == "0 1000000000\n"


@pytest.mark.parametrize(
    "code",
    [
        "xs = [1]\nb = 0\nfor x in xs:\n    b = max(b, x + b)\n",  # reads the running value
        "xs = [1]\nb = 0\nfor x in xs:\n    if x >= b:\n        b = x\n",  # keeps the last of equal values
        "xs = [1]\nb = 0\nfor x in xs:\n    b = max(b, x)\nprint(x)\n",  # loop variable used after
    ],
)
def test_manual_min_max_precondition(code):
    assert edits_of(code, "PERF113") == []


def test_any_all_loop():
    slow = (
        "xs = list(map(int, input().split()))\n"
        "found = False\n"
        "for x in xs:\n"
        "    if x < 0:\n"
        "        found = True\n"
        "        break\n"
        "ok = True\n"
        "for i, x in enumerate(xs):\n"
        "    if x > i * 10:\n"
        "        ok = False\n"
        "        break\n"
        "print(found, ok)\n"
    )
    fast = (
        "xs = list(map(int, input().split()))\n"
        "found = any(x < 0 for x in xs)\n"
        "ok = all(not (x > i * 10) for i, x in enumerate(xs))\n"
        "print(found, ok)\n"
    )
    check("PERF114", slow, fast, "3 -1 25\n", "True False\n", [4, 9])


@pytest.mark.parametrize(
    "code",
    [
        "def f(xs):\n    found = False\n    for x in xs:\n        if x:\n            found = True\n            break\n"
        "    return found\n",  # inside a function the loop is as fast
        "xs = [1]\nfound = False\nfor x in xs:\n    if x:\n        found = True\n        break\nprint(x)\n",
        "xs = [1]\nfound = False\nfor x in xs:\n    if x:\n        found = False\n        break\n",  # not a flip
    ],
)
def test_any_all_loop_precondition(code):
    assert edits_of(code, "PERF114") == []


def test_counter_loop():
    slow = (
        "words = input().split()\n"
        "freq = {}\n"
        "for w in words:\n"
        "    if w in freq:\n"
        "        freq[w] += 1\n"
        "    else:\n"
        "        freq[w] = 1\n"
        "lengths = {}\n"
        "for w in words:\n"
        "    lengths[len(w)] = lengths.get(len(w), 0) + 1\n"
        "print(freq, lengths)\n"
    )
    fast = (
        "from collections import Counter\n"
        "words = input().split()\n"
        "freq = dict(Counter(words))\n"
        "lengths = dict(Counter(len(w) for w in words))\n"
        "print(freq, lengths)\n"
    )
    check("PERF116", slow, fast, "b a b cc\n", "{'b': 2, 'a': 1, 'cc': 1} {1: 3, 2: 1}\n", [4, 10])


@pytest.mark.parametrize(
    "code",
    [
        "d = {'x': 1}\nfor w in 'ab':\n    d[w] = d.get(w, 0) + 1\n",  # does not start empty
        "d = {}\nfor w in 'ab':\n    d[w] = d.get(w, 0) + 1\n    print(w)\n",  # the loop does more
        "d = {}\nfor w in 'ab':\n    d[w] = d.get(w, 0) + 2\n",  # not a count
        "def key(w):\n    print(w)\n    return w\nd = {}\nfor w in 'ab':\n    d[key(w)] = d.get(key(w), 0) + 1\n",
    ],
)
def test_counter_loop_precondition(code):
    assert edits_of(code, "PERF116") == []


def test_accumulate_loop():
    slow = (
        "xs = list(map(int, input().split()))\nprefix = [0]\nfor x in xs:\n    prefix.append(prefix[-1] + x)\n"
        "print(prefix)\n"
    )
    fast = (
        "from itertools import accumulate\nxs = list(map(int, input().split()))\n"
        "prefix = list(accumulate(xs, initial=0))\nprint(prefix)\n"
    )
    check("PERF127", slow, fast, "3 1 2\n", "[0, 3, 4, 6]\n", [4])


@pytest.mark.parametrize(
    "code",
    [
        "xs = [1]\np = [0, 0]\nfor x in xs:\n    p.append(p[-1] + x)\n",  # two starting values
        "xs = [1]\np = [0]\nfor x in xs:\n    p.append(p[-2] + x)\n",  # not the running total
        "xs = [1]\np = [0]\nfor x in xs:\n    p.append(p[-1] + x)\nprint(x)\n",  # loop variable used after
    ],
)
def test_accumulate_loop_precondition(code):
    assert edits_of(code, "PERF127") == []


def test_string_concat_in_loop():
    slow = (
        "n = int(input())\n"
        'line = ""\n'
        "for i in range(n):\n"
        "    if i:\n"
        '        line += ","\n'
        "    line += str(i)\n"
        'line += "!"\n'
        "print(line)\n"
    )
    fast = (
        "n = int(input())\n"
        "line_parts = []\n"
        "for i in range(n):\n"
        "    if i:\n"
        '        line_parts.append(",")\n'
        "    line_parts.append(str(i))\n"
        "line = ''.join(line_parts)\n"
        'line += "!"\n'
        "print(line)\n"
    )
    check("PERF108", slow, fast, "4\n", "0,1,2,3!\n", [5])
    assert run_program(fast, "0\n") == run_program(slow, "0\n") == "!\n"


@pytest.mark.parametrize(
    "code",
    [
        "s = ''\nfor c in 'abc':\n    s += c\n    print(len(s))\n",  # read inside the loop
        "s = ''\ntry:\n    for c in 'abc':\n        s += c\nexcept ValueError:\n    pass\n",  # an exception mid-way
        "s = ''\nprint(s)\nfor c in 'abc':\n    s += c\n",  # not right before the loop
        "def show():\n    print(s)\ns = ''\nfor c in 'abc':\n    s += c\n    show()\n",  # read by a function
    ],
)
def test_string_concat_in_loop_precondition(code):
    assert edits_of(code, "PERF108") == []
