"""Build a knowledge base from (slow, fast) program pairs: diff, rate, summary, embedding, index.

Input is JSONL: one pair per line, the slow program under ``input``/``slow``/``slow_code``/... and
the fast one under ``target``/``fast``/``fast_code``/... (see ``SLOW_FIELDS``/``FAST_FIELDS``);
Code-Optimise's MBPP solution files are read too (``format="mbpp"``). The rate is measured with the
project's bench runner when tests exist for the pair's problem, else taken from the input
(``measured_runtime_v0/v1``, ``speedup``, ``runtime_lift``, ``cpu_time_v0/v1``, ``rate``,
``improvement_frac``, in that order).

Builds are deterministic (entry order = input order, ids from content, a single-threaded HNSW build
with a fixed seed) and resumable: entries are committed chunk by chunk, and running the same build
again continues where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from kb.embed import Embedder, EmbedderOptions
from kb.errors import (
    CorruptIndexError,
    KBError,
    KBExistsError,
    KBNotFoundError,
    MalformedInputError,
    MeasurementUnavailableError,
    MissingCodeError,
)
from kb.index import IndexOptions, VectorIndex
from kb.schema import (
    FORMAT_VERSION,
    KBEntry,
    Provenance,
    RateEvidence,
    entry_id_for,
    normalise_od_base_rate,
    rate_from_speedup,
)
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
OnError = Literal["skip", "stop"]
PairFormat = Literal["auto", "pairs", "mbpp"]
SLOW_FIELDS = ("input", "slow", "slow_code", "slow_code_col", "src_code", "code_v0", "src")
FAST_FIELDS = (
    "target",
    "fast",
    "fast_code",
    "reference_code_col",
    "target_code",
    "tgt_code",
    "code_v1",
    "tgt",
)


@dataclass(frozen=True)
class PairRecord:
    """One input pair, before it becomes an entry."""

    slow: str
    fast: str
    source: str
    line: int
    problem_id: str | None = None
    rate: float | None = None
    speedup: float | None = None
    slow_s: float | None = None
    fast_s: float | None = None
    rate_method: str | None = None
    summary: str | None = None
    title: str = ""
    category: str | None = None
    tags: tuple[str, ...] = ()
    entry_id: str | None = None
    license: str | None = None
    vector: Sequence[float] | None = None
    inputs: tuple[bytes, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True)
class InputProblem:
    """A line of input that was skipped, and why."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class MeasureOptions:
    """How rates are measured with the bench runner (``bench.core.timing.measure_speedup``)."""

    num_trials: int = 5
    ignore_first_k: int = 1
    metric: Literal["cpu", "wall"] = "cpu"
    jobs: int | None = None
    timeout_s: float = 10.0


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


# --- reading pairs -------------------------------------------------------------------------------------


def _first(row: dict[str, Any], names: Sequence[str]) -> Any:
    for name in names:
        if name in row and row[name] is not None:
            return row[name]
    return None


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def rate_from_row(row: dict[str, Any]) -> tuple[float, float, float | None, float | None, str] | None:
    """(rate, speedup, slow_s, fast_s, method) from the timing fields of an input row, if any."""
    for slow_key, fast_key, method in (
        ("measured_runtime_v0", "measured_runtime_v1", "input:measured_runtime"),
        ("slow_s", "fast_s", "input:times"),
    ):
        slow, fast = _positive(row.get(slow_key)), _positive(row.get(fast_key))
        if slow is not None and fast is not None:
            return rate_from_speedup(slow / fast), slow / fast, slow, fast, method
    speedup = _positive(_first(row, ("speedup", "runtime_lift")))
    if speedup is not None:
        return rate_from_speedup(speedup), speedup, None, None, "input:speedup"
    slow, fast = _positive(row.get("cpu_time_v0")), _positive(row.get("cpu_time_v1"))
    if slow is not None and fast is not None:
        return rate_from_speedup(slow / fast), slow / fast, None, None, "input:cpu_time"
    for key, scale, method in (
        ("rate", 1.0, "input:rate"),
        ("improvement_frac", 100.0, "input:improvement_frac"),
    ):
        if _is_number(row.get(key)):
            rate, speedup = normalise_od_base_rate(float(row[key]) / scale)
            return rate, speedup, None, None, method
    return None


