"""The model host: one long-lived worker process holding the knowledge base, its embedder and the LLM.

Loading them takes seconds (sentence-transformers alone imports in 8-9 s) and hundreds of megabytes, so it
happens once, in the background, in a process of its own: the server's event loop never waits for it, and
neither does a hover (``suggest`` answers ``ready: False`` until the knowledge base is loaded). The server
and each optimisation job talk to it over a Unix socket (``multiprocessing.connection``, authenticated). It
is a service of two operations, and its status; candidates are built by the job, not here
(``server.remote`` adapts these operations to the optimizer's ``Retriever`` and ``ChatModel``):

- ``{"op": "suggest", "code", "k", "wait": bool, "boost_tags": [str]}`` ->
  ``{"ready", "hits": [SuggestionHit.to_json()], "error"}``
  (``wait``: load the knowledge base first rather than answer ``ready: False``)
- ``{"op": "generate", "messages", "settings": GenerationSettings}`` -> ``{"generations": [Generation],
  "model": file name}`` or ``{"error"}``
- ``{"op": "status", "wait": bool}`` -> ``{"kb": state, "llm": state, "kb_error", "llm_error"}``

A missing or broken knowledge base or model is reported once through ``status`` and the host keeps serving
what it has (no suggestions; an error for ``generate``, which the job turns into a note).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optimizer.llm import GenerationSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HostConfig:
    model_path: Path | None
    kb_path: Path | None
    embedder_path: Path | None
    preload: bool  # load the embedder (and the LLM) at start, not on first use
    llm: bool = True  # whether the LLM engine is on: when off the model is never loaded


@dataclass(frozen=True)
class HostAddress:
    path: str
    authkey: bytes

    def connect(self, timeout_s: float = 10.0) -> Connection:
        """A connection to the host, retried while it is still starting (raises OSError past the timeout)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return Client(self.path, family="AF_UNIX", authkey=self.authkey)
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)


class _Component:
    """One lazily loaded thing (the KB, the LLM) and its state: off, loading, ready or error."""

    def __init__(self) -> None:
        self.state = "off"
        self.error: str | None = None
        self.value: Any = None
        self.done = threading.Event()
        self._lock = threading.Lock()

    def load(self, loader) -> Any:
        with self._lock:
            if self.state in ("ready", "error"):
                return self.value
            self.state = "loading"
            self.done.clear()
            try:
                self.value = loader()
                self.state = "ready"
            except Exception as exc:  # every failure of a user's path or install becomes one message
                self.error = str(exc) or type(exc).__name__
                self.state = "error"
                log.warning("%s", self.error)
            finally:
                self.done.set()
            return self.value


class ModelHost:
    """What the host process serves; usable in-process too (tests, the latency benchmark)."""

    def __init__(self, config: HostConfig) -> None:
        self.config = config
        self.kb = _Component()
        self.llm = _Component()

    # --- loading ------------------------------------------------------------------------------------
    def _open_kb(self):
        from kb import KnowledgeBase
        from kb.embed import EmbedderOptions

        embedder = EmbedderOptions(model_path=self.config.embedder_path) if self.config.embedder_path else None
        kb = KnowledgeBase.open(self.config.kb_path, embedder=embedder)
        kb.embed(["def warm_up():\n    return 0\n"])  # loads the model now rather than on the first hover
        return kb

    def _open_llm(self):
        from optimizer.llm import LocalModel

        model = LocalModel(self.config.model_path)
        model.load()
        return model

    def load_kb(self):
        return self.kb.load(self._open_kb)

    def load_llm(self):
        return self.llm.load(self._open_llm)

    def preload(self) -> None:
        """The knowledge base (and its embedder) first: hovers need it; then the LLM."""
        self.load_kb()
        if self.config.llm:
            self.load_llm()
        else:
            self.llm.done.set()

    # --- requests -----------------------------------------------------------------------------------
    def suggest(self, code: str, k: int, wait: bool = False, boost_tags: Sequence[str] = ()) -> dict:
        if wait:
            self.load_kb()
        elif self.kb.state == "off":  # not preloaded: load now, in the background, and answer later hovers
            self.kb.state = "loading"
            threading.Thread(target=self.load_kb, name="load-kb", daemon=True).start()
        if self.kb.state != "ready":
            return {"ready": False, "hits": [], "error": self.kb.error}
        from kb.query import SUGGESTION_POLICY

        # the judged set's best policy: similarity boosted by the tags of the rules that fire on the code
        hits = self.kb.value.query(code, k=k, policy=SUGGESTION_POLICY, boost_tags=tuple(boost_tags)) if k > 0 else []
        return {"ready": True, "hits": [hit.to_json() for hit in hits], "error": None}

    def generate(self, messages: Sequence[dict[str, str]], settings: GenerationSettings) -> dict:
        from optimizer.llm import ModelError

        if not self.config.llm:
            return {"error": "the LLM is off (pyperf.engines.llm)"}
        model = self.load_llm()
        if model is None:
            return {"error": f"the LLM is unavailable: {self.llm.error}"}
        try:
            return {"generations": model.generate(messages, settings), "model": model.name}
        except ModelError as exc:
            return {"error": str(exc)}

    def status(self, wait: bool = False) -> dict:
        if wait:
            self.kb.done.wait()
            self.llm.done.wait()
        return {"kb": self.kb.state, "llm": self.llm.state, "kb_error": self.kb.error, "llm_error": self.llm.error}

    def handle(self, request: dict) -> dict:
        op = request.get("op")
        if op == "suggest":
            return self.suggest(request["code"], int(request.get("k", 2)), bool(request.get("wait")),
                                request.get("boost_tags") or ())
        if op == "generate":
            return self.generate(request["messages"], request["settings"])
        if op == "status":
            return self.status(bool(request.get("wait")))
        return {"error": f"unknown op {op!r}"}


