"""Measuring a pair's rate with the project's one runner (``bench.core.timing.measure_speedup``), on the
test inputs of its problem."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bench.core.cases import load_tests
from kb.errors import MeasurementUnavailableError
from kb.schema import RateEvidence


@dataclass(frozen=True)
class MeasureOptions:
    """How rates are measured with the bench runner (``bench.core.timing.measure_speedup``)."""

    num_trials: int = 5
    ignore_first_k: int = 1
    metric: Literal["cpu", "wall"] = "cpu"
    jobs: int | None = None
    timeout_s: float = 10.0



class RateMeasurer:
    """Measures pairs with the project's one runner; the runner starts on first use."""

    def __init__(self, options: MeasureOptions) -> None:
        self.options = options
        self._runner = None

    def _start(self):
        if self._runner is None:
            try:
                from bench.core.runner import Runner
                from bench.core.sandbox import SandboxLimits
            except ImportError as exc:
                raise MeasurementUnavailableError(f"bench.core.runner cannot be imported: {exc}") from exc
            self._runner = Runner(
                mode="zygote", jobs=self.options.jobs, limits=SandboxLimits(timeout_s=self.options.timeout_s)
            )
        return self._runner

    @property
    def jobs(self) -> int:
        return self._start().jobs

    def measure(self, slow: str, fast: str, inputs: Sequence[bytes]) -> RateEvidence | str:
        """Evidence of the speedup, or the reason there is none (a failure or different outputs)."""
        from bench.core.timing import TimingSettings, measure_speedup

        settings = TimingSettings(
            num_trials=self.options.num_trials,
            ignore_first_k=self.options.ignore_first_k,
            metric=self.options.metric,
        )
        result = measure_speedup(self._start(), slow, fast, list(inputs), settings)
        if result.failure or not result.same_output:
            return result.failure or "the programs' outputs differ"
        if not (math.isfinite(result.speedup) and result.speedup > 0):
            return "the timing gave no usable speedup"
        detail = (
            f"bench.core.timing.measure_speedup, {settings.num_trials} trials, {settings.metric} time, "
            f"{len(inputs)} inputs"
        )
        return RateEvidence("runner", result.slow_s, result.fast_s, detail)

    def measure_many(self, jobs: Sequence[tuple[str, str, Sequence[bytes]]]) -> list[RateEvidence | str]:
        if not jobs:
            return []
        workers = max(1, min(self.jobs, len(jobs)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda job: self.measure(*job), jobs))

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
            self._runner = None


def load_test_inputs(path: Path) -> dict[str, list[bytes]]:
    """Test inputs per problem: a JSON ``{problem_id: [[input, output], ...]}`` or a folder of problem folders
    in the layout of ``pie/tests`` (read by ``bench.core.cases.load_tests``)."""
    if path.is_dir():
        tests = {problem.name: [case.input for case in load_tests(problem)]
                 for problem in sorted(p for p in path.iterdir() if p.is_dir())}
        return {problem: inputs for problem, inputs in tests.items() if inputs}
    data = json.loads(path.read_text())
    return {problem: [str(case[0] if isinstance(case, list) else case).encode() for case in cases]
            for problem, cases in data.items()}
