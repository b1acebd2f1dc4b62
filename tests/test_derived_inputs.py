"""Derived inputs: shrinks and mutations of the given stdin inputs, filtered by the original as the oracle."""

from __future__ import annotations

import contextlib
import io
import sys

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits
from optimizer.derived_inputs import (
    CheckedInput,
    DerivedInput,
    DerivedInputCache,
    derive_inputs,
    filter_by_oracle,
    first_mismatch,
)

LIST = "5\n1 2 3 4 5\n"
TREE = "5 4 1\n1 2\n2 3\n3 4\n3 5\n"
CASES = "3\n3\n1 2 3\n2\n5 5\n1\n7\n"

# The largest value that occurs twice, -1 if none; the candidate drops the branch for a repeated value below the max.
DUPLICATES = """n = int(input())
a = list(map(int, input().split()))
best = -1
for i in range(n):
    for j in range(i + 1, n):
        if a[i] == a[j]:
            best = max(best, a[i])
print(best)
"""
DUPLICATES_WRONG = "n = int(input())\na = list(map(int, input().split()))\nprint(max(a) if len(set(a)) < n else -1)\n"
DUPLICATES_GIVEN = "8\n" + " ".join(["3", "9", "1", "9", "4", "7", "2", "6"]) + "\n"
# The smallest gap between sorted values, 0 for one value; the candidate gets n = 1 wrong.
GAP = """n = int(input())
a = sorted(map(int, input().split()))
if n == 1:
    print(0)
else:
    print(min(a[i + 1] - a[i] for i in range(n - 1)))
"""
GAP_WRONG = """n = int(input())
a = sorted(map(int, input().split()))
print(min((y - x for x, y in zip(a, a[1:])), default=-1))
"""
GAP_GIVEN = "6\n9 3 7 1 12 4\n"


def in_process(code: str):
    """A ``run`` callable that executes ``code`` in this process: (exited cleanly, stdout)."""

    def run(stdin: str) -> tuple[bool, str]:
        out = io.StringIO()
        old_stdin = sys.stdin
        sys.stdin = io.StringIO(stdin)
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(code, "<program>", "exec"), {"__name__": "__main__"})
            return True, out.getvalue()
        except (Exception, SystemExit):
            return False, out.getvalue()
        finally:
            sys.stdin = old_stdin

    return run


def texts(given: list[str], **kwargs) -> list[str]:
    return [d.text for d in derive_inputs(given, **kwargs)]


def test_deterministic_for_a_seed():
    assert derive_inputs([LIST, TREE], seed=3) == derive_inputs([LIST, TREE], seed=3)
    assert texts([LIST], seed=3) != texts([LIST], seed=4)  # the random mutations follow the seed


def test_the_briefs_shrinks_keep_counts_consistent():
    derived = texts([LIST])
    assert "2\n1 2\n" in derived and "1\n5\n" in derived and "1\n1\n" in derived
    for d in derive_inputs([LIST, "4\n10 20 30 40\n", "4 10 20 30 40\n"]):
        tokens = d.text.split()
        if d.how.startswith("shrink"):
            assert int(tokens[0]) == len(tokens) - 1, d


def test_a_tree_shrinks_nodes_and_edges_together():
    assert "3 2 1\n1 2\n2 3\n" in texts([TREE], max_inputs=100)


def test_multi_case_inputs_shrink_to_single_cases_and_subsets():
    derived = {d.how: d.text for d in derive_inputs([CASES], max_inputs=100)}
    assert derived["case 1 of 3"] == "1\n3\n1 2 3\n"
    assert derived["case 3 of 3"] == "1\n1\n7\n"
    assert derived["cases 1-2 of 3"] == "2\n3\n1 2 3\n2\n5 5\n"
    assert derived["case 1 of 3; shrink n=3->1"] == "1\n1\n1\n"


def test_a_count_before_a_string_shrinks_the_string():
    assert "2\nab\n" in texts(["5\nabcde\n"])


def test_mutations_keep_the_shape():
    given = "4 7\n3 1 4 1\nabc\n"
    shape = [len(line.split()) for line in given.splitlines()]
    mutated = [d for d in derive_inputs([given], max_inputs=100) if not d.how.startswith(("shrink", "case"))]
    assert mutated
    for d in mutated:
        assert [len(line.split()) for line in d.text.splitlines()] == shape, d
        assert len(d.text.splitlines()[2]) == 3  # the string keeps its length and alphabet
        assert set(d.text.splitlines()[2]) <= set("abc")


def test_values_stay_within_the_signs_seen():
    for d in derive_inputs(["3\n5 9 7\n"], max_inputs=100):
        assert all(int(t) >= 0 for t in d.text.split()), d
    assert any("-" in t for t in texts(["3\n-5 9 7\n"], max_inputs=100))


