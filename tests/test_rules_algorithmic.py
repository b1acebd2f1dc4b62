"""Algorithmic rules found by classifying the tuning half (issue 14 item 5): digit counting by division."""

import pytest
from rules_support import check, edits_of, run_program

from optimizer.rules import rewrite

ODD_DIGITS = (
    "n = int(input())\n"
    "odd = 0\n"
    "for i in range(1, n + 1):\n"
    "    digits = 0\n"
    "    x = i\n"
    "    while x > 0:\n"
    "        x //= 10\n"
    "        digits += 1\n"
    "    if digits % 2 == 1:\n"
    "        odd += 1\n"
    "print(odd)\n"
)


def test_digit_count_loop_counts_with_len_str():
    fast = ODD_DIGITS.replace(
        "    while x > 0:\n        x //= 10\n        digits += 1\n",
        "    if x > 0:\n        digits += len(str(x))\n",  # x is rebound before each loop and read nowhere else
    )
    check("PERF131", ODD_DIGITS, fast, "1234\n", "909\n", [6])


def test_digit_count_loop_from_ten_keeps_the_leading_digit():
    slow = (
        "def width(num):\n"
        "    count = 1\n"
        "    while num / 10 >= 1:\n"
        "        count += 1\n"
        "        num = int(num / 10)\n"
        "    return count, num\n"
        "for v in map(int, input().split()):\n"
        "    print(*width(v))\n"
    )
    fast = slow.replace(
        "    while num / 10 >= 1:\n        count += 1\n        num = int(num / 10)\n",
        "    if num / 10 >= 1:\n        count += len(str(num)) - 1\n        num = int(str(num)[0])\n",
    )
    check("PERF131", slow, fast, "0 7 10 99 100 98765\n", "1 0\n1 7\n2 1\n2 9\n3 1\n5 9\n", [3])


@pytest.mark.parametrize("condition", ["x >= 1", "0 < x", "1 <= x"])
def test_digit_count_loop_condition_spellings(condition):
    slow = ODD_DIGITS.replace("while x > 0:", f"while {condition}:")
    [finding] = edits_of(slow, "PERF131")
    assert finding.start[0] == 6
    assert run_program(rewrite(slow, select={"PERF131"}).code, "12345\n") == run_program(slow, "12345\n")


def test_digit_count_loop_leaves_n_as_the_loop_did():
    slow = "x = int(input())\nc = 0\nwhile x > 9:\n    x //= 10\n    c += 1\nprint(c, x)\n"
    fast = rewrite(slow, select={"PERF131"}).code
    for stdin in ("0\n", "5\n", "10\n", "4321\n", "-40\n"):
        assert run_program(fast, stdin) == run_program(slow, stdin)


def test_digit_count_loop_keeps_n_for_an_outer_loops_next_pass():
    slow = "x = int(input())\nc = 0\nfor _ in range(2):\n    while x > 0:\n        x //= 10\n        c += 1\nprint(c)\n"
    fast = rewrite(slow, select={"PERF131"}).code
    assert "        x = 0\n" in fast
    assert run_program(fast, "4321\n") == run_program(slow, "4321\n") == "4\n"


@pytest.mark.parametrize(
    "code",
    [
        # a float: its str has a decimal point
        "x = float(input())\nc = 0\nwhile x > 0:\n    x //= 10\n    c += 1\nprint(c)\n",
        # the kind of x is unknown (a parameter whose callers pass unknown values)
        "def f(x):\n    c = 0\n    while x > 0:\n        x //= 10\n        c += 1\n    return c\nprint(f(eval('3')))\n",
        # the parameter is rebound before the loop: its callers' kind does not hold there
        "def f(x):\n    x = x / 2\n    c = 0\n    while x > 0:\n        x //= 10\n        c += 1\n    return c\n"
        "print(f(5))\n",
        # `while x:` loops forever on a negative number; the rewrite would not
        "x = int(input())\nc = 0\nwhile x:\n    x //= 10\n    c += 1\nprint(c)\n",
        # the threshold is not one digit (x > 99 skips two)
        "x = int(input())\nc = 0\nwhile x > 99:\n    x //= 10\n    c += 1\nprint(c)\n",
        # dividing by 100 counts pairs of digits
        "x = int(input())\nc = 0\nwhile x > 0:\n    x //= 100\n    c += 1\nprint(c)\n",
        # `x / 10 > 0` is `x > 0`, not a count from the second digit (left alone rather than guessed)
        "x = int(input())\nc = 0\nwhile x / 10 > 0:\n    x //= 10\n    c += 1\nprint(c)\n",
        # the loop does more than count
        "x = int(input())\nc = 0\nwhile x > 0:\n    x //= 10\n    c += 1\n    print(x)\n",
        # a float counter
        "x = int(input())\nc = 0.5\nwhile x > 0:\n    x //= 10\n    c += 1\nprint(c)\n",
        # str is rebound
        "str = repr\nx = int(input())\nc = 0\nwhile x > 0:\n    x //= 10\n    c += 1\nprint(c)\n",
        # an else clause runs after the loop
        "x = int(input())\nc = 0\nwhile x > 0:\n    x //= 10\n    c += 1\nelse:\n    c = -c\nprint(c)\n",
    ],
)
def test_digit_count_loop_precondition(code):
    assert edits_of(code, "PERF131") == []


def test_digit_count_loop_parameter_kind_from_every_call():
    slow = (
        "def digits(num):\n"
        "    count = 0\n"
        "    while num > 0:\n"
        "        num //= 10\n"
        "        count += 1\n"
        "    return count\n"
        "n = int(input())\n"
        "print(sum(digits(i) for i in range(1, n + 1)), digits(n))\n"
    )
    assert [f.start[0] for f in edits_of(slow, "PERF131")] == [3]
    assert run_program(rewrite(slow, select={"PERF131"}).code, "2024\n") == run_program(slow, "2024\n") == "6989 4\n"
    passed_as_value = slow + "print(list(map(digits, [5, 55])))\n"
    assert edits_of(passed_as_value, "PERF131") == []
