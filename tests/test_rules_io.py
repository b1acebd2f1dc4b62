"""Input and output rules: buffered input (PERF103), eval(input()) (PERF104), print in loops (PERF105)."""

import pytest
from rules_support import edits_of, run_program

from optimizer.rules import RULES_BY_CODE, find_all, rewrite

HELPER = """def input():
    line = sys.stdin.readline()
    if not line:
        raise EOFError("EOF when reading a line")
    return line.rstrip("\\n")
"""

BUFFERED_SLOW = """import sys

n = int(input())
words = []
for _ in range(n):
    words.append(input())
print(len(words), words[-1])
"""

BUFFERED_FAST = f"""import sys


{HELPER}


n = int(input())
words = []
for _ in range(n):
    words.append(input())
print(len(words), words[-1])
"""


def test_buffered_input_rewrite():
    [finding] = find_all(BUFFERED_SLOW, [RULES_BY_CODE["PERF103"]])
    assert finding.code == "PERF103" and finding.start == (6, 17)
    assert rewrite(BUFFERED_SLOW, select={"PERF103"}).code == BUFFERED_FAST
    stdin = "3\nab c\n\nlast line  \n"
    assert run_program(BUFFERED_FAST, stdin) == run_program(BUFFERED_SLOW, stdin) == "3 last line  \n"


def test_buffered_input_adds_sys_and_keeps_eof_behaviour():
    slow = (
        "total = 0\n"
        "while True:\n"
        "    try:\n"
        "        line = input()\n"
        "    except EOFError:\n"
        "        break\n"
        "    total += len(line)\n"
        "print(total)\n"
    )
    fast = rewrite(slow, select={"PERF103"}).code
    assert fast == f"import sys\n\n\n{HELPER}\n\n{slow}"
    for stdin in ("ab\ncd", "ab\ncd\n", "", "\n\n"):
        assert run_program(fast, stdin) == run_program(slow, stdin)


def test_buffered_input_is_the_exact_reader_even_where_line_ends_do_not_matter():
    # The bare `input = sys.stdin.readline` would return '' past the end of input where input() raised.
    slow = "n = int(input())\nfor _ in range(n):\n    a, b = map(int, input().split())\n    print(a * b)\n"
    fast = rewrite(slow, select={"PERF103"}).code
    assert "def input():" in fast and "input = sys.stdin.readline" not in fast
    assert run_program(fast, "2\n2 3\n4 5\n") == run_program(slow, "2\n2 3\n4 5\n") == "6\n20\n"


def test_buffered_input_keeps_eof_errors_where_they_are_caught():
    slow = "try:\n    while True:\n        print(int(input()) * 2)\nexcept EOFError:\n    print('end')\n"
    fast = rewrite(slow, select={"PERF103"}).code
    assert "def input():" in fast
    assert run_program(fast, "1\n2\n") == run_program(slow, "1\n2\n") == "2\n4\nend\n"


@pytest.mark.parametrize(
    "code",
    [
        "import sys\ninput = sys.stdin.readline\nfor _ in range(3):\n    print(input())\n",  # already rebound
        "for _ in range(3):\n    print(input('> '))\n",  # a prompt writes to stdout
        "n = int(input())\nprint(n)\n",  # not in a loop: nothing to gain
        "sys = None\nfor _ in range(3):\n    print(input())\n",  # `sys` means something else here
    ],
)
def test_buffered_input_precondition(code):
    assert edits_of(code, "PERF103") == []


EVAL_SLOW = """t = int(eval(input()))
for _ in range(t):
    a, b = map(int, input().split())
    eval(input())
    x = float(eval(input().strip()))
    print(a + b, x)
"""

EVAL_FAST = """t = int(input())
for _ in range(t):
    a, b = map(int, input().split())
    input()
    x = float(input().strip())
    print(a + b, x)
"""


def test_eval_input_rewrite():
    findings = find_all(EVAL_SLOW, [RULES_BY_CODE["PERF104"]])
    assert [(f.code, f.start) for f in findings] == [("PERF104", (1, 8)), ("PERF104", (4, 4)), ("PERF104", (5, 14))]
    assert rewrite(EVAL_SLOW, select={"PERF104"}).code == EVAL_FAST
    stdin = "2\n1 2\n0\n 2.5 \n3 4\n5\n7\n"
    assert run_program(EVAL_FAST, stdin) == run_program(EVAL_SLOW, stdin) == "3 2.5\n7 7.0\n"


@pytest.mark.parametrize(
    "code",
    [
        "x = eval(input())\nprint(x)\n",  # the evaluated value itself is used
        "s = '1+2'\nprint(int(eval(s)))\n",  # not a line of input
        "eval = len\nprint(int(eval(input())))\n",  # not the builtin
    ],
)
def test_eval_input_precondition(code):
    assert edits_of(code, "PERF104") == []


PRINT_SLOW = """n = int(input())
for i in range(n):
    if i % 2:
        print(i, i * i)
    else:
        print("even")
    print(*[i, -i], sep=",")
print("done")
"""

PRINT_FAST = """n = int(input())
output_lines = []
for i in range(n):
    if i % 2:
        output_lines.append('%s %s' % (i, i * i))
    else:
        output_lines.append("even")
    output_lines.append(','.join(map(str, [i, -i])))
if output_lines:
    print("\\n".join(output_lines))
print("done")
"""


def test_print_in_loop_rewrite():
    [finding] = find_all(PRINT_SLOW, [RULES_BY_CODE["PERF105"]])
    assert finding.start == (4, 8)  # the print call, not the loop around it
    assert rewrite(PRINT_SLOW, select={"PERF105"}).code == PRINT_FAST
    for stdin in ("4\n", "0\n"):
        assert run_program(PRINT_FAST, stdin) == run_program(PRINT_SLOW, stdin)
    assert run_program(PRINT_FAST, "0\n") == "done\n"


def test_print_in_loop_converts_an_inner_loop_when_the_outer_one_exits():
    slow = "for k in range(3):\n    if k == 2:\n        exit()\n    for j in range(k + 1):\n        print(j, (k, j))\n"
    fast = (
        "for k in range(3):\n"
        "    if k == 2:\n"
        "        exit()\n"
        "    output_lines = []\n"
        "    for j in range(k + 1):\n"
        "        output_lines.append('%s %s' % (j, (k, j)))\n"
        "    if output_lines:\n"
        '        print("\\n".join(output_lines))\n'
    )
    assert rewrite(slow, select={"PERF105"}).code == fast
    assert run_program(fast) == run_program(slow) == "0 (0, 0)\n0 (1, 0)\n1 (1, 1)\n"


@pytest.mark.parametrize(
    "code",
    [
        "for i in range(3):\n    print(i)\n    if i == 1:\n        exit()\n",  # stops before the final print
        "for i in range(3):\n    print(i, end=' ')\n",  # a different line end
        "while True:\n    print(int(input()))\n",  # ends only with EOFError, after printing
        "import sys\nfor i in range(3):\n    print(i)\nsys.stdout.write('x')\n",  # other writes to stdout
        "try:\n    for i in range(3):\n        print(10 // (1 - i))\nexcept ZeroDivisionError:\n    print('caught')\n",
        "def show(x):\n    print(x)\nfor i in range(3):\n    print(i)\n    show(i)\n",  # a function that prints
        # an early return
        "def f():\n    for i in range(3):\n        print(i)\n        if i:\n            return i\nf()\n",
        "def g():\n    for i in range(3):\n        print(i)\n        yield i\nlist(g())\n",  # a generator
    ],
)
def test_print_in_loop_precondition(code):
    assert edits_of(code, "PERF105") == []
