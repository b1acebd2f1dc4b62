"""Functions are verified through drivers fed by doctests, literal call sites and hypothesis inputs."""

from __future__ import annotations

import ast

import pytest

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits
from bench.core.timing import TimingSettings
from optimizer.candidates import Candidate
from optimizer.functions import (
    FunctionCall,
    FunctionNotFoundError,
    call_site_calls,
    doctest_calls,
    driver_program,
    find_function,
    function_inputs,
    function_span,
    hypothesis_calls,
)
from optimizer.pipeline import Optimizer, OptimizerSettings
from optimizer.verify import VerifySettings

MODULE = '''import math

def unique_count(items: list[int]) -> int:
    """How many distinct values.

    >>> unique_count([1, 2, 2, 3])
    3
    >>> unique_count([])
    0
    """
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return len(seen)


if __name__ == "__main__":
    print(unique_count([5, 5, 6]))
'''
FAST_FUNCTION = '''def unique_count(items: list[int]) -> int:
    """How many distinct values."""
    return len(set(items))
'''
MUTATING_FUNCTION = '''def unique_count(items: list[int]) -> int:
    items.sort()
    return len(set(items))
'''


class FixedCandidates:
    def __init__(self, *codes: str) -> None:
        self.codes = codes

    def candidates(self, code: str) -> tuple[list[Candidate], list[str]]:
        return [Candidate(c, "test") for c in self.codes], []


def test_inputs_come_from_doctests_call_sites_and_type_hints():
    assert [c.arguments for c in doctest_calls(MODULE, "unique_count")] == ["[1, 2, 2, 3]", "[]"]
    assert [c.arguments for c in call_site_calls(MODULE, "unique_count")] == ["[5, 5, 6]"]
    drawn = hypothesis_calls(MODULE, "unique_count", count=10)
    assert 5 <= len(drawn) <= 10 and all(c.source == "hypothesis" for c in drawn)
    assert drawn == hypothesis_calls(MODULE, "unique_count", count=10)  # derandomized: reproducible
    sources = {c.source for c in function_inputs(MODULE, "unique_count")}
    assert sources == {"doctest", "call site", "hypothesis"}


def test_no_hint_no_hypothesis():
    assert hypothesis_calls("def f(x):\n    return x\n", "f") == []
    with pytest.raises(FunctionNotFoundError):
        doctest_calls("x = 1\n", "f")


def test_driver_prints_results_and_mutated_arguments(runner: Runner):
    calls = doctest_calls(MODULE, "unique_count")
    out = runner.run(driver_program(MODULE, "unique_count", calls)).stdout.decode().splitlines()
    assert out == ["(('returned', 3), ([1, 2, 2, 3],), {})", "(('returned', 0), ([],), {})"]


def _optimizer(runner: Runner, *codes: str) -> Optimizer:
    settings = OptimizerSettings(verify=VerifySettings(timing=TimingSettings(num_trials=3),
                                                       limits=SandboxLimits(timeout_s=5)))
    return Optimizer(settings, runner=runner, generator=FixedCandidates(*codes))


def test_a_faster_function_is_verified_on_every_input_source(runner: Runner):
    module = MODULE.replace("list[int]) -> int:", "list[int]) -> int:  # hot", 1)
    result = _optimizer(runner, FAST_FUNCTION).optimize_function(module, "unique_count")
    assert result.improved, result.tried
    assert "return len(set(items))" in result.code and 'if __name__ == "__main__":' in result.code
    assert result.verdict.inputs_used >= 8
    assert set(result.verdict.input_sources) == {"doctest", "call site", "hypothesis"}


def test_mutating_the_arguments_is_a_behaviour_change(runner: Runner):
    result = _optimizer(runner, MUTATING_FUNCTION).optimize_function(MODULE, "unique_count")
    assert not result.improved
    assert result.tried[0][1].status == "wrong"


def test_without_inputs_the_candidate_is_only_unverified(runner: Runner):
    module = "def total(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n"
    result = _optimizer(runner, "def total(xs):\n    return sum(xs)\n").optimize_function(module, "total")
    assert not result.improved and result.code == module
    assert result.verdict.status == "unverified" and "no verification inputs" in result.verdict.reason
    assert "return sum(xs)" in result.best.code


def test_function_span_counts_lines_as_the_tokenizer_does():
    # A form feed is no line break to Python (str.splitlines would count one) and CRLF is one break.
    module = "import functools\r\n\x0c\r\n@functools.cache\r\ndef f(n):\r\n    return n\r\nprint(f(2))\r\n"
    start, end = function_span(module, find_function(ast.parse(module), "f"))
    assert module[start:end] == "@functools.cache\r\ndef f(n):\r\n    return n\r\n"
    last = "def g():\n    return 1"
    assert function_span(last, find_function(ast.parse(last), "g")) == (0, len(last))


def test_a_returned_iterator_is_compared_by_its_items(runner: Runner):
    module = 'def pairs(values):\n    """\n    >>> list(pairs([1, 2, 3]))\n    [(1, 2), (2, 3)]\n    """\n' \
             '    return zip(values, values[1:])\n'
    out = runner.run(driver_program(module, "pairs", [FunctionCall("[1, 2, 3]", "call site")])).stdout.decode()
    assert out.startswith("(('returned', ('iterated', [(1, 2), (2, 3)])),"), out
    generator = "def pairs(values):\n    return ((a, b) for a, b in zip(values, values[1:]))\n"
    result = _optimizer(runner, generator).optimize_function(module + "\nprint(list(pairs([4, 5, 6])))\n", "pairs")
    assert result.tried[0][1].status in ("faster", "not_faster"), result.tried  # not "wrong": same pairs