def _is_number(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str:
    if isinstance(value, list):  # some dumps keep code as a list of lines
        return "\n".join(str(line) for line in value)
    return value if isinstance(value, str) else ""


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def _parse(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise MalformedInputError(str(path), number, f"not valid JSON ({exc.args[0][:80]})") from exc
    if not isinstance(row, dict):
        raise MalformedInputError(str(path), number, "not a JSON object")
    return row


def pair_from_row(row: dict[str, Any], source: str, line: int) -> PairRecord:
    """A PairRecord from one JSON row of a pairs file; MissingCodeError when a side has no code."""
    slow, fast = _text(_first(row, SLOW_FIELDS)), _text(_first(row, FAST_FIELDS))
    where = f"{source}:{line}"
    if not slow.strip():
        raise MissingCodeError(where, "slow (input)")
    if not fast.strip():
        raise MissingCodeError(where, "fast (target)")
    found = rate_from_row(row)
    rate, speedup, slow_s, fast_s, method = found if found else (None, None, None, None, None)
    tags = row.get("tags")
    inputs = row.get("inputs") or ()
    return PairRecord(
        slow=slow,
        fast=fast,
        source=source,
        line=line,
        problem_id=str(row["problem_id"]) if row.get("problem_id") is not None else None,
        rate=rate,
        speedup=speedup,
        slow_s=slow_s,
        fast_s=fast_s,
        rate_method=method,
        summary=row.get("summary")
        if isinstance(row.get("summary"), str) and row["summary"].strip()
        else None,
        title=str(row.get("title") or ""),
        category=row.get("category") if isinstance(row.get("category"), str) else None,
        tags=tuple(str(tag) for tag in tags) if isinstance(tags, list) else (),
        entry_id=str(row["id"]) if isinstance(row.get("id"), str) else None,
        license=row.get("license") if isinstance(row.get("license"), str) else None,
        inputs=tuple(str(item).encode() for item in inputs) if isinstance(inputs, list) else (),
    )


def _detect_format(path: Path) -> PairFormat:
    for number, line in _lines(path):
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and "answers" in row and "question" in row:
            return "mbpp"
        return "pairs"
        del number
    return "pairs"


def read_pairs(
    path: Path,
    fmt: PairFormat = "auto",
    on_error: OnError = "skip",
    problems: list[InputProblem] | None = None,
) -> Iterator[PairRecord]:
    """The pairs of a JSONL file; bad lines raise (``stop``) or are reported and skipped (``skip``)."""
    if fmt == "auto":
        fmt = _detect_format(path)
    for number, line in _lines(path):
        try:
            row = _parse(path, number, line)
            if fmt == "mbpp":
                yield from mbpp_pairs(row, path.name, number)
            else:
                yield pair_from_row(row, path.name, number)
        except (MalformedInputError, MissingCodeError) as exc:
            if on_error == "stop":
                raise
            problem = InputProblem(path.name, number, str(exc).split(". Fix the line")[0].split(": ", 1)[-1])
            log.warning("skipped %s", problem)
            if problems is not None:
                problems.append(problem)


def mbpp_pairs(
    row: dict[str, Any], source: str, line: int, min_speedup: float = 1.05
) -> Iterator[PairRecord]:
    """The fastest and the slowest passing solution of one Code-Optimise MBPP problem, as a pair.

    ``answers[].votes`` is the solution's mean runtime when it passed its tests and null otherwise.
    The problem's ``question`` (signature and docstring) is kept as the function's first lines,
    without the docstring.
    """
    question = str(row.get("question") or "")
    answers = row.get("answers")
    if not question.strip() or not isinstance(answers, list):
        raise MalformedInputError(source, line, "an MBPP solutions row needs 'question' and 'answers'")
    signature = question.replace("\r\n", "\n").strip().splitlines()[0]
    passing: dict[str, float] = {}
    for answer in answers:
        votes = _positive(answer.get("votes")) if isinstance(answer, dict) else None
        body = _clean_body(str(answer.get("text") or "")) if isinstance(answer, dict) else ""
        if votes is None or not body.strip():
            continue
        passing[body] = min(votes, passing.get(body, math.inf))
    if len(passing) < 2:
        return
    ranked = sorted(passing.items(), key=lambda item: (item[1], item[0]))
    (fast_body, fast_time), (slow_body, slow_time) = ranked[0], ranked[-1]
    if slow_time / fast_time < min_speedup:
        return
    speedup = slow_time / fast_time
    yield PairRecord(
        slow=f"{signature}\n{slow_body}",
        fast=f"{signature}\n{fast_body}",
        source=source,
        line=line,
        problem_id=f"mbpp-{row.get('id')}",
        rate=rate_from_speedup(speedup),
        speedup=speedup,
        slow_s=slow_time,
        fast_s=fast_time,
        rate_method="input:mbpp_votes",
        license="Apache-2.0",
    )


def _clean_body(text: str) -> str:
    """A solution body without blank lines, comment-only lines or trailing test code at column 0."""
    kept: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not raw.strip() or raw.strip().startswith("#"):
            continue
        if not raw.startswith((" ", "\t")):
            break  # the function body ended; what follows is the model's own test code
        kept.append(raw.rstrip())
    return "\n".join(kept)


def load_tests(path: Path) -> dict[str, list[bytes]]:
    """Test inputs per problem: a JSON ``{problem_id: [[input, output], ...]}`` or a folder
    ``{problem_id}/input.N.txt`` (the layout of ``pie/tests``)."""
    tests: dict[str, list[bytes]] = {}
    if path.is_dir():
        for problem in sorted(p for p in path.iterdir() if p.is_dir()):
            inputs = sorted(problem.glob("input.*.txt"), key=lambda p: _natural(p.name))
            if inputs:
                tests[problem.name] = [p.read_bytes() for p in inputs]
        return tests
    data = json.loads(path.read_text())
    for problem, cases in data.items():
        tests[problem] = [str(case[0] if isinstance(case, list) else case).encode() for case in cases]
    return tests


def _natural(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in name.split("."))


# --- measuring ----------------------------------------------------------------------------------------


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


# --- building ------------------------------------------------------------------------------------------


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
    total = sum(1 for path in paths for _ in _lines(path)) if fmt != "mbpp" else None

    def records() -> Iterator[PairRecord]:
        for path in paths:
            yield from read_pairs(path, fmt, options.on_error, problems)

    tests = load_tests(options.tests) if options.tests and options.rate_from != "input" else None
    if options.rate_from == "measure" and not tests:
        log.warning("--rate-from measure without --tests: only pairs that carry their own 'inputs' are kept")
    return build_kb(
        records(),
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