def _serve_connection(host: ModelHost, conn: Connection) -> None:
    with conn:
        while True:
            try:
                request = conn.recv()
            except (EOFError, OSError):
                return
            try:
                answer = host.handle(request)
            except Exception as exc:
                log.exception("model host request failed")
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            try:
                conn.send(answer)
            except (OSError, ValueError):  # the asker went away (a cancelled job)
                return


def host_main(config: HostConfig, address: HostAddress, log_level: int) -> None:
    """Entry point of the host process (spawned by the server)."""
    from server.processes import detach_from_lsp_stream, die_with_parent

    detach_from_lsp_stream()
    die_with_parent()
    logging.basicConfig(level=log_level, format="pyperf model host: %(levelname)s %(message)s")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    host = ModelHost(config)
    listener = Listener(address.path, family="AF_UNIX", authkey=address.authkey)
    if config.preload:
        threading.Thread(target=host.preload, name="preload", daemon=True).start()
    else:
        host.kb.done.set()
        host.llm.done.set()
    serve(host, listener)


def serve(host: ModelHost, listener: Listener) -> None:
    """Answer every connection to ``listener``, each in a thread of its own, for ever."""
    while True:
        try:
            conn = listener.accept()
        except (OSError, EOFError, AuthenticationError) as exc:  # a client that failed authentication
            log.debug("rejected a connection: %s", exc)
            continue
        threading.Thread(target=_serve_connection, args=(host, conn), daemon=True).start()


class ModelHostProcess:
    """The server's handle on the host process: starts it, asks it things, kills it."""

    def __init__(self) -> None:
        self.process = None
        self.address: HostAddress | None = None
        self.config: HostConfig | None = None
        self._folder: str | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def start(self, config: HostConfig, log_level: int) -> None:
        import multiprocessing
        import tempfile

        self.stop()
        self._folder = tempfile.mkdtemp(prefix="pyperf-host-")
        self.address = HostAddress(os.path.join(self._folder, "host.sock"), os.urandom(32))
        self.config = config
        self.process = multiprocessing.get_context("spawn").Process(
            target=host_main, args=(config, self.address, log_level), name="pyperf-model-host", daemon=True)
        self.process.start()

    def request(self, message: dict, timeout_s: float, fresh: bool = False) -> dict:
        """Send one request and wait for its answer (blocking: call it from a thread).

        Raises OSError / EOFError when the host is unreachable and TimeoutError past ``timeout_s``.
        ``fresh`` uses a connection of its own (for requests that wait long, like ``status`` with wait).
        """
        if self.address is None:
            raise OSError("the model host is not running")
        if fresh:
            with self.address.connect(timeout_s) as conn:
                conn.send(message)
                return conn.recv()
        with self._lock:
            if self._conn is None:
                self._conn = self.address.connect(timeout_s)
            try:
                self._conn.send(message)
                if not self._conn.poll(timeout_s):
                    raise TimeoutError(f"the model host did not answer within {timeout_s:g} s")
                return self._conn.recv()
            except (OSError, EOFError, TimeoutError):
                # A late answer would be read as the next request's: start over on a new connection.
                self._conn.close()
                self._conn = None
                raise

    def stop(self) -> None:
        import shutil

        from server.processes import kill_tree

        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        if self.process is not None:
            if self.process.pid is not None:
                kill_tree(self.process.pid)
            self.process.join(5)
            self.process = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        self.address = None
