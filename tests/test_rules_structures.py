"""Data-structure rules: sets, dict counting, keys views, deques, needless and deep copies."""

import pytest
from rules_support import check, edits_of, run_program

from optimizer.rules import RULES_BY_CODE, find_all, rewrite


def test_list_membership_to_set():
    slow = (
        "allowed = list(map(int, input().split()))\n"
        "queries = list(map(int, input().split()))\n"
        "hits = 0\n"
        "for q in queries:\n"
        "    if q in allowed:\n"
        "        hits += 1\n"
        "    elif q + 1 not in allowed:\n"
        "        hits -= 1\n"
        "print(hits)\n"
    )
    fast = (
        "allowed = list(map(int, input().split()))\n"
        "queries = list(map(int, input().split()))\n"
        "hits = 0\n"
        "allowed_set = set(allowed)\n"
        "for q in queries:\n"
        "    if q in allowed_set:\n"
        "        hits += 1\n"
        "    elif q + 1 not in allowed_set:\n"
        "        hits -= 1\n"
        "print(hits)\n"
    )
    check("PERF109", slow, fast, "1 2 5\n1 3 7 9\n", "-2\n", [5])


@pytest.mark.parametrize(
    "code",
    [
        "xs = [1]\nfor i in range(3):\n    if i in xs:\n        xs.append(i + 1)\n",  # changes in the loop
        "xs = [[1], [2]]\nfor i in range(3):\n    print([i] in xs)\n",  # unhashable elements
        "xs = [1, 2]\nfor p in [[1], [2]]:\n    print(p in xs)\n",  # unhashable values tested
        "xs = [1]\nprint(2 in xs)\n",  # tested once: nothing to gain
        "def grow():\n    xs.append(1)\nxs = [1]\nfor i in range(3):\n    grow()\n    print(i in xs)\n",
        "s = 'abc'\nfor c in 'xbz':\n    print(c in s)\n",  # a string: `in` tests substrings
    ],
)
def test_list_membership_to_set_precondition(code):
    assert edits_of(code, "PERF109") == []


def test_dict_get_counting():
    slow = (
        "counts = {}\n"
        "weights = {}\n"
        "for word in input().split():\n"
        "    if word in counts:\n"
        "        counts[word] += 1\n"
        "    else:\n"
        "        counts[word] = 1\n"
        "    try:\n"
        "        weights[word[0]] += len(word)\n"
        "    except KeyError:\n"
        "        weights[word[0]] = len(word)\n"
        "print(counts, weights)\n"
    )
    fast = (
        "counts = {}\n"
        "weights = {}\n"
        "for word in input().split():\n"
        "    counts[word] = counts.get(word, 0) + 1\n"
        "    weights[word[0]] = weights.get(word[0], 0) + len(word)\n"
        "print(counts, weights)\n"
    )
    check("PERF115", slow, fast, "ab ac b ab\n", "{'ab': 2, 'ac': 1, 'b': 1} {'a': 6, 'b': 1}\n", [4, 8])


@pytest.mark.parametrize(
    "code",
    [
        "d = [0, 0]\nk = 1\nif k in d:\n    d[k] += 1\nelse:\n    d[k] = 1\n",  # a list: `in` tests values
        "d = {}\nk = 'a'\nif k in d:\n    d[k] += 'x'\nelse:\n    d[k] = 'x'\n",  # not a number
        "def f(d, k):\n    if k in d:\n        d[k] += 1\n    else:\n        d[k] = 1\n",  # d may not be a dict
        "d = {}\nif next(it) in d:\n    d[next(it)] += 1\nelse:\n    d[next(it)] = 1\n",  # the key has effects
    ],
)
def test_dict_get_counting_precondition(code):
    assert edits_of(code, "PERF115") == []


def test_dict_keys_membership():
    slow = "seen = dict.fromkeys('abc')\nseen = {}\nprint('a' in seen.keys(), 'b' not in seen.keys())\n"
    fast = "seen = dict.fromkeys('abc')\nseen = {}\nprint('a' in seen, 'b' not in seen)\n"
    assert (
        rewrite("seen = {}\nprint('a' in seen.keys(), 'b' not in seen.keys())\n", select={"PERF117"}).code
        == "seen = {}\nprint('a' in seen, 'b' not in seen)\n"
    )
    assert run_program(fast) == run_program(slow) == "False True\n"
    # `fromkeys` is not recognised as a dict constructor: reported without an edit.
    [finding] = find_all(slow, [RULES_BY_CODE["PERF117"]])[:1]
    assert finding.code == "PERF117" and finding.edits == ()


