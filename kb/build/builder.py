"""Building a knowledge base from pairs: entries (diff, rate, summary), their vectors, the index; and reindexing.

Builds are deterministic (entry order = input order, ids from content, a single-threaded HNSW build with a fixed
seed) and resumable: entries are committed chunk by chunk, and running the same build again continues where it
stopped.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bench.core.jsonl import numbered_lines
from kb.build.measure import MeasureOptions, RateMeasurer, load_test_inputs
from kb.build.pairs import InputProblem, OnError, PairFormat, PairRecord, read_pairs
from kb.embed import Embedder, EmbedderOptions
from kb.errors import CorruptIndexError, KBError, KBExistsError, KBNotFoundError
from kb.index import IndexOptions, VectorIndex
from kb.schema import FORMAT_VERSION, KBEntry, Provenance, RateEvidence, entry_id_for, rate_from_speedup
from kb.store import (
    MANIFEST_FILE,
    EntryStore,
    Manifest,
    ensure_directory,
    entries_path,
    read_manifest,
    write_manifest,
)
from kb.summarise import RuleSummariser, Summariser, describe_code, unified_diff

log = logging.getLogger("kb")

RateSource = Literal["auto", "input", "measure"]

@dataclass(frozen=True)
class BuildOptions:
    """Everything a build depends on besides its input."""

    embedder: EmbedderOptions = field(default_factory=EmbedderOptions)
    index: IndexOptions = field(default_factory=IndexOptions)
    rate_from: RateSource = "auto"
    tests: Path | None = None
    measure: MeasureOptions = field(default_factory=MeasureOptions)
    on_error: OnError = "skip"
    chunk_size: int = 256
    progress: bool = True
    force: bool = False


@dataclass
class BuildReport:
    """What a build did."""

    path: Path
    count: int = 0
    added: int = 0
    resumed: int = 0
    duplicates: int = 0
    measured: int = 0
    measure_failed: int = 0
    rate_from_input: int = 0
    without_rate: int = 0
    problems: list[InputProblem] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    index_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["problems"] = [str(problem) for problem in self.problems]
        return data


def _build_key(
    sources: Sequence[str], options: BuildOptions, embedder: Embedder, summariser: Summariser
) -> str:
    info = asdict(embedder.info)
    info.pop("path_hint", None)
    info.pop("dtype", None)
    description = {
        "format": FORMAT_VERSION,
        "sources": list(sources),
        "embedder": info,
        "summariser": summariser.name,
        "rate_from": options.rate_from,
        "tests": _file_digest(options.tests)
        if options.tests and options.tests.is_file()
        else str(options.tests),
        "measure": asdict(options.measure) if options.rate_from != "input" else None,
    }
    return hashlib.sha256(json.dumps(description, sort_keys=True, default=str).encode()).hexdigest()


def source_label(path: Path) -> str:
    """How a build records one of its input files: its name and the start of its SHA-256."""
    return f"{path.name}:{_file_digest(path)[:16]}"


def _file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _chunks(records: Iterable[PairRecord], size: int) -> Iterator[list[PairRecord]]:
    chunk: list[PairRecord] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _entry(record: PairRecord, summariser: Summariser, evidence: RateEvidence | None) -> KBEntry:
    summary = summariser.summarise(record.slow, record.fast)
    rate, speedup = record.rate, record.speedup
    if evidence is not None and evidence.slow_s and evidence.fast_s:
        speedup = evidence.slow_s / evidence.fast_s
        rate = rate_from_speedup(speedup)
    elif record.rate_method is not None:
        evidence = RateEvidence(record.rate_method, record.slow_s, record.fast_s)
    return KBEntry(
        id=record.entry_id or entry_id_for(record.slow, record.fast),
        input=record.slow,
        target=record.fast,
        diff=unified_diff(record.slow, record.fast),
        summary=record.summary or summary.text,
        rate=rate,
        speedup=speedup,
        provenance=Provenance(
            source=record.source, ref=str(record.line), problem_id=record.problem_id, license=record.license
        ),
        title=record.title,
        category=record.category or summary.category,
        tags=record.tags or summary.tags,
        description=describe_code(record.slow),
        evidence=evidence,
    )


def build_kb(
    records: Iterable[PairRecord],
    out: Path,
    options: BuildOptions | None = None,
    *,
    sources: Sequence[str] = (),
    summariser: Summariser | None = None,
    problems: list[InputProblem] | None = None,
    total: int | None = None,
    tests: dict[str, list[bytes]] | None = None,
    notes: Sequence[str] = (),
    embedder: Embedder | None = None,
) -> BuildReport:
    """Build (or resume building) the knowledge base in ``out`` from ``records``.

    ``sources`` identify the input (file digests) so that a resumed build is known to continue the
    same input; ``tests`` maps problem ids to test inputs for measuring rates with the runner.
    ``embedder``, when given, is used instead of one made from ``options.embedder`` (to share a
    loaded model).
    """
    options = options or BuildOptions()
    summariser = summariser or RuleSummariser()
    started = time.perf_counter()
    report = BuildReport(out, problems=problems if problems is not None else [], notes=list(notes))
    embedder = embedder or Embedder(options.embedder)
    key = _build_key(sources, options, embedder, summariser)
    store = _open_for_build(out, key, options)
    measurer = RateMeasurer(options.measure) if options.rate_from != "input" else None
    try:
        existing = store.ids()
        report.resumed = len(existing)
        manifest = Manifest(
            embedder=embedder.info,
            state="building",
            build_key=key,
            summariser=summariser.name,
            sources=list(sources),
            notes=list(notes),
        )
        write_manifest(out, manifest)
        progress = _progress(options.progress, total, report.resumed)
        seen: set[str] = set()
        for chunk in _chunks(records, options.chunk_size):
            fresh: list[PairRecord] = []
            for record in chunk:
                entry_id = record.entry_id or entry_id_for(record.slow, record.fast)
                if entry_id in seen:
                    report.duplicates += 1
                    log.info("%s repeats an earlier pair (%s); kept once", record.where, entry_id)
                    continue
                seen.add(entry_id)
                if entry_id not in existing:
                    fresh.append(replace(record, entry_id=entry_id))
            entries = _make_entries(fresh, summariser, options, measurer, tests, report)
            if entries:
                began = time.perf_counter()
                vectors = _vectors(entries, fresh, embedder)
                report.embed_seconds += time.perf_counter() - began
                store.append(entries, vectors)
                report.added += len(entries)
            progress(len(chunk))
        progress(None)
        _finish(out, store, embedder, manifest, options, report)
    finally:
        if measurer is not None:
            measurer.close()
        store.close()
    report.seconds = time.perf_counter() - started
    return report


def _open_for_build(out: Path, key: str, options: BuildOptions) -> EntryStore:
    ensure_directory(out)
    database = entries_path(out)
    if (out / MANIFEST_FILE).exists():
        try:
            previous = read_manifest(out)
            same = previous.build_key == key
        except KBError:
            same = False
        if not same and not options.force:
            raise KBExistsError(str(out), "a knowledge base built from other input or options")
        if not same:
            database.unlink(missing_ok=True)
    elif database.exists() and not options.force:
        raise KBExistsError(str(out), "entries without a manifest")
    elif database.exists():
        database.unlink()
    return EntryStore(database, writable=True)


def _make_entries(
    records: Sequence[PairRecord],
    summariser: Summariser,
    options: BuildOptions,
    measurer: RateMeasurer | None,
    tests: dict[str, list[bytes]] | None,
    report: BuildReport,
) -> list[KBEntry]:
    evidence: list[RateEvidence | None] = [None] * len(records)
    if measurer is not None:
        jobs, where = [], []
        for position, record in enumerate(records):
            inputs = record.inputs or tuple((tests or {}).get(record.problem_id or "", ()))
            if inputs:
                jobs.append((record.slow, record.fast, inputs))
                where.append(position)
        for position, outcome in zip(where, measurer.measure_many(jobs), strict=True):
            if isinstance(outcome, RateEvidence):
                evidence[position] = outcome
                report.measured += 1
            else:
                report.measure_failed += 1
                log.warning("could not measure %s: %s", records[position].where, outcome)
    entries = []
    for record, found in zip(records, evidence, strict=True):
        if found is None and options.rate_from == "measure":
            problem = InputProblem(
                record.source, record.line, "no measured rate (no tests, or the run failed)"
            )
            report.problems.append(problem)
            log.warning("skipped %s", problem)
            continue
        entry = _entry(record, summariser, found)
        if found is None and entry.rate is not None:
            report.rate_from_input += 1
        if entry.rate is None:
            report.without_rate += 1
        entries.append(entry)
    return entries


def _vectors(entries: Sequence[KBEntry], records: Sequence[PairRecord], embedder: Embedder) -> np.ndarray:
    by_id = {record.entry_id: record for record in records}
    given = [by_id[entry.id].vector if entry.id in by_id else None for entry in entries]
    if all(vector is not None for vector in given):
        matrix = np.asarray(given, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms > 0, norms, 1.0)
    return embedder.embed_code([entry.input for entry in entries], [entry.description for entry in entries])


def _finish(
    out: Path,
    store: EntryStore,
    embedder: Embedder,
    manifest: Manifest,
    options: BuildOptions,
    report: BuildReport,
) -> None:
    began = time.perf_counter()
    dim = embedder.info.dim
    vectors = store.vectors(dim)
    index = VectorIndex.build(vectors, options.index)
    manifest.index = index.save(out)
    report.index_seconds = time.perf_counter() - began
    manifest.count = len(vectors)
    manifest.content_hash = store.content_hash()
    manifest.state = "complete"
    report.count = manifest.count
    stale = out / "index.hnsw"
    if manifest.index.kind == "exact" and stale.exists():
        stale.unlink()
    store.close()
    manifest.entries_size = entries_path(out).stat().st_size
    write_manifest(out, manifest)


def _progress(enabled: bool, total: int | None, done: int) -> Callable[[int | None], None]:
    if not enabled:
        return lambda step: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="pair", desc="kb build", dynamic_ncols=True)

    def advance(step: int | None) -> None:
        if step is None:
            bar.close()
        else:
            bar.update(step)

    return advance


def build_from_files(
    paths: Sequence[Path],
    out: Path,
    options: BuildOptions | None = None,
    fmt: PairFormat = "auto",
    embedder: Embedder | None = None,
) -> BuildReport:
    """``build_kb`` over pair files (the ``python -m kb build`` command)."""
    options = options or BuildOptions()
    problems: list[InputProblem] = []
    sources = [source_label(path) for path in paths]
    total = sum(1 for path in paths for _ in numbered_lines(path)) if fmt != "mbpp" else None

    def records() -> Iterator[PairRecord]:
        for path in paths:
            yield from read_pairs(path, fmt, options.on_error, problems)

    pairs = records()
    first = next(pairs, None)
    if first is None and not (out / MANIFEST_FILE).exists():  # nothing to build, and no earlier build to resume
        skipped = f": {len(problems)} line{'s' if len(problems) != 1 else ''} skipped (above)" if problems else ""
        raise KBError(f"no usable pair in {', '.join(str(path) for path in paths)}{skipped}; nothing was built")
    tests = load_test_inputs(options.tests) if options.tests and options.rate_from != "input" else None
    if options.rate_from == "measure" and not tests:
        log.warning("--rate-from measure without --tests: only pairs that carry their own 'inputs' are kept")
    return build_kb(
        pairs if first is None else itertools.chain([first], pairs),
        out,
        options,
        sources=sources,
        problems=problems,
        total=total,
        tests=tests,
        embedder=embedder,
    )


def reindex(path: Path, index: IndexOptions | None = None) -> Manifest:
    """Rebuild a knowledge base's index from its stored vectors (after damage, or to change HNSW settings)."""
    manifest = read_manifest(path)
    if manifest.state != "complete":
        raise KBNotFoundError(str(path), "its build has not finished; run the build again to resume it")
    store = EntryStore(entries_path(path))
    try:
        if manifest.entries_size is not None and entries_path(path).stat().st_size != manifest.entries_size:
            raise CorruptIndexError(
                str(path),
                f"{entries_path(path).name} changed size since the build; "
                "the entries themselves are damaged, so rebuild from the pairs",
            )
        vectors = store.vectors(manifest.embedder.dim)
        built = VectorIndex.build(vectors, index or IndexOptions())
        manifest.index = built.save(path)
        manifest.count = len(vectors)
    finally:
        store.close()
    write_manifest(path, manifest)
    return manifest
