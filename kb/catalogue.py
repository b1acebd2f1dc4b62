"""The project's own catalogue of Python optimisation patterns, and the default knowledge base built from it.

Each pattern is one TOML file under ``kb/catalogue/<category>/<slug>.toml``: a slow stdin program, a
fast one with the same output, a plain-words suggestion, tags, and a tiny deterministic input
generator (see ``kb/catalogue/README.md``). Rates are measured with the bench runner
(``python -m kb measure-catalogue``) and committed in ``kb/catalogue/measurements.json``, so that the
default knowledge base builds on first use without timing anything: it is built into the user's
cache folder, keyed by a hash of the catalogue, its measurements and the embedder.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import platform
import random
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.errors import CatalogueError
from kb.schema import FORMAT_VERSION, RateEvidence, rate_from_speedup
from kb.tags import CATEGORIES, unknown_tags

log = logging.getLogger("kb")

CATALOGUE_DIR = Path(__file__).with_name("catalogue")
MEASUREMENTS_FILE = CATALOGUE_DIR / "measurements.json"
CACHE_ENV = "PYPERF_CACHE_DIR"
_REQUIRED = ("title", "category", "tags", "suggestion", "slow", "fast", "input_generator", "input_size")


@dataclass(frozen=True)
class CatalogueEntry:
    """One pattern of the catalogue, as written in its TOML file."""

    slug: str
    title: str
    category: str
    tags: tuple[str, ...]
    suggestion: str
    slow: str
    fast: str
    input_generator: str
    input_size: int
    seed: int
    path: Path

    @property
    def id(self) -> str:
        return f"cat-{self.slug}"

    def make_input(self, size: int | None = None) -> bytes:
        """The program input, from the entry's generator (deterministic for a given size and seed)."""
        namespace: dict[str, Any] = {}
        exec(compile(self.input_generator, f"{self.path}:input_generator", "exec"), namespace)
        make: Callable[[int, random.Random], str] = namespace["make_input"]
        return make(self.input_size if size is None else size, random.Random(self.seed)).encode()

    def content_hash(self) -> str:
        """A hash of what the measurement depends on: the programs and their input."""
        text = "\0".join((self.slow, self.fast, self.input_generator, str(self.input_size), str(self.seed)))
        return hashlib.sha256(text.encode()).hexdigest()


def load_entry(path: Path) -> CatalogueEntry:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(str(path), f"not valid TOML ({exc})") from exc
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise CatalogueError(str(path), f"missing {', '.join(missing)}")
    if not isinstance(data["tags"], list) or not data["tags"]:
        raise CatalogueError(str(path), "tags must be a non-empty list")
    if data["category"] not in CATEGORIES:
        raise CatalogueError(str(path), f"category {data['category']!r} is not one of {', '.join(CATEGORIES)}")
    unknown = unknown_tags([str(tag) for tag in data["tags"]])
    if unknown:
        raise CatalogueError(str(path), f"tags {', '.join(map(repr, unknown))} are not in the vocabulary of kb/tags.py")
    for key in ("slow", "fast"):
        try:
            compile(data[key], f"{path}:{key}", "exec")
        except SyntaxError as exc:
            raise CatalogueError(str(path), f"the {key} program does not compile ({exc})") from exc
    return CatalogueEntry(
        slug=path.stem,
        title=str(data["title"]),
        category=str(data["category"]),
        tags=tuple(str(tag) for tag in data["tags"]),
        suggestion=" ".join(str(data["suggestion"]).split()),
        slow=data["slow"],
        fast=data["fast"],
        input_generator=data["input_generator"],
        input_size=int(data["input_size"]),
        seed=int(data.get("seed", 1)),
        path=path,
    )


def load_catalogue(directory: Path = CATALOGUE_DIR) -> list[CatalogueEntry]:
    """Every catalogue entry, sorted by id; duplicate slugs are an error."""
    entries = [load_entry(path) for path in sorted(directory.glob("*/*.toml"))]
    seen: dict[str, Path] = {}
    for entry in entries:
        if entry.slug in seen:
            raise CatalogueError(
                str(entry.path), f"the slug {entry.slug!r} is also used by {seen[entry.slug]}"
            )
        seen[entry.slug] = entry.path
    return sorted(entries, key=lambda entry: entry.id)


