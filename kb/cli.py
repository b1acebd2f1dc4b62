"""``python -m kb``: build, import, query and inspect knowledge bases.

Commands: ``build``, ``import``, ``query``, ``stats``, ``measure-catalogue``, ``reindex``, ``export``,
``evaluate-retrieval``.
Errors a user can act on print one message and exit with status 1; a program ``query`` cannot use (unreadable,
not UTF-8, over ``MAX_QUERY_BYTES``) exits with status 2, as a usage error does.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from kb.cli_help import bounded, describe_commands, examples_epilog, invoked_as
from kb.errors import KBError, QueryInputError

# The largest program ``query`` reads: enough for any real module, small enough that parsing, describing and
# embedding it stay well under a second and a few MB (a 50 MB input once took 101 s and 11 GB).
MAX_QUERY_BYTES = 1_000_000

log = logging.getLogger("kb")

DESCRIPTION = "Build, import, query and inspect knowledge bases of optimisation suggestions (slow/fast pairs)."
# One real command per subcommand: shown in --help, and parsed by tests/test_cli_help.py so none goes stale.
EXAMPLES = {
    "build": "build pairs.jsonl -o my-kb",
    "import": "import OD-base.jsonl -o od-kb",
    "query": "query slow.py -k 5 --show-code",
    "stats": "stats my-kb",
    "measure-catalogue": "measure-catalogue --only cat-join-output-once",
    "reindex": "reindex my-kb --index hnsw",
    "export": "export my-kb -o od.jsonl --vectors",
    "evaluate-retrieval": "evaluate-retrieval --sweep",
}
OTHER_TOOLS = {
    "python -m kb.evaluate --kb my-kb --eval dev.jsonl --sample 30": (
        "does retrieval find the change each reference solution made? (judged by tags, sampled for reading)"
    )
}


def _embedder_options(args: argparse.Namespace, *, for_build: bool):
    from kb.embed import EmbedderOptions

    given = any(
        getattr(args, name, None) is not None for name in ("model", "text_mode", "max_seq_length", "description_weight")
    )
    if not for_build and not given:
        return None  # use the knowledge base's own embedder
    options = EmbedderOptions()
    return EmbedderOptions(
        model_path=Path(args.model) if args.model else None,
        text_mode=args.text_mode or options.text_mode,
        description_weight=options.description_weight if args.description_weight is None else args.description_weight,
        max_seq_length=args.max_seq_length or options.max_seq_length,
        threads=getattr(args, "threads", None),
        backend=getattr(args, "backend", None) or (bulk_backend() if for_build else options.backend),
    )


def bulk_backend() -> str:
    """The backend for embedding many texts: torch when installed (throughput), else the NumPy one."""
    import importlib.util

    return "torch" if importlib.util.find_spec("torch") is not None else "auto"


def _index_options(args: argparse.Namespace):
    from kb.index import IndexOptions

    defaults = IndexOptions()
    return IndexOptions(
        kind=getattr(args, "index", None) or defaults.kind,
        ef=getattr(args, "ef", None) or defaults.ef,
        m=getattr(args, "m", None) or defaults.m,
        ef_construction=getattr(args, "ef_construction", None) or defaults.ef_construction,
        threads=getattr(args, "index_threads", None) or defaults.threads,
    )


def _build_options(args: argparse.Namespace):
    from kb.build import BuildOptions, MeasureOptions

    return BuildOptions(
        embedder=_embedder_options(args, for_build=True),
        index=_index_options(args),
        rate_from=getattr(args, "rate_from", "input"),
        tests=Path(args.tests) if getattr(args, "tests", None) else None,
        measure=MeasureOptions(num_trials=getattr(args, "trials", 5), jobs=getattr(args, "jobs", None)),
        on_error=args.on_error,
        chunk_size=args.chunk_size,
        progress=not args.no_progress and sys.stderr.isatty(),
        force=args.force,
    )


def _print_report(report, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
        return
    print(f"knowledge base: {report.path}")
    print(
        f"  entries: {report.count} ({report.added} added now, {report.resumed} from an earlier run, "
        f"{report.duplicates} duplicates dropped)"
    )
    print(
        f"  rates: {report.measured} measured with the runner, {report.rate_from_input} from the input, "
        f"{report.without_rate} unknown; {report.measure_failed} measurements failed"
    )
    if report.problems:
        print(f"  skipped lines: {len(report.problems)}")
        for problem in report.problems[:20]:
            print(f"    {problem}")
    for note in report.notes:
        print(f"  note: {note}")
    print(
        f"  time: {report.seconds:.1f} s (embedding {report.embed_seconds:.1f} s, index {report.index_seconds:.1f} s)"
    )


def cmd_build(args: argparse.Namespace) -> int:
    from kb.build import build_from_files

    report = build_from_files([Path(p) for p in args.pairs], Path(args.output), _build_options(args), args.format)
    _print_report(report, args.json)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from kb.importer import import_od_base

    args.rate_from = "input"
    report = import_od_base(
        Path(args.od_base),
        Path(args.output),
        _build_options(args),
        vectors_model=Path(args.vectors_model) if args.vectors_model else None,
    )
    _print_report(report, args.json)
    return 0


def _policy(args: argparse.Namespace):
    from kb.query import RetrievalPolicy

    defaults = RetrievalPolicy()
    min_rate = defaults.min_rate if args.min_rate is None else (None if args.min_rate < 0 else args.min_rate)
    return RetrievalPolicy(
        min_rate=min_rate,
        min_similarity=defaults.min_similarity if args.min_similarity is None else args.min_similarity,
        candidates=args.candidates or defaults.candidates,
        rerank=args.rerank or defaults.rerank,
        rate_window=defaults.rate_window if args.rate_window is None else args.rate_window,
        exclude_ids=frozenset(args.exclude_id or ()),
        exclude_problem_ids=frozenset(args.exclude_problem or ()),
        ef=args.ef,
    )


def read_program(file: str | None) -> str:
    """The program to query from ``file`` (None or "-": stdin), read up to ``MAX_QUERY_BYTES`` and decoded as
    UTF-8; QueryInputError (one line) when it cannot be read, is larger, or is not UTF-8 text."""
    source = "stdin" if file in (None, "-") else str(file)
    try:
        if file in (None, "-"):
            stream = getattr(sys.stdin, "buffer", sys.stdin)  # a text stream when a caller replaced stdin
            data = stream.read(MAX_QUERY_BYTES + 1)
        else:
            with open(file, "rb") as handle:
                data = handle.read(MAX_QUERY_BYTES + 1)
    except OSError as exc:
        raise QueryInputError(source, f"cannot read it ({exc.strerror or exc})") from exc
    if len(data) > MAX_QUERY_BYTES:
        raise QueryInputError(
            source,
            f"larger than {MAX_QUERY_BYTES:,} bytes (MAX_QUERY_BYTES); query the function to optimise, "
            "not the whole file",
        )
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QueryInputError(
            source, f"not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}); save it as UTF-8"
        ) from exc


def cmd_query(args: argparse.Namespace) -> int:
    from kb.query import KnowledgeBase

    code = read_program(args.file)
    policy = _policy(args)
    started = time.perf_counter()
    with KnowledgeBase.open(args.kb, embedder=_embedder_options(args, for_build=False)) as kb:
        opened = time.perf_counter()
        hits = kb.query(code, k=args.k, policy=policy)
        done = time.perf_counter()
        if args.json:
            settings = ("min_rate", "min_similarity", "candidates", "rerank", "rate_window")
            answer = {
                "kb": str(kb.path),
                "policy": {**{name: getattr(policy, name) for name in settings}, "k": args.k},
                "order": policy.order_in_words(),
                "hits": [hit.to_json() for hit in hits],
                "seconds": {"open": round(opened - started, 4), "query": round(done - opened, 4)},
            }
            print(json.dumps(answer, indent=2))
            return 0
        if not hits:
            print("no suggestion passes the filters (try --min-rate -1 or a lower --min-similarity)")
        else:
            print(f"{policy.order_in_words()}:")
        for rank, hit in enumerate(hits, start=1):
            speedup = f"x{hit.speedup:.2f}" if hit.speedup else "x?"
            rate = f"{hit.rate:.2f}" if hit.rate is not None else "?"
            label = f" {hit.title}" if hit.title else ""
            print(f"{rank}. [{hit.entry_id}]{label}  similarity {hit.similarity:.3f}  rate {rate} ({speedup})")
            print(f"   {hit.text}")
            if hit.tags:
                print(f"   tags: {', '.join(hit.tags)}")
            if args.show_code:
                print("   --- fast example ---")
                print("   " + hit.fast_example.strip().replace("\n", "\n   "))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from kb.query import KnowledgeBase

    started = time.perf_counter()
    with KnowledgeBase.open(args.kb) as kb:
        load_s = time.perf_counter() - started
        manifest = kb.manifest
        rates, categories, sources, tags = [], Counter(), Counter(), Counter()
        for entry in kb.entries():
            if entry.rate is not None:
                rates.append(entry.rate)
            categories[entry.category] += 1
            sources[entry.provenance.source] += 1
            tags.update(entry.tags)
        files = {p.name: p.stat().st_size for p in sorted(kb.path.iterdir()) if p.is_file()}
        data = {
            "path": str(kb.path),
            "entries": manifest.count,
            "embedder": {
                "name": manifest.embedder.name,
                "dim": manifest.embedder.dim,
                "text_mode": manifest.embedder.text_mode,
                "fingerprint": manifest.embedder.fingerprint,
            },
            "index": manifest.index.to_json() if manifest.index else None,
            "files": files,
            "open_seconds": round(load_s, 4),
            "rates": {
                "known": len(rates),
                "median": round(statistics.median(rates), 4) if rates else None,
                "above_0.5": sum(1 for r in rates if r > 0.5),
            },
            "categories": dict(categories.most_common()),
            "tags": dict(tags.most_common(15)),
            "sources": dict(sources.most_common()),
            "content_hash": manifest.content_hash,
            "notes": manifest.notes,
        }
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"knowledge base: {data['path']}")
    print(f"  entries: {data['entries']}   content hash: {(data['content_hash'] or '')[:16]}")
    emb = data["embedder"]
    print(f"  embedder: {emb['name']} (dim {emb['dim']}, text {emb['text_mode']})")
    index = data["index"] or {}
    print(f"  index: {index.get('kind')}  files: " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in files.items()))
    print(f"  opened in {load_s * 1000:.0f} ms")
    r = data["rates"]
    print(f"  rates: {r['known']} known, median {r['median']}, {r['above_0.5']} above 0.5 (at least 2x faster)")
    print("  categories: " + ", ".join(f"{k} {v}" for k, v in data["categories"].items()))
    print("  top tags: " + ", ".join(f"{k} {v}" for k, v in data["tags"].items()))
    print("  sources: " + ", ".join(f"{k} {v}" for k, v in data["sources"].items()))
    for note in data["notes"]:
        print(f"  note: {note}")
    return 0


def cmd_measure_catalogue(args: argparse.Namespace) -> int:
    from kb.catalogue import CatalogueMeasurement, load_catalogue, measure_catalogue

    entries = load_catalogue()
    if args.only:
        wanted = set(args.only)
        entries = [e for e in entries if e.id in wanted or e.slug in wanted]
        unknown = wanted - {e.id for e in entries} - {e.slug for e in entries}
        if unknown:
            raise KBError(f"no catalogue entry {', '.join(sorted(unknown))}; see kb/catalogue/*/*.toml")
    failures = 0

    def show(entry, result) -> None:
        nonlocal failures
        if isinstance(result, CatalogueMeasurement):
            print(
                f"{entry.id:45s} slow {result.slow_s * 1000:8.1f} ms  fast {result.fast_s * 1000:8.1f} ms  "
                f"x{result.speedup:6.2f}  rate {result.rate:.3f}",
                flush=True,
            )
        else:
            failures += 1
            print(f"{entry.id:45s} FAILED: {result}", flush=True)

    measure_catalogue(entries, num_trials=args.trials, jobs=args.jobs, on_result=show)
    print(f"measured {len(entries) - failures} of {len(entries)} entries; results in kb/catalogue/measurements.json")
    return 1 if failures else 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from kb.build import reindex

    manifest = reindex(Path(args.kb), _index_options(args))
    print(f"rebuilt the {manifest.index.kind if manifest.index else '?'} index of {args.kb} ({manifest.count} entries)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from kb.store import EntryStore, entries_path, read_manifest

    path = Path(args.kb)
    read_manifest(path)
    store = EntryStore(entries_path(path))
    count = 0
    with open(args.output, "w", encoding="utf-8") as out:
        for _, entry, vector in store.iter_entries():
            row = entry.to_od_base(vector.tolist() if args.vectors else None)
            if args.full:
                row = {**entry.to_json(), **row}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    store.close()
    print(f"wrote {count} entries to {args.output}")
    return 0


def _add_embedder_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="a local sentence-transformers folder (default: bundled all-MiniLM-L6-v2)")
    parser.add_argument(
        "--text-mode",
        choices=("fused", "code", "description+code", "description"),
        help="what is embedded for each program (default: fused)",
    )
    parser.add_argument(
        "--description-weight", type=bounded(float, 0, 1),
        help="weight of the description's vector in the fused mode (0.75)",
    )
    parser.add_argument(
        "--max-seq-length", type=bounded(int, 1), help="tokens embedded per program (128: what MiniLM was trained on)"
    )


def _add_build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", required=True, help="the knowledge-base folder to write")
    parser.add_argument(
        "--on-error",
        choices=("skip", "stop"),
        default="skip",
        help="on a malformed line: report it and go on (skip), or stop",
    )
    parser.add_argument("--index", choices=("auto", "hnsw", "exact"), help="index kind (auto: exact below 1000)")
    parser.add_argument("--ef", type=bounded(int, 1), help="HNSW search breadth stored as default (64)")
    parser.add_argument("--m", type=bounded(int, 2), help="HNSW links per node (16)")
    parser.add_argument("--ef-construction", type=bounded(int, 1), help="HNSW build breadth (200)")
    parser.add_argument("--index-threads", type=bounded(int, 1), help="threads for the HNSW build (1 = deterministic)")
    parser.add_argument("--threads", type=bounded(int, 1), help="threads for embedding")
    parser.add_argument(
        "--backend",
        choices=("auto", "numpy", "torch"),
        help="embedding backend (default: torch when installed, ~3x the NumPy throughput for bulk builds "
        "with bfloat16; the vectors are the same within 3e-3, so either can query the result)",
    )
    parser.add_argument("--chunk-size", type=bounded(int, 1), default=256,
                        help="pairs committed at a time (resume unit)")
    parser.add_argument("--force", action="store_true", help="replace a knowledge base built from other input")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the build report as JSON")
    _add_embedder_arguments(parser)


def make_parser() -> argparse.ArgumentParser:
    prog = invoked_as("python -m kb", "pyperf-kb")
    parser = argparse.ArgumentParser(
        prog=prog,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=examples_epilog(prog, EXAMPLES.values(), OTHER_TOOLS),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, title="commands")

    build = commands.add_parser("build", help="build a knowledge base from JSONL pairs of slow/fast programs")
    build.add_argument("pairs", nargs="+", help="JSONL files of pairs (or Code-Optimise MBPP solution files)")
    build.add_argument("--format", choices=("auto", "pairs", "mbpp"), default="auto")
    build.add_argument(
        "--rate-from",
        choices=("auto", "input", "measure"),
        default="auto",
        help="auto: measure with the bench runner where --tests has inputs, else use the input's",
    )
    build.add_argument("--tests", help="test inputs: {problem_id: [[input, output], ...]} JSON or a pie/tests folder")
    build.add_argument("--trials", type=bounded(int, 1), default=5, help="timing trials per measured pair")
    build.add_argument("--jobs", type=bounded(int, 1), help="runner workers (default: one per CPU)")
    _add_build_arguments(build)
    build.set_defaults(handler=cmd_build)

    imp = commands.add_parser("import", help="import FasterPy's OD-base.jsonl")
    imp.add_argument("od_base", help="OD-base.jsonl (input, target, diff, rate, summary, vector)")
    imp.add_argument("--vectors-model", help="keep the stored vectors: they were made by this local model folder")
    _add_build_arguments(imp)
    imp.set_defaults(handler=cmd_import)

    query = commands.add_parser("query", help="suggestions for a program (a file, or stdin)")
    query.add_argument("file", nargs="?", help="the program to optimise (default or '-': stdin)")
    query.add_argument("--kb", help="knowledge-base folder (default: the project's catalogue KB)")
    query.add_argument("-k", type=bounded(int, 1), default=2, help="suggestions to return (2)")
    query.add_argument("--min-rate", type=float, help="keep entries with rate above this (0.5; negative: no filter)")
    query.add_argument("--min-similarity", type=bounded(float, -1, 1), help="keep hits at least this similar (0.1)")
    query.add_argument("--candidates", type=bounded(int, 1), help="nearest entries considered before re-ranking (10)")
    query.add_argument(
        "--rerank",
        choices=("fasterpy", "similarity"),
        help="hit order: fasterpy (the default) keeps the nearest first, then the highest rates within --rate-window "
        "of it; similarity: nearest first",
    )
    query.add_argument("--rate-window", type=bounded(float, 0, 2),
                       help="similarity window of the fasterpy re-ranking (0.2)")
    query.add_argument("--ef", type=bounded(int, 1), help="HNSW search breadth for this query")
    query.add_argument("--exclude-id", action="append", help="leave this entry id out (repeatable)")
    query.add_argument("--exclude-problem", action="append", help="leave this problem id out (repeatable)")
    query.add_argument("--show-code", action="store_true", help="print each hit's fast example")
    query.add_argument("--json", action="store_true", help="machine-readable output")
    _add_embedder_arguments(query)
    query.set_defaults(handler=cmd_query)

    stats = commands.add_parser("stats", help="what a knowledge base holds")
    stats.add_argument("kb", nargs="?", help="knowledge-base folder (default: the project's catalogue KB)")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=cmd_stats)

    measure = commands.add_parser("measure-catalogue", help="time the catalogue's pairs with the bench runner")
    measure.add_argument("--only", action="append", help="an entry id or slug (repeatable; default: all)")
    measure.add_argument("--trials", type=bounded(int, 2), default=7,
                         help="timing trials per program (7, first dropped)")
    measure.add_argument("--jobs", type=bounded(int, 1), help="runner workers (default: one per CPU)")
    measure.set_defaults(handler=cmd_measure_catalogue)

    reindex = commands.add_parser("reindex", help="rebuild a knowledge base's index from its stored vectors")
    reindex.add_argument("kb")
    reindex.add_argument("--index", choices=("auto", "hnsw", "exact"))
    reindex.add_argument("--m", type=bounded(int, 2))
    reindex.add_argument("--ef-construction", type=bounded(int, 1))
    reindex.add_argument("--index-threads", type=bounded(int, 1))
    reindex.set_defaults(handler=cmd_reindex)

    export = commands.add_parser("export", help="write a knowledge base as OD-base-style JSONL")
    export.add_argument("kb")
    export.add_argument("-o", "--output", required=True)
    export.add_argument("--vectors", action="store_true", help="include the vectors (as FasterPy's string)")
    export.add_argument("--full", action="store_true", help="include every field of the entries")
    export.set_defaults(handler=cmd_export)
    from kb.evaluate import add_evaluate_retrieval_command

    add_evaluate_retrieval_command(commands)
    describe_commands(commands, prog, EXAMPLES)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="kb: %(message)s", stream=sys.stderr
    )
    try:
        return args.handler(args)
    except QueryInputError as exc:  # bad input, like a usage error: status 2
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
