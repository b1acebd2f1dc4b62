"""Hoisting, memoisation, arithmetic and iteration rules."""

import pytest
from rules_support import check, edits_of, run_program

from optimizer.rules import rewrite


def test_sorted_in_loop():
    slow = (
        "xs = list(map(int, input().split()))\n"
        "k = int(input())\n"
        "answer = []\n"
        "for i in range(k):\n"
        "    ranked = sorted(xs, reverse=True)\n"
        "    answer.append(ranked[i % len(ranked)] + sorted(xs)[0])\n"
        "print(answer)\n"
    )
    fast = (
        "xs = list(map(int, input().split()))\n"
        "k = int(input())\n"
        "answer = []\n"
        "xs_sorted = sorted(xs, reverse=True)\n"
        "xs_sorted_1 = sorted(xs)\n"
        "for i in range(k):\n"
        "    ranked = xs_sorted\n"
        "    answer.append(ranked[i % len(ranked)] + xs_sorted_1[0])\n"
        "print(answer)\n"
    )
    check("PERF119", slow, fast, "3 1 2\n4\n", "[4, 3, 2, 4]\n", [5, 6])


@pytest.mark.parametrize(
    "code",
    [
        "xs = [3, 1]\nfor i in range(2):\n    xs.append(i)\n    print(sorted(xs))\n",  # the list changes
        "xs = [3, 1]\nfor i in range(2):\n    r = sorted(xs)\n    r.pop()\n",  # the sorted copy is changed
        "xs = [3, 1]\nfor i in range(2):\n    print(sorted(xs, key=lambda v: v * i))\n",  # the key changes
    ],
)
def test_sorted_in_loop_precondition(code):
    assert edits_of(code, "PERF119") == []


def test_regex_in_loop():
    slow = (
        "import re\n\n"
        "n = int(input())\n"
        "for _ in range(n):\n"
        "    line = input()\n"
        '    if re.match(r"\\d+$", line):\n'
        '        print(re.sub("[0-9]", "#", line, count=2))\n'
    )
    fast = (
        "import re\n\n"
        "n = int(input())\n"
        'pattern = re.compile(r"\\d+$")\n'
        'pattern_1 = re.compile("[0-9]")\n'
        "for _ in range(n):\n"
        "    line = input()\n"
        "    if pattern.match(line):\n"
        '        print(pattern_1.sub("#", line, count=2))\n'
    )
    check("PERF124", slow, fast, "3\n123\nab1\n7\n", "##3\n#\n", [6, 7])


@pytest.mark.parametrize(
    "code",
    [
        "import re\nfor p in ['a', 'b']:\n    print(re.match(p, 'abc'))\n",  # the pattern changes
        "import re\nprint(re.match('a', 'abc'))\n",  # not in a loop
        "import re\nre = None\nfor s in 'ab':\n    print(re.match('a', s))\n",  # `re` is rebound
    ],
)
def test_regex_in_loop_precondition(code):
    assert edits_of(code, "PERF124") == []


def test_while_len_hoist():
    slow = (
        "xs = list(map(int, input().split()))\n"
        "i = 0\n"
        "total = 0\n"
        "while i < len(xs) and xs[i] >= 0:\n"
        "    total += xs[i]\n"
        "    i += 1\n"
        "print(total)\n"
    )
    fast = slow.replace("total = 0\n", "total = 0\nxs_len = len(xs)\n").replace("i < len(xs)", "i < xs_len")
    check("PERF128", slow, fast, "1 2 -1 5\n", "3\n", [4])


def test_while_len_hoist_precondition():
    assert edits_of("xs = [1]\nwhile len(xs) < 5:\n    xs.append(1)\n", "PERF128") == []