# --- measurements --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueMeasurement:
    """A rate measured with the bench runner for one version (``content_hash``) of an entry."""

    content_hash: str
    speedup: float
    slow_s: float
    fast_s: float
    slow_spread: float = 0.0
    fast_spread: float = 0.0

    @property
    def rate(self) -> float:
        return rate_from_speedup(self.speedup)


def load_measurements(path: Path = MEASUREMENTS_FILE) -> dict[str, CatalogueMeasurement]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    result = {}
    for entry_id, row in data.get("entries", {}).items():
        result[entry_id] = CatalogueMeasurement(
            row["content_hash"],
            row["speedup"],
            row["slow_s"],
            row["fast_s"],
            row.get("slow_spread", 0.0),
            row.get("fast_spread", 0.0),
        )
    return result


def measurement_settings(path: Path = MEASUREMENTS_FILE) -> dict[str, Any]:
    if not path.is_file():
        return {}
    return json.loads(path.read_text()).get("settings", {})


def measure_catalogue(
    entries: Sequence[CatalogueEntry],
    *,
    num_trials: int = 7,
    ignore_first_k: int = 1,
    jobs: int | None = None,
    path: Path = MEASUREMENTS_FILE,
    on_result: Callable[[CatalogueEntry, CatalogueMeasurement | str], None] | None = None,
) -> dict[str, CatalogueMeasurement | str]:
    """Measure entries with the bench runner and record the results in ``path`` (others are kept)."""
    from kb.build import MeasureOptions, RateMeasurer

    options = MeasureOptions(num_trials=num_trials, ignore_first_k=ignore_first_k, jobs=jobs, timeout_s=60.0)
    measurer = RateMeasurer(options)
    results: dict[str, CatalogueMeasurement | str] = {}
    try:
        jobs_list = [(entry.slow, entry.fast, [entry.make_input()]) for entry in entries]
        # One entry at a time per worker; the measurer runs as many in parallel as it has workers.
        for start in range(0, len(entries), max(1, measurer.jobs)):
            batch = entries[start : start + measurer.jobs]
            outcomes = measurer.measure_many(jobs_list[start : start + measurer.jobs])
            for entry, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, RateEvidence):
                    assert outcome.slow_s is not None and outcome.fast_s is not None
                    result: CatalogueMeasurement | str = CatalogueMeasurement(
                        entry.content_hash(),
                        round(outcome.slow_s / outcome.fast_s, 4),
                        round(outcome.slow_s, 6),
                        round(outcome.fast_s, 6),
                    )
                else:
                    result = outcome
                results[entry.id] = result
                if on_result is not None:
                    on_result(entry, result)
    finally:
        measurer.close()
    _record(path, results, options)
    return results


def _record(path: Path, results: dict[str, CatalogueMeasurement | str], options: Any) -> None:
    data = json.loads(path.read_text()) if path.is_file() else {}
    rows = data.get("entries", {})
    for entry_id, result in results.items():
        if isinstance(result, CatalogueMeasurement):
            rows[entry_id] = {
                "content_hash": result.content_hash,
                "speedup": result.speedup,
                "rate": round(result.rate, 4),
                "slow_s": result.slow_s,
                "fast_s": result.fast_s,
            }
    data = {
        "about": "Rates of kb/catalogue entries measured by `python -m kb measure-catalogue` with the bench "
        "runner (bench.core.timing.measure_speedup, zygote mode, median of the kept trials). rate = 1 - "
        "fast_s/slow_s (FasterPy's convention), speedup = slow_s/fast_s.",
        "settings": {
            "num_trials": options.num_trials,
            "ignore_first_k": options.ignore_first_k,
            "metric": options.metric,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpu": _cpu_name(),
        },
        "entries": dict(sorted(rows.items())),
    }
    path.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


# --- the default knowledge base -------------------------------------------------------------------------