def test_dict_keys_membership_precondition():
    code = "def f(m):\n    return 1 in m.keys()\n"
    findings = find_all(code, [RULES_BY_CODE["PERF117"]])
    assert len(findings) == 1 and findings[0].edits == ()


def test_list_as_queue():
    slow = (
        "n, m = map(int, input().split())\n"
        "graph = [[] for _ in range(n)]\n"
        "for _ in range(m):\n"
        "    a, b = map(int, input().split())\n"
        "    graph[a].append(b)\n"
        "    graph[b].append(a)\n"
        "dist = [-1] * n\n"
        "dist[0] = 0\n"
        "queue = [0]\n"
        "while queue:\n"
        "    v = queue.pop(0)\n"
        "    for w in graph[v]:\n"
        "        if dist[w] < 0:\n"
        "            dist[w] = dist[v] + 1\n"
        "            queue.append(w)\n"
        "print(*dist)\n"
    )
    fast = "from collections import deque\n" + slow.replace("queue = [0]", "queue = deque([0])").replace(
        "queue.pop(0)", "queue.popleft()"
    )
    check("PERF118", slow, fast, "4 3\n0 1\n1 2\n0 3\n", "0 1 2 1\n", [11])


def test_list_as_queue_insert_front():
    slow = "q = []\nfor i in range(3):\n    q.insert(0, i)\nprint(q[0], len(q))\n"
    fast = "from collections import deque\nq = deque()\nfor i in range(3):\n    q.appendleft(i)\nprint(q[0], len(q))\n"
    check("PERF118", slow, fast, "", "2 3\n", [3])


@pytest.mark.parametrize(
    "code",
    [
        "q = [3, 1]\nq.pop(0)\nq.sort()\n",  # deque has no sort
        "q = [3, 1]\nq.pop(0)\nprint(q)\n",  # prints differently
        "q = [3, 1]\nq.pop(0)\nprint(q[1:])\n",  # no slicing
        "def f(q):\n    return q\nq = [3, 1]\nq.pop(0)\nf(q)\n",  # handed to other code
        "q = [1, 2]\nfor x in q:\n    q.append(x) if x < 2 else None\nq.pop(0)\n",  # grows while iterated
    ],
)
def test_list_as_queue_precondition(code):
    assert edits_of(code, "PERF118") == []


def test_needless_copy():
    slow = (
        "base = list(map(int, input().split()))\n"
        "snapshot = base[:]\n"
        "total = 0\n"
        "for k in range(3):\n"
        "    view = list(base)\n"
        "    total += sum(view) + snapshot[0] * k\n"
        "print(total)\n"
    )
    fast = slow.replace("base[:]", "base").replace("list(base)", "base")
    check("PERF125", slow, fast, "2 3\n", "21\n", [2, 5])


@pytest.mark.parametrize(
    "code",
    [
        "a = [1, 2]\nb = a[:]\nb.append(3)\n",  # the copy changes
        "a = [1, 2]\nb = a[:]\na.append(3)\nprint(b)\n",  # the original changes while the copy is alive
        "a = [1, 2]\nfor i in range(2):\n    a.append(i)\n    b = a.copy()\n    print(len(b))\n",  # changes each round
        "a = [1, 2]\nb = a[:]\nprint(b is a)\nresult = [b]\n",  # the copy escapes into another list
        "a = range(3)\nb = list(a)\nprint(b)\n",  # list() converts here, it does not copy
    ],
)
def test_needless_copy_precondition(code):
    assert edits_of(code, "PERF125") == []


def test_deepcopy_flat_list():
    slow = (
        "import copy\n\nbase = list(map(int, input().split()))\nclone = copy.deepcopy(base)\nclone.append(9)\n"
        "print(clone, base)\n"
    )
    fast = slow.replace("copy.deepcopy(base)", "base[:]")
    check("PERF126", slow, fast, "1 2\n", "[1, 2, 9] [1, 2]\n", [4])


@pytest.mark.parametrize(
    "code",
    [
        "import copy\ngrid = [[0] * 2 for _ in range(2)]\ng = copy.deepcopy(grid)\n",  # nested lists
        "import copy\ndef f(x):\n    return copy.deepcopy(x)\n",  # unknown contents
    ],
)
def test_deepcopy_flat_list_precondition(code):
    assert edits_of(code, "PERF126") == []