def test_memoize_recursion():
    slow = (
        "def ways(n, k):\n"
        '    """Number of ways to climb n steps taking 1..k at a time."""\n'
        "    if n == 0:\n"
        "        return 1\n"
        "    if n < 0: return 0\n"
        "    total = 0\n"
        "    for step in range(1, k + 1):\n"
        "        total += ways(n - step, k)\n"
        "    return total % 1000000007\n"
        "\n\n"
        "n = int(input())\n"
        "print(ways(n, 3))\n"
    )
    fast = (
        "ways_memo = {}\n"
        "def ways(n, k):\n"
        '    """Number of ways to climb n steps taking 1..k at a time."""\n'
        "    if (n, k) in ways_memo:\n"
        "        return ways_memo[(n, k)]\n"
        "    if n == 0:\n"
        "        return ways_memo.setdefault((n, k), 1)\n"
        "    if n < 0: return ways_memo.setdefault((n, k), 0)\n"
        "    total = 0\n"
        "    for step in range(1, k + 1):\n"
        "        total += ways(n - step, k)\n"
        "    return ways_memo.setdefault((n, k), total % 1000000007)\n"
        "\n\n"
        "n = int(input())\n"
        "print(ways(n, 3))\n"
    )
    check("PERF120", slow, fast, "10\n", "274\n", [1])
    # The cached version handles what the plain one could not in any reasonable time.
    assert run_program(fast, "300\n").strip().isdigit()


def test_memoize_keeps_the_recursion_depth():
    """A dict cache adds no frames: a recursion as deep as the plain one allows still works.

    (``functools.lru_cache`` would fail here: its C wrapper doubles the frames counted per level.)
    """
    slow = (
        "def f(n, k):\n"
        "    if n == 0:\n"
        "        return k\n"
        "    return f(n - 1, k) if k else f(n - 1, k) + 1\n"
        "print(f(900, 1))\n"
    )
    fast = rewrite(slow, select={"PERF120"}).code
    assert fast != slow
    assert run_program(fast) == run_program(slow) == "1\n"


@pytest.mark.parametrize(
    "code",
    [
        "seen = []\ndef f(n):\n    seen.append(n)\n    return n if n < 2 else f(n - 1) + f(n - 2)\nprint(f(5))\n",
        "def f(n):\n    print(n)\n    return n if n < 2 else f(n - 1) + f(n - 2)\nf(5)\n",  # prints
        "k = 1\ndef f(n):\n    return k if n < 2 else f(n - 1) + f(n - 2)\nk = 2\nprint(f(5))\n",  # a global changes
        "def f(xs):\n    return 0 if not xs else f(xs[1:]) + f(xs[1:])\nprint(f([1, 2]))\n",  # unhashable argument
        "def f(n):\n    n -= 1\n    return 0 if n < 1 else f(n) + f(n - 1)\nprint(f(5))\n",  # rebinds its argument
        "def f(n):\n    return n\nprint(f(3))\n",  # not recursive
        "def f(n):\n    return [n] if n < 1 else f(n - 1) + f(n - 2)\nprint(f(3))\n",  # returns a mutable list
    ],
)
def test_memoize_recursion_precondition(code):
    assert edits_of(code, "PERF120") == []


def test_pow_mod():
    slow = (
        "MOD = 10 ** 9 + 7\n"
        "a, b = map(int, input().split())\n"
        "inverse = a ** (MOD - 2) % MOD\n"
        "print(inverse * b % MOD)\n"
    )
    fast = slow.replace("a ** (MOD - 2) % MOD", "pow(a, MOD - 2, MOD)")
    check("PERF121", slow, fast, "2 4\n", "2\n", [3])


@pytest.mark.parametrize(
    "code",
    [
        "a = 3\nprint(a ** 2 % 5)\n",  # a small power: no gain
        "a = 2.5\nb = 40\nprint(a ** b % 7)\n",  # floats: pow with a modulus needs ints
        "a = 3\nb = 40\nprint(a ** -b % 7)\n",  # a negative exponent means a modular inverse in pow()
    ],
)
def test_pow_mod_precondition(code):
    assert edits_of(code, "PERF121") == []