def test_boundaries_are_present():
    hows = [d.how for d in derive_inputs(["6 3\n4 9 2 9 5 1\n", "7\n"], max_inputs=200)]
    for wanted in ("sorted line 2", "reversed line 2", "equal values line 2", "boundary 0", "boundary 1"):
        assert any(wanted in how for how in hows), wanted
    assert "4\n1 2 3 4\n" not in texts(["4\n1 2 3 4\n"])  # sorting a sorted list gives the given input


def test_the_given_input_is_never_returned_nor_a_duplicate():
    given = ["5\n1 2 3 4 5\n", "1\n5\n"]
    derived = texts(given, max_inputs=200)
    assert not set(derived) & set(given)
    assert len(derived) == len(set(derived))
    assert "1  5\n" not in texts(["1 5\n"], max_inputs=200)  # a spacing variant is the same input


def test_caps_on_count_and_bytes():
    big = "100000\n" + " ".join(str(i % 997) for i in range(100000)) + "\n"
    assert len(derive_inputs([LIST, TREE, CASES], max_inputs=7)) == 7
    derived = derive_inputs([big], max_inputs=50, max_total_bytes=20_000)
    assert 0 < len(derived) <= 50
    assert sum(len(d.stdin) for d in derived) <= 20_000
    assert "1\n0\n" in [d.text for d in derived]


def test_the_filter_drops_inputs_the_original_fails_on_or_prints_nothing_for():
    inputs = [DerivedInput(text, "test") for text in ("1\n", "crash\n", "quiet\n", "2\n")]

    def run(stdin: str) -> tuple[bool, str]:
        return stdin != "crash\n", "" if stdin == "quiet\n" else stdin

    kept = filter_by_oracle(inputs, run)
    assert [c.derived.text for c in kept] == ["1\n", "2\n"]
    assert kept[0].expected == "1\n"


def test_the_filter_stops_at_its_time_budget():
    now = [0.0]

    def one_second_run(stdin: str) -> tuple[bool, str]:
        now[0] += 1.0
        return True, stdin

    inputs = [DerivedInput(str(k), "test") for k in range(10)]
    kept = filter_by_oracle(inputs, one_second_run, budget_s=3, clock=lambda: now[0])
    assert len(kept) == 3


def test_the_cache_runs_the_original_once_per_program_version():
    calls: list[str] = []

    def run(stdin: str) -> tuple[bool, str]:
        calls.append(stdin)
        return True, "x"

    cache = DerivedInputCache()
    first = cache.checked_inputs("print(1)", [LIST], run)
    n_runs = len(calls)
    assert cache.checked_inputs("print(1)", [LIST], run) == first and len(calls) == n_runs
    cache.checked_inputs("print(2)", [LIST], run)  # another program version
    assert len(calls) == 2 * n_runs
    cache.checked_inputs("print(1)", [LIST], run, seed=1)
    assert len(calls) > 2 * n_runs and len(cache) == 3


def test_a_mismatch_says_which_input_and_both_outputs():
    checked = [CheckedInput(DerivedInput("3\n1 2 2\n", "equal values line 2"), "1\n")]
    mismatch = first_mismatch(checked, lambda s: (True, "-1\n"))
    assert mismatch is not None
    assert mismatch.describe() == (
        "wrong on a derived input (equal values line 2): `3\\n1 2 2\\n` printed -1, the original 1"
    )
    assert first_mismatch(checked, lambda s: (True, "1")) is None
    assert first_mismatch(checked, lambda s: (False, "")).describe().endswith("failed, the original 1")


def test_candidates_right_on_the_given_input_but_wrong_on_a_boundary_are_told_apart():
    for original, wrong, given in ((DUPLICATES, DUPLICATES_WRONG, DUPLICATES_GIVEN), (GAP, GAP_WRONG, GAP_GIVEN)):
        assert in_process(original)(given) == in_process(wrong)(given)  # the given input cannot tell them apart
        checked = filter_by_oracle(derive_inputs([given]), in_process(original))
        assert checked
        assert first_mismatch(checked, in_process(wrong)) is not None
        assert first_mismatch(checked, in_process(original)) is None


def test_with_the_sandboxed_runner(runner: Runner):
    limits = SandboxLimits(timeout_s=5.0)

    def sandboxed(code: str):
        def run(stdin: str) -> tuple[bool, str]:
            result = runner.run(code, stdin.encode(), limits)
            return result.ok, result.stdout_text

        return run

    checked = filter_by_oracle(derive_inputs([GAP_GIVEN], max_inputs=12), sandboxed(GAP))
    assert checked and all(c.expected.strip() for c in checked)
    mismatch = first_mismatch(checked, sandboxed(GAP_WRONG))
    assert mismatch is not None and "printed -1, the original 0" in mismatch.describe()
