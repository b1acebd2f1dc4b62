from __future__ import annotations

import pytest

from bench.core.runner import Runner
from bench.core.sandbox import RunResult
from bench.core.timing import TimingSettings, measure_speedup, time_programs


class RecordingWorker:
    """Stands in for a sandbox worker: records the call order, 'runs' a program in ``cost`` seconds."""

    def __init__(self, costs: dict[str, float], failing: set[str] = frozenset()) -> None:
        self.costs = costs
        self.failing = failing
        self.calls: list[str] = []

    def run(self, code, stdin=b"", limits=None) -> RunResult:
        self.calls.append(code)
        status = "error" if code in self.failing else "ok"
        return RunResult(status, 0, b"out", b"", self.costs[code] * 2, self.costs[code], 1, reason="boom")


def test_trials_are_interleaved_and_rotated():
    worker = RecordingWorker({"a": 1.0, "b": 2.0, "c": 3.0})
    time_programs(worker, {"A": "a", "B": "b", "C": "c"}, [b"1"], TimingSettings(num_trials=3, ignore_first_k=0))
    assert worker.calls == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]


def test_warmup_trials_are_dropped_and_times_summed_over_inputs():
    worker = RecordingWorker({"a": 1.0})
    timings = time_programs(worker, {"A": "a"}, [b"1", b"2"], TimingSettings(num_trials=4, ignore_first_k=1))
    assert timings["A"].trial_times == [2.0, 2.0, 2.0]
    assert timings["A"].median_s == 2.0 and timings["A"].spread == 0.0


def test_wall_metric():
    worker = RecordingWorker({"a": 1.0})
    timings = time_programs(worker, {"A": "a"}, [b"1"], TimingSettings(num_trials=2, ignore_first_k=0, metric="wall"))
    assert timings["A"].median_s == 2.0


def test_a_failing_program_stops_being_run():
    worker = RecordingWorker({"a": 1.0, "b": 1.0}, failing={"b"})
    timings = time_programs(worker, {"A": "a", "B": "b"}, [b"1", b"2"], TimingSettings(num_trials=3))
    assert worker.calls.count("b") == 1
    assert timings["B"].failure == "input 0: error: boom" and not timings["B"].ok
    assert timings["A"].ok


def test_wrong_output_is_a_failure():
    worker = RecordingWorker({"a": 1.0})
    timings = time_programs(worker, {"A": "a"}, [b"1"], TimingSettings(num_trials=2),
                            check=lambda name, index, result: "nope")
    assert timings["A"].failure == "input 0: wrong output: nope"


@pytest.mark.parametrize("bad", [dict(num_trials=0), dict(num_trials=2, ignore_first_k=2), dict(metric="x")])
def test_settings_are_validated(bad):
    with pytest.raises(ValueError):
        TimingSettings(**bad)


SLOW = ("import sys\nn = int(sys.stdin.read())\ns = ''\nfor i in range(n):\n    s += str(i % 10)\n"
        "print(len(s), s.count('7'))")
FAST = "import sys\nn = int(sys.stdin.read())\nprint(n, n // 10 + (n % 10 > 7))"
WRONG = "import sys\nn = int(sys.stdin.read())\nprint(n, 0)"


def test_measure_speedup_side_by_side(runner: Runner):
    m = measure_speedup(runner, SLOW, FAST, [b"300000"], TimingSettings(num_trials=3))
    assert m.same_output and m.failure is None
    assert m.speedup > 3  # the fast one skips a 300k-step loop; compared as a ratio, never as seconds


def test_measure_speedup_uses_the_slow_program_as_oracle(runner: Runner):
    m = measure_speedup(runner, SLOW, WRONG, [b"1000"], TimingSettings(num_trials=2))
    assert not m.same_output
    assert m.failure.startswith("fast: input 0: wrong output")