def test_int_sqrt():
    slow = "import math\nn = int(input())\nprint(int(n ** 0.5), int(math.sqrt(n)))\n"
    fast = "import math\nn = int(input())\nprint(math.isqrt(n), math.isqrt(n))\n"
    check("PERF122", slow, fast, "99\n", "9 9\n", [3, 3])


@pytest.mark.parametrize(
    "code",
    [
        "x = float(input())\nprint(int(x ** 0.5))\n",  # a float
        "def f(v):\n    return int(v ** 0.5)\n",  # unknown type
        "n = 5\nprint(int(n ** 0.25))\n",  # not a square root
    ],
)
def test_int_sqrt_precondition(code):
    assert edits_of(code, "PERF122") == []


def test_range_len_index():
    slow = (
        "names = input().split()\n"
        "longest = 0\n"
        "for i in range(len(names)):\n"
        "    if len(names[i]) > longest:\n"
        "        longest = len(names[i])\n"
        "print(longest)\n"
    )
    fast = (
        "names = input().split()\n"
        "longest = 0\n"
        "for name in names:\n"
        "    if len(name) > longest:\n"
        "        longest = len(name)\n"
        "print(longest)\n"
    )
    check("PERF123", slow, fast, "ab abcd c\n", "4\n", [3])


@pytest.mark.parametrize(
    "code",
    [
        "xs = [1, 2]\nfor i in range(len(xs)):\n    xs[i] = 0\n",  # stores through the index
        "xs = [1, 2]\nfor i in range(len(xs)):\n    print(i, xs[i])\n",  # uses the index itself
        "xs = [1, 2]\nfor i in range(len(xs)):\n    xs.append(xs[i]) if len(xs) < 4 else None\n",  # grows
        "xs = [1, 2]\nfor i in range(len(xs)):\n    print(xs[i])\nprint(i)\n",  # the index is used after
    ],
)
def test_range_len_index_precondition(code):
    assert edits_of(code, "PERF123") == []


def test_redundant_list_call():
    slow = (
        "a, b = list(map(int, input().split()))\n"
        "total = 0\n"
        "for i in list(range(a, b)):\n"
        "    total += i * i\n"
        "for j in reversed(list(range(3))):\n"
        "    total -= j\n"
        'print(total, sorted(list(map(int, "3 1 2".split()))))\n'
    )
    fast = (
        "a, b = map(int, input().split())\n"
        "total = 0\n"
        "for i in range(a, b):\n"
        "    total += i * i\n"
        "for j in reversed(range(3)):\n"
        "    total -= j\n"
        'print(total, sorted(map(int, "3 1 2".split())))\n'
    )
    check("PERF129", slow, fast, "2 5\n", "26 [1, 2, 3]\n", [1, 3, 5, 7])


@pytest.mark.parametrize(
    "code",
    [
        "xs = list(map(int, '1 2'.split()))\nprint(xs)\n",  # the list itself is kept
        "ys = [1, 2]\nfor y in list(map(abs, ys)):\n    ys.append(y)\n",  # the loop changes the source
        "def f(v):\n    print(v)\n    return v\nfor y in list(map(f, [1])):\n    print(y)\n",  # effects interleave
        "print(len(list(map(int, '12'))))\n",  # len() needs a sequence
    ],
)
def test_redundant_list_call_precondition(code):
    assert edits_of(code, "PERF129") == []


def test_any_all_over_list():
    slow = (
        "xs = list(map(int, input().split()))\nprint(any([x > 10 for x in xs]), all([x % 2 == 0 for x in xs if x]))\n"
    )
    fast = "xs = list(map(int, input().split()))\nprint(any(x > 10 for x in xs), all(x % 2 == 0 for x in xs if x))\n"
    check("PERF130", slow, fast, "4 0 12\n", "True True\n", [2, 2])


def test_any_all_over_list_precondition():
    code = "def check(x):\n    print(x)\n    return x\nprint(any([check(x) for x in [1, 2]]))\n"
    assert edits_of(code, "PERF130") == []