def catalogue_records(entries: Sequence[CatalogueEntry], measurements: dict[str, CatalogueMeasurement]):
    """Build records for measured entries, and the ids of entries without a current measurement."""
    from kb.build import PairRecord

    records, unmeasured = [], []
    for entry in entries:
        measured = measurements.get(entry.id)
        if measured is None or measured.content_hash != entry.content_hash():
            unmeasured.append(entry.id)
            continue
        records.append(
            PairRecord(
                slow=entry.slow,
                fast=entry.fast,
                source="catalogue",
                line=0,
                problem_id=entry.id,
                rate=measured.rate,
                speedup=measured.speedup,
                slow_s=measured.slow_s,
                fast_s=measured.fast_s,
                rate_method="runner",
                summary=entry.suggestion,
                title=entry.title,
                category=entry.category,
                tags=entry.tags,
                entry_id=entry.id,
                license="Apache-2.0",
            )
        )
    return records, unmeasured


def cache_dir() -> Path:
    """Where built default knowledge bases live: $PYPERF_CACHE_DIR, else $XDG_CACHE_HOME/pyperf-assistant."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pyperf-assistant"


def catalogue_hash(entries: Sequence[CatalogueEntry], measurements: dict[str, CatalogueMeasurement]) -> str:
    digest = hashlib.sha256()
    for entry in entries:
        digest.update(entry.path.read_bytes())
        measured = measurements.get(entry.id)
        digest.update(json.dumps(measured.__dict__ if measured else None, sort_keys=True).encode())
    return digest.hexdigest()


def default_kb_path(embedder=None, *, directory: Path | None = None) -> Path:
    """The default knowledge base's folder, built there first if this catalogue/embedder has none yet.

    ``embedder`` is ``EmbedderOptions``, an ``Embedder`` (to reuse a loaded model) or None (defaults).
    """
    from kb.build import BuildOptions, build_kb
    from kb.embed import Embedder, EmbedderOptions
    from kb.store import read_manifest
    from kb.summarise import SUMMARISER_VERSION

    shared = embedder if isinstance(embedder, Embedder) else None
    options: EmbedderOptions = shared.options if shared else (embedder or EmbedderOptions())
    entries = load_catalogue()
    measurements = load_measurements()
    info = (shared or Embedder(options)).info
    key = hashlib.sha256(
        json.dumps(
            {
                "catalogue": catalogue_hash(entries, measurements),
                "format": FORMAT_VERSION,
                "summariser": SUMMARISER_VERSION,
                "fingerprint": info.fingerprint,
                "text_mode": info.text_mode,
                "max_seq_length": info.max_seq_length,
            },
            sort_keys=True,
        ).encode()
    ).hexdigest()[:16]
    root = directory or cache_dir() / "kb"
    path = root / f"default-{key}"
    if _complete(path, read_manifest):
        return path
    (root / ".locks").mkdir(parents=True, exist_ok=True)
    with _locked(root / ".locks" / f"default-{key}.lock"):
        if _complete(path, read_manifest):  # another process built it while we waited
            return path
        records, unmeasured = catalogue_records(entries, measurements)
        if unmeasured:
            log.warning(
                "%d catalogue entries have no current measurement and are left out of the default "
                "knowledge base (run `python -m kb measure-catalogue`): %s",
                len(unmeasured),
                ", ".join(unmeasured),
            )
        build_kb(
            records,
            path,
            BuildOptions(embedder=options, rate_from="input", progress=False, force=True),
            sources=[f"catalogue:{key}"],
            notes=[f"default knowledge base ({len(records)} catalogue entries)"],
            embedder=shared,
        )
    return path


def _complete(path: Path, read_manifest) -> bool:
    try:
        return read_manifest(path).state == "complete"
    except Exception:  # any unreadable state means "build it"
        return False


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_entry(entry: CatalogueEntry, runner, size: int | None = None) -> str | None:
    """Run both programs of an entry once with the bench runner on a (small) input; the problem, if any.

    A quick correctness check for tests and authors (rates come from ``measure_catalogue``).
    """
    from bench.core.compare import outputs_match

    stdin = entry.make_input(size)
    outputs = []
    for name, code in (("slow", entry.slow), ("fast", entry.fast)):
        result = runner.run(code, stdin)
        if not result.ok:
            return f"{name}: {result.status}: {result.reason} {result.stderr.decode(errors='replace')[-300:]}"
        outputs.append(result.stdout)
    if not outputs[0].strip():
        return "the slow program printed nothing"
    return None if outputs_match(outputs[1], outputs[0]) else "the outputs differ"
