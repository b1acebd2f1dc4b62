"""The on-disk layout of a knowledge base: a manifest, an SQLite file of entries and vectors, an index.

::

    <kb>/manifest.json     format version, embedder, counts, index file size and SHA-256, state
    <kb>/entries.sqlite    one row per entry: label (= index label), id, filter columns, JSON, vector
    <kb>/index.hnsw        the HNSW graph (absent for exact-search knowledge bases)

The manifest is written last: a build that stops half way leaves ``state: "building"`` and its
committed entries, and resumes from there. Vectors are kept with the entries so that the index can
be rebuilt (``python -m kb reindex``) without embedding anything again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kb.errors import CorruptIndexError, IncompatibleKBError, KBNotFoundError
from kb.index import IndexFile
from kb.schema import FORMAT_VERSION, EmbedderInfo, KBEntry

MANIFEST_FILE = "manifest.json"
ENTRIES_FILE = "entries.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    label INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    problem_id TEXT,
    rate REAL,
    speedup REAL,
    data TEXT NOT NULL,
    vector BLOB NOT NULL
);
"""


@dataclass
class Manifest:
    """What a knowledge-base folder holds; ``state`` is "complete" once the build has finished."""

    embedder: EmbedderInfo
    state: str = "building"
    count: int = 0
    index: IndexFile | None = None
    entries_size: int | None = None
    content_hash: str | None = None
    build_key: str | None = None
    summariser: str | None = None
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    format_version: int = FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["index"] = self.index.to_json() if self.index else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            embedder=EmbedderInfo(**data["embedder"]),
            state=data.get("state", "building"),
            count=int(data.get("count", 0)),
            index=IndexFile(**data["index"]) if data.get("index") else None,
            entries_size=data.get("entries_size"),
            content_hash=data.get("content_hash"),
            build_key=data.get("build_key"),
            summariser=data.get("summariser"),
            sources=list(data.get("sources", [])),
            notes=list(data.get("notes", [])),
            format_version=int(data.get("format_version", 0)),
        )


def read_manifest(directory: Path) -> Manifest:
    """The manifest of a knowledge-base folder; KBNotFoundError/IncompatibleKBError when unusable."""
    path = directory / MANIFEST_FILE
    if not directory.is_dir():
        raise KBNotFoundError(str(directory), "no such folder")
    if not path.is_file():
        raise KBNotFoundError(str(directory), f"no {MANIFEST_FILE}: not a knowledge base")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CorruptIndexError(str(directory), f"{MANIFEST_FILE} is not valid JSON ({exc})") from exc
    version = int(data.get("format_version", 0)) if isinstance(data, dict) else 0
    if version != FORMAT_VERSION:
        raise IncompatibleKBError(str(directory), version, FORMAT_VERSION)
    try:
        return Manifest.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptIndexError(str(directory), f"{MANIFEST_FILE} lacks {exc}") from exc


def write_manifest(directory: Path, manifest: Manifest) -> None:
    path = directory / MANIFEST_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest.to_json(), indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def entry_json(entry: KBEntry) -> str:
    return json.dumps(entry.to_json(), sort_keys=True, ensure_ascii=False)


class EntryStore:
    """The entries and their vectors, addressed by label; one connection shared under a lock."""

    def __init__(self, path: Path, *, writable: bool = False) -> None:
        self.path = path
        self.writable = writable
        try:
            if writable:
                self._db = sqlite3.connect(str(path), check_same_thread=False)
                self._db.executescript(_SCHEMA)
            else:
                if not path.is_file():
                    raise CorruptIndexError(str(path.parent), f"{path.name} is missing")
                self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
                self._db.execute("SELECT count(*) FROM entries").fetchone()
        except sqlite3.DatabaseError as exc:
            raise CorruptIndexError(
                str(path.parent), f"{path.name} is not a readable SQLite file ({exc})"
            ) from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise CorruptIndexError(str(self.path.parent), f"{self.path.name}: {exc}") from exc

    # --- writing ------------------------------------------------------------------------------------
    def append(self, entries: Sequence[KBEntry], vectors: np.ndarray) -> None:
        """Add entries (labels continue from the current count) in one transaction."""
        if len(entries) != len(vectors):
            raise ValueError("one vector per entry")
        start = self.count()
        rows = [
            (
                start + offset,
                entry.id,
                entry.problem_id,
                entry.rate,
                entry.speedup,
                entry_json(entry),
                np.asarray(vector, dtype=np.float32).tobytes(),
            )
            for offset, (entry, vector) in enumerate(zip(entries, vectors, strict=True))
        ]
        with self._lock, self._db:
            self._db.executemany("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    # --- reading ------------------------------------------------------------------------------------
    def count(self) -> int:
        return int(self._query("SELECT count(*) FROM entries")[0][0])

    def ids(self) -> set[str]:
        return {row[0] for row in self._query("SELECT id FROM entries")}

    def filter_columns(self) -> tuple[list[str], list[str | None], np.ndarray]:
        """Ids, problem ids and rates (NaN when unknown) in label order, for filtering hits."""
        rows = self._query("SELECT id, problem_id, rate FROM entries ORDER BY label")
        ids = [row[0] for row in rows]
        problems = [row[1] for row in rows]
        rates = np.array([np.nan if row[2] is None else row[2] for row in rows], dtype=np.float64)
        return ids, problems, rates

    def get(self, labels: Iterable[int]) -> dict[int, KBEntry]:
        labels = [int(label) for label in labels]
        if not labels:
            return {}
        marks = ",".join("?" * len(labels))
        rows = self._query(f"SELECT label, data FROM entries WHERE label IN ({marks})", labels)
        return {int(label): KBEntry.from_json(json.loads(data)) for label, data in rows}

    def label_of(self, entry_id: str) -> int | None:
        rows = self._query("SELECT label FROM entries WHERE id = ?", (entry_id,))
        return int(rows[0][0]) if rows else None

    def iter_entries(self, batch: int = 2048) -> Iterator[tuple[int, KBEntry, np.ndarray]]:
        last = -1
        while True:
            rows = self._query(
                "SELECT label, data, vector FROM entries WHERE label > ? ORDER BY label LIMIT ?",
                (last, batch),
            )
            if not rows:
                return
            for label, data, vector in rows:
                yield int(label), KBEntry.from_json(json.loads(data)), np.frombuffer(vector, dtype=np.float32)
            last = int(rows[-1][0])

    def vectors(self, dim: int) -> np.ndarray:
        rows = self._query("SELECT vector FROM entries ORDER BY label")
        if not rows:
            return np.zeros((0, dim), dtype=np.float32)
        matrix = np.frombuffer(b"".join(row[0] for row in rows), dtype=np.float32)
        if matrix.size != len(rows) * dim:
            raise CorruptIndexError(str(self.path.parent), f"stored vectors are not {dim}-dimensional")
        return matrix.reshape(len(rows), dim)

    def content_hash(self) -> str:
        """A hash of every entry's JSON and vector, in label order: equal hashes, equal knowledge bases."""
        digest = hashlib.sha256()
        last = -1
        while True:
            rows = self._query(
                "SELECT label, data, vector FROM entries WHERE label > ? ORDER BY label LIMIT 4096", (last,)
            )
            if not rows:
                return digest.hexdigest()
            for _, data, vector in rows:
                digest.update(data.encode())
                digest.update(vector)
            last = int(rows[-1][0])


def entries_path(directory: Path) -> Path:
    return directory / ENTRIES_FILE


def ensure_directory(directory: Path) -> None:
    os.makedirs(directory, exist_ok=True)
