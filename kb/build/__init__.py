"""Build a knowledge base from (slow, fast) program pairs: diff, rate, summary, embedding, index.

Input is JSONL: one pair per line, the slow program under ``input``/``slow``/``slow_code``/... and
the fast one under ``target``/``fast``/``fast_code``/... (see ``SLOW_FIELDS``/``FAST_FIELDS``);
Code-Optimise's MBPP solution files are read too (``format="mbpp"``). The rate is measured with the
project's bench runner when tests exist for the pair's problem, else taken from the input
(``measured_runtime_v0/v1``, ``speedup``, ``runtime_lift``, ``cpu_time_v0/v1``, ``rate``,
``improvement_frac``, in that order).

The stages live in ``pairs`` (reading), ``measure`` (rates from the runner) and ``builder`` (entries,
vectors, index); their public names are importable from here.
"""

from kb.build.builder import (
    BuildOptions,
    BuildReport,
    RateSource,
    build_from_files,
    build_kb,
    reindex,
    source_label,
)
from kb.build.measure import MeasureOptions, RateMeasurer, load_test_inputs
from kb.build.pairs import (
    FAST_FIELDS,
    SLOW_FIELDS,
    InputProblem,
    OnError,
    PairFormat,
    PairRecord,
    mbpp_pairs,
    pair_from_row,
    rate_from_row,
    read_pairs,
    read_rows,
)

__all__ = [
    "FAST_FIELDS",
    "SLOW_FIELDS",
    "BuildOptions",
    "BuildReport",
    "InputProblem",
    "MeasureOptions",
    "OnError",
    "PairFormat",
    "PairRecord",
    "RateMeasurer",
    "RateSource",
    "build_from_files",
    "build_kb",
    "load_test_inputs",
    "mbpp_pairs",
    "pair_from_row",
    "rate_from_row",
    "read_pairs",
    "read_rows",
    "reindex",
    "source_label",
]
