"""Import rules: unused imports (PERF101), NumPy for scalars (PERF102), NumPy arrays used as lists (PERF107)."""

import pytest
from rules_support import edits_of, run_program

from optimizer.rules import RULES_BY_CODE, find_all, rewrite

UNUSED_SLOW = """import math, sys
import numpy as np
from collections import deque, Counter  # queues
import scipy.special

def helper():
    import heapq
    return 1

x = int(sys.stdin.readline()); import random
print(math.floor(x / 2), Counter("aab")["a"], helper())
"""

UNUSED_FAST = """import math, sys
from collections import Counter  # queues

def helper():
    return 1

x = int(sys.stdin.readline())
print(math.floor(x / 2), Counter("aab")["a"], helper())
"""


def test_unused_import_rewrite():
    findings = find_all(UNUSED_SLOW, [RULES_BY_CODE["PERF101"]])
    assert [f.start for f in findings] == [(2, 0), (3, 0), (4, 0), (7, 4), (10, 31)]
    assert "~80 ms" in findings[0].message
    assert rewrite(UNUSED_SLOW, select={"PERF101"}).code == UNUSED_FAST
    assert run_program(UNUSED_FAST, "7\n") == run_program(UNUSED_SLOW, "7\n") == "3 2 1\n"


def test_unused_import_alone_in_a_block_becomes_pass():
    code = "if True:\n    import numpy\nprint(1)\n"
    assert rewrite(code, select={"PERF101"}).code == "if True:\n    pass\nprint(1)\n"


@pytest.mark.parametrize(
    "code",
    [
        "import numpy as np\nprint(eval('np.pi'))\n",  # used through a string
        "import this\n",  # importing it prints: a side effect
        "import numpy as np\n__all__ = ['np']\n",  # re-exported
        "import numpy as np\nimport scipy as np\nprint(np)\n",  # the name is bound twice
        "from numpy import *\n",
        "import mymodule\n",  # unknown modules may have side effects
    ],
)
def test_unused_import_precondition(code):
    assert edits_of(code, "PERF101") == []


SCALAR_SLOW = """import numpy as np

n = int(input())
r = np.sqrt(n)
side = int(np.ceil(r))
best = np.inf
for k in range(1, side + 1):
    best = min(best, np.abs(n - k * k))
print(side, best, np.floor(r), np.maximum(n, 3))
"""

SCALAR_FAST = """import math

n = int(input())
r = math.sqrt(n)
side = int(math.ceil(r))
best = math.inf
for k in range(1, side + 1):
    best = min(best, abs(n - k * k))
print(side, best, float(math.floor(r)), max(n, 3))
"""


def test_numpy_scalar_math_rewrite():
    [finding] = find_all(SCALAR_SLOW, [RULES_BY_CODE["PERF102"]])
    assert finding.start == (1, 0) and "np.sqrt" in finding.message
    assert rewrite(SCALAR_SLOW, select={"PERF102"}).code == SCALAR_FAST
    for stdin in ("10\n", "16\n", "1\n"):
        assert run_program(SCALAR_FAST, stdin) == run_program(SCALAR_SLOW, stdin)


def test_numpy_list_reductions_become_builtins():
    slow = (
        "import math\n"
        "import numpy as np\n"
        "xs = [int(t) for t in input().split()]\n"
        "if np.sum(xs[:2]) > 3:\n"
        "    print(np.max(xs), *list(np.cumsum(xs)), math.pi > 3)\n"
    )
    fast = (
        "import math\n"
        "from itertools import accumulate\n"
        "xs = [int(t) for t in input().split()]\n"
        "if sum(xs[:2]) > 3:\n"
        "    print(max(xs), *list(accumulate(xs)), math.pi > 3)\n"
    )
    assert rewrite(slow, select={"PERF102"}).code == fast
    assert run_program(fast, "3 4 5\n") == run_program(slow, "3 4 5\n") == "5 3 7 12 True\n"


