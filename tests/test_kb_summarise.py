"""The rule-based diff summariser and the code descriptions."""

import pytest

from kb.catalogue import load_catalogue
from kb.summarise import (
    GENERIC_TAGS,
    TAG_CATEGORY,
    code_traits,
    describe_code,
    summarise_change,
    unified_diff,
)

READ_PER_LINE = "n = int(input())\nt = 0\nfor _ in range(n):\n    t += int(input())\nprint(t)\n"
READ_ALL = "import sys\ndata = sys.stdin.buffer.read().split()\nprint(sum(map(int, data[1:])))\n"


def test_names_reading_all_input_at_once_in_plain_words():
    summary = summarise_change(READ_PER_LINE, READ_ALL)
    assert summary.tags[0] == "input-read-all"
    assert "reads all input at once with sys.stdin.buffer.read() instead of calling input() per line" in (
        summary.text.lower()
    )
    assert summary.category == "io"


@pytest.mark.parametrize(
    ("slow", "fast", "tag"),
    [
        (
            "a = list(range(100))\nc = 0\nfor x in range(50):\n    if x in a:\n        c += 1\n",
            "a = set(range(100))\nc = 0\nfor x in range(50):\n    if x in a:\n        c += 1\n",
            "set-membership",
        ),
        (
            "def f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
            "from functools import lru_cache\n@lru_cache(None)\n"
            "def f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
            "memoization",
        ),
        (
            "q = [1]\nwhile q:\n    q.pop(0)\n",
            "from collections import deque\nq = deque([1])\nwhile q:\n    q.popleft()\n",
            "deque",
        ),
        ("s = ''\nfor c in 'abc':\n    s = c + s\n", "s = ''.join(reversed('abc'))\n", "string-join"),
        ("for i in range(3):\n    print(i)\n", "print('\\n'.join(map(str, range(3))))\n", "output-batch"),
        ("import numpy as np\nprint(np.sum([1, 2]))\n", "print(sum([1, 2]))\n", "drop-numpy"),
        ("x = eval(input())\n", "x = int(input())\n", "eval-removal"),
        ("print(2 ** 100 % 7)\n", "print(pow(2, 100, 7))\n", "pow-mod"),
    ],
)
def test_recognises_common_changes(slow, fast, tag):
    assert tag in summarise_change(slow, fast).tags


def test_unrecognised_change_falls_back_to_a_generic_sentence():
    summary = summarise_change("x = 1\nprint(x)\n", "x = 2\nprint(x)\n")
    assert summary.tags == ("restructure",)
    assert summary.text.endswith(".")


def test_code_that_does_not_parse_still_gets_traits():
    traits = code_traits("print 'hello'\nx = input()\n")
    assert not traits.parsed
    assert traits.calls["input"] == 1
    assert summarise_change("print 'a'", "print 'b'").text


def test_summariser_recognises_most_catalogue_patterns():
    """The catalogue's fast programs apply known patterns: the rules should name most of them."""
    entries = load_catalogue()
    named = [e.id for e in entries if set(summarise_change(e.slow, e.fast).tags) & set(e.tags) - GENERIC_TAGS]
    assert len(named) >= 0.8 * len(entries), f"only {len(named)} of {len(entries)} named"


def test_description_mentions_the_performance_relevant_shape():
    text = describe_code(
        "n = int(input())\nseen = []\nfor _ in range(n):\n    x = input()\n    if x in seen:\n"
        "        print(x)\n    seen.append(x)\n"
    )
    assert "line by line" in text
    assert "membership tests on a list" in text
    assert "prints inside a loop" in text


def test_diff_is_a_unified_diff_from_input_to_target():
    diff = unified_diff("a = 1\n", "a = 2\n")
    assert diff.startswith("--- input.py\n+++ target.py")
    assert "-a = 1" in diff and "+a = 2" in diff


def test_tag_vocabulary_has_a_category_for_every_tag():
    assert all(isinstance(category, str) and category for category in TAG_CATEGORY.values())
    assert set(TAG_CATEGORY) >= GENERIC_TAGS
