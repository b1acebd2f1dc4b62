"""Shared test helpers for the knowledge base (and for tests of modules that query it).

The MiniLM model takes seconds to load, so ``shared_embedder`` loads it once per process whatever
the number of test modules that ask for it. Data-dependent tests find ``../shared/data`` through
``bench.core.datasets.data_dir()`` (``$PYPERF_DATA``, default ``../shared/data``) and skip when it is absent.
"""

from __future__ import annotations

import functools
from pathlib import Path

from bench.core.datasets import data_dir
from kb.embed import Embedder, EmbedderOptions

REPO_ROOT = Path(__file__).resolve().parent.parent
__all__ = ["REPO_ROOT", "data_dir", "sample_pairs", "shared_embedder"]


@functools.cache
def shared_embedder(text_mode: str = "fused") -> Embedder:
    """The bundled MiniLM embedder, loaded once per process."""
    embedder = Embedder(EmbedderOptions(text_mode=text_mode))  # type: ignore[arg-type]
    embedder.encode_texts(["warm up"])
    return embedder


def sample_pairs() -> list[dict]:
    """Small slow/fast stdin program pairs with timings, written for the tests."""
    return [
        {
            "problem_id": "t-sum",
            "input": "n = int(input())\ns = 0\nfor i in range(n):\n    s += i\nprint(s)\n",
            "target": "n = int(input())\nprint(n * (n - 1) // 2)\n",
            "slow_s": 0.9,
            "fast_s": 0.1,
            "inputs": ["100000\n"],
        },
        {
            "problem_id": "t-read",
            "input": "n = int(input())\nt = 0\nfor _ in range(n):\n    t += int(input())\nprint(t)\n",
            "target": "import sys\ndata = sys.stdin.buffer.read().split()\nprint(sum(map(int, data[1:])))\n",
            "speedup": 3.0,
            "inputs": ["3\n1\n2\n3\n"],
        },
        {
            "problem_id": "t-member",
            "input": "a = input().split()\nb = input().split()\nc = 0\nfor x in b:\n"
            "    if x in a:\n        c += 1\nprint(c)\n",
            "target": "a = set(input().split())\nb = input().split()\n"
            "c = 0\nfor x in b:\n    if x in a:\n        c += 1\nprint(c)\n",
            "rate": 0.8,
            "inputs": ["1 2 3\n2 3 4\n"],
        },
        {
            "problem_id": "t-join",
            "input": "n = int(input())\ns = ''\nfor i in range(n):\n    s = str(i % 10) + s\nprint(len(s))\n",
            "target": "n = int(input())\nparts = [str(i % 10) for i in range(n)]\n"
            "print(len(''.join(reversed(parts))))\n",
            "runtime_lift": 1.5,
            "inputs": ["50\n"],
        },
        {
            "problem_id": "t-print",
            "input": "n = int(input())\nfor i in range(n):\n    print(i)\n",
            "target": "n = int(input())\nprint('\\n'.join(map(str, range(n))))\n",
            "cpu_time_v0": 300,
            "cpu_time_v1": 100,
            "inputs": ["20\n"],
        },
        {
            "problem_id": "t-memo",
            "input": "def f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2)\nprint(f(int(input())))\n",
            "target": "from functools import lru_cache\n@lru_cache(maxsize=None)\n"
            "def f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2)\nprint(f(int(input())))\n",
            "improvement_frac": 90.0,
            "inputs": ["18\n"],
        },
    ]
