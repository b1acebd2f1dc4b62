"""Moving module-level loops into a function (PERF106)."""

import pytest
from rules_support import run_program

from optimizer.rules import RULES_BY_CODE, find_all, rewrite


def edits_of(code: str) -> list:
    return [f for f in find_all(code, [RULES_BY_CODE["PERF106"]]) if f.edits]


WRAP_SLOW = '''import sys
# the weight is read below
def score(x):
    return x * weight

weight = int(input())
total = 0
text = """a
b"""
for i in range(5):
    total += score(i)
max = total
print(max, len(text))
'''

WRAP_FAST = '''import sys
# the weight is read below
def score(x):
    return x * weight

def main():
    global max, weight
    weight = int(input())
    total = 0
    text = """a
b"""
    for i in range(5):
        total += score(i)
    max = total
    print(max, len(text))
main()
'''


def test_wrap_module_loop_rewrite():
    [finding] = find_all(WRAP_SLOW, [RULES_BY_CODE["PERF106"]])
    assert finding.start == (10, 0) and "1 loop runs at module level" in finding.message
    # `weight` is read by score() and `max` is a builtin: both stay global; the string keeps its lines.
    assert rewrite(WRAP_SLOW, select={"PERF106"}).code == WRAP_FAST
    assert run_program(WRAP_FAST, "3\n") == run_program(WRAP_SLOW, "3\n") == "30 3\n"


def test_wrap_main_guard_with_tabs():
    slow = (
        'def solve(n):\n\treturn n * 2\n\nif __name__ == "__main__":  # entry\n\tn = int(input())\n'
        "\tfor k in range(n):\n\t\tprint(solve(k))\n"
    )
    fast = (
        "def solve(n):\n\treturn n * 2\n\ndef main():\n\tn = int(input())\n\tfor k in range(n):\n"
        '\t\tprint(solve(k))\n\n\nif __name__ == "__main__":\n\tmain()\n'
    )
    assert rewrite(slow, select={"PERF106"}).code == fast
    assert run_program(fast, "3\n") == run_program(slow, "3\n") == "0\n2\n4\n"


def test_wrap_keeps_globals_that_functions_write():
    slow = "def bump():\n    global count\n    count += 1\ncount = 0\nfor _ in range(3):\n    bump()\nprint(count)\n"
    fast = rewrite(slow, select={"PERF106"}).code
    assert "    global count\n" in fast.split("def main():")[1]
    assert run_program(fast) == run_program(slow) == "3\n"


def test_wrap_uses_a_free_name_and_tab_indentation_of_the_moved_code():
    slow = "main = 5\nfor i in range(2):\n\tprint(i + main)\n"
    fast = rewrite(slow, select={"PERF106"}).code
    assert fast == "def _main():\n\tmain = 5\n\tfor i in range(2):\n\t\tprint(i + main)\n_main()\n"
    assert run_program(fast) == run_program(slow)


@pytest.mark.parametrize(
    "code",
    [
        "x = 0\nglobal y\nfor i in range(3):\n    x += i\n",  # a module-level global statement
        "exec('z = 1')\nfor i in range(3):\n    print(z)\n",  # names created at run time
        "from math import *\nfor i in range(3):\n    print(sqrt(i))\n",  # star import is not allowed in a function
        "n = int(input())\nprint(n * 2)\n",  # no loop: nothing to gain
        "for i in range(3):\n    print(locals()['i'])\n",  # reads the namespace by name
        "def f():\n    pass\n",  # nothing after the definitions
    ],
)
def test_wrap_module_loop_precondition(code):
    assert edits_of(code) == []
