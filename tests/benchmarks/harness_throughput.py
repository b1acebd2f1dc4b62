"""Throughput of the evaluation harness: zygote mode against subprocess mode, side by side.

Evaluates the same rows (slow + reference + one generation) in both modes, alternating chunks of rows
between the modes so that machine noise falls on both, and checks that every program gets the same
correctness verdict in both. Prints the wall time of each mode and their ratio.

    python tests/benchmarks/harness_throughput.py --rows ../shared/data/pie/generations/test-qw2.5-7b-i-fp.jsonl \
        --tests ../shared/data/pie/tests --num-trials 4
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.core.runner import Runner
from bench.core.timing import TimingSettings
from bench.harness.evaluate import EvalSettings, evaluate
from bench.harness.rows import load_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=Path, required=True)
    parser.add_argument("--tests", type=Path, required=True)
    parser.add_argument("--num-trials", type=int, default=4)
    parser.add_argument("--chunk", type=int, default=23)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    rows, _ = load_rows(args.rows, args.tests)
    rows = rows[: args.limit]
    settings = EvalSettings(timing=TimingSettings(num_trials=args.num_trials, ignore_first_k=0))
    elapsed = {"zygote": 0.0, "subprocess": 0.0}
    verdicts: dict[str, dict[tuple[int, str], bool]] = {"zygote": {}, "subprocess": {}}
    with Runner(mode="zygote") as warm, Runner(mode="subprocess") as fresh:
        for start in range(0, len(rows), args.chunk):
            chunk = rows[start:start + args.chunk]
            for mode, runner in (("zygote", warm), ("subprocess", fresh)):
                began = time.perf_counter()
                run = evaluate(chunk, runner, settings, progress=False)
                elapsed[mode] += time.perf_counter() - began
                for result in run.results:
                    for name, timing in result.timings.items():
                        verdicts[mode][(result.row.index, name)] = timing.ok
            print(f"rows {start}-{start + len(chunk) - 1}: zygote {elapsed['zygote']:.1f} s, "
                  f"subprocess {elapsed['subprocess']:.1f} s so far", flush=True)
    differing = sorted(k for k in verdicts["zygote"] if verdicts["zygote"][k] != verdicts["subprocess"].get(k))
    print(f"\n{len(rows)} rows, {args.num_trials} trials, programs per row: slow + reference + generation")
    print(f"zygote mode:     {elapsed['zygote']:.1f} s")
    print(f"subprocess mode: {elapsed['subprocess']:.1f} s")
    print(f"zygote is {elapsed['subprocess'] / elapsed['zygote']:.2f}x faster")
    print(f"programs with different correctness verdicts: {len(differing)} of {len(verdicts['zygote'])}"
          + (f": {differing[:10]}" if differing else ""))


if __name__ == "__main__":
    main()