@pytest.mark.parametrize(
    "code",
    [
        "import numpy as np\na = np.array([1, 2])\nprint(np.sqrt(4), a)\n",  # a real array remains
        "import numpy as np\nprint(np.sqrt([1, 4]))\n",  # vectorised over a list
        "import numpy as np\nxs = [1, 2]\nprint(np.sum(xs))\n",  # np.sum([]) would print 0.0
        "import numpy as np\nmath = 3\nprint(np.sqrt(4), math)\n",  # `math` is taken
    ],
)
def test_numpy_scalar_math_precondition(code):
    assert edits_of(code, "PERF102") == []


ARRAY_SLOW = """import numpy as np

n, k = map(int, input().split())
values = list(map(int, input().split()))
counts = np.zeros(n + 1, dtype=np.int64)
seen = np.full(n + 1, False)
weights = np.array(values)
grid = np.zeros((2, n))
for v in values:
    counts[v] += 1
    seen[v] = True
    grid[v % 2, v - 1] = 1.5
total = 0
for i in range(n + 1):
    if seen[i]:
        total += counts[i] * weights[i % len(weights)]
print(total, sum(counts), grid[1][0])
"""

ARRAY_FAST = """import numpy as np

n, k = map(int, input().split())
values = list(map(int, input().split()))
counts = [0] * (n + 1)
seen = [False] * (n + 1)
weights = list(values)
grid = [[0.0] * n for _ in range(2)]
for v in values:
    counts[v] += 1
    seen[v] = True
    grid[v % 2][v - 1] = 1.5
total = 0
for i in range(n + 1):
    if seen[i]:
        total += counts[i] * weights[i % len(weights)]
print(total, sum(counts), grid[1][0])
"""


def test_numpy_array_as_list_rewrite():
    findings = find_all(ARRAY_SLOW, [RULES_BY_CODE["PERF107"]])
    assert [f.start[0] for f in findings] == [5, 6, 7, 8]
    assert rewrite(ARRAY_SLOW, select={"PERF107"}).code == ARRAY_FAST
    stdin = "4 0\n1 2 2 4\n"
    assert run_program(ARRAY_FAST, stdin) == run_program(ARRAY_SLOW, stdin) == "7 4 1.5\n"
    # Once no array is left, the import goes too.
    assert "numpy" not in rewrite(ARRAY_SLOW).code


def test_numpy_element_wise_arithmetic_becomes_comprehensions():
    slow = (
        "import numpy as np\n"
        "n = int(input())\n"
        "v = np.array(list(map(int, input().split())))\n"
        "c = np.array([int(x) for x in input().split()])\n"
        "d = v - c\n"
        "e = 2 * d + 1\n"
        "ans = 0\n"
        "for i in range(n):\n"
        "    if d[i] > 0:\n"
        "        ans += e[i]\n"
        "print(ans, *d)\n"
    )
    fast = (
        "import numpy as np\n"
        "n = int(input())\n"
        "v = list(map(int, input().split()))\n"
        "c = [int(x) for x in input().split()]\n"
        "d = [v_value - c_value for v_value, c_value in zip(v, c, strict=True)]\n"
        "e = [2 * d_value + 1 for d_value in d]\n"
        "ans = 0\n"
        "for i in range(n):\n"
        "    if d[i] > 0:\n"
        "        ans += e[i]\n"
        "print(ans, *d)\n"
    )
    [finding] = find_all(slow, [RULES_BY_CODE["PERF107"]])
    assert finding.start == (3, 0) and "`v`, `c`, `d`, `e` are NumPy arrays" in finding.message
    assert rewrite(slow, select={"PERF107"}).code == fast
    stdin = "3\n5 1 4\n2 3 1\n"
    assert run_program(fast, stdin) == run_program(slow, stdin) == "14 3 -2 3\n"
    # Arrays of different lengths fail in both versions.
    with pytest.raises(ValueError):
        run_program(slow, "2\n1 2\n1 2 3\n")
    with pytest.raises(ValueError):
        run_program(fast, "2\n1 2\n1 2 3\n")


def test_numpy_element_wise_expression_consumed_as_an_iterable_becomes_a_comprehension():
    slow = (
        "import numpy as np\n"
        "v = np.array(list(map(int, input().split())))\n"
        "c = np.array(list(map(int, input().split())))\n"
        "e = list(v - c)\n"
        "print(sum(x for x in e if x > 0), max(v + 1))\n"
    )
    fast = (
        "import numpy as np\n"
        "v = list(map(int, input().split()))\n"
        "c = list(map(int, input().split()))\n"
        "e = [v_value - c_value for v_value, c_value in zip(v, c, strict=True)]\n"
        "print(sum(x for x in e if x > 0), max([v_value_1 + 1 for v_value_1 in v]))\n"
    )
    [finding] = find_all(slow, [RULES_BY_CODE["PERF107"]])
    assert "`v`, `c` are NumPy arrays" in finding.message, finding.message
    assert rewrite(slow, select={"PERF107"}).code == fast
    stdin = "5 1 4\n2 3 1\n"
    assert run_program(fast, stdin) == run_program(slow, stdin) == "6 6\n"
    assert "numpy" not in rewrite(slow).code


@pytest.mark.parametrize("use", [
    "print(v - c)",  # printed as an array
    "print(sum(v * 0.5 - c))",  # NumPy sums floats pairwise
    "w = v - c\nw.sort()\nprint(w[0])",  # a whole-array method
])
def test_numpy_element_wise_expression_needing_an_array_is_left_alone(use):
    slow = (
        "import numpy as np\n"
        "v = np.array(list(map(int, input().split())))\n"
        "c = np.array(list(map(int, input().split())))\n"
        f"{use}\n"
    )
    assert find_all(slow, [RULES_BY_CODE["PERF107"]]) == []


def test_numpy_array_reductions_become_builtins():
    slow = (
        "import numpy as np\n"
        "v = np.array([int(x) for x in input().split()])\n"
        "c = np.array([int(x) for x in input().split()])\n"
        "delta = v - c\n"
        "print(delta[delta > 0].sum(), v.max(), c.sum(), delta[delta < -1].min())\n"
    )
    fast = (
        "import numpy as np\n"
        "v = [int(x) for x in input().split()]\n"
        "c = [int(x) for x in input().split()]\n"
        "delta = [v_value - c_value for v_value, c_value in zip(v, c, strict=True)]\n"
        "print(sum(value for value in delta if value > 0), max(v), sum(c), "
        "min(value for value in delta if value < -1))\n"
    )
    assert rewrite(slow, select={"PERF107"}).code == fast
    stdin = "5 1 4\n2 3 1\n"
    assert run_program(fast, stdin) == run_program(slow, stdin) == "6 5 6 -2\n"
    # NumPy adds floats pairwise, not in order: a float array's sum() keeps the array.
    assert rewrite("import numpy as np\na = np.zeros(3)\nprint(a.sum())\n", select={"PERF107"}).applied == []


@pytest.mark.parametrize(
    "code",
    [
        "import numpy as np\na = np.zeros(3)\nprint(a)\n",  # printed as an array
        "import numpy as np\na = np.zeros(3)\nprint(a * 2)\n",  # whole-array arithmetic printed
        "import numpy as np\na = np.zeros(3)\nb = a / 2\nprint(b[0])\n",  # division is not rewritten
        "import numpy as np\na = np.zeros(3)\nidx = [0, 1]\na[idx] = 1\n",  # fancy indexing
        "import numpy as np\na = np.zeros(3)\nprint(a.mean())\n",  # an array method
        "import numpy as np\na = np.zeros(3, dtype=int)\na[0] = 2.5\n",  # NumPy truncates to int
        "import numpy as np\na = np.zeros(3, dtype=bool)\nprint(a[0] + a[1])\n",  # bool arithmetic differs
        "import numpy as np\na = np.zeros(3)\nprint(a[1:])\n",  # a slice is a view
        "import numpy as np\na = np.zeros(3)\na = np.ones(3)\nprint(a[0])\n",  # bound twice
        "import numpy as np\ndef f(x):\n    return x\na = np.zeros(3)\nf(a)\n",  # handed to a function
    ],
)
def test_numpy_array_as_list_precondition(code):
    assert edits_of(code, "PERF107") == []
