"""The language server: LSP glue between the client and the plain-Python core.

``create_server`` registers one handler per LSP method, each a few lines that hand over to the module of its
concern: ``lsp_documents`` (open documents' state), ``lsp_configuration`` (settings), ``lsp_diagnostics``
(debounced rules), ``lsp_hover``, ``lsp_actions`` (quick fixes, "Optimize for speed") and ``lsp_progress``
(jobs' progress and status). ``PerfLanguageServer`` holds the state they share. Nothing heavy runs on the event
loop: the rules run in a thread of their own, retrieval and the LLM in the model host process, optimisation
jobs in a killable process each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from server import lsp_actions, lsp_configuration, lsp_diagnostics, lsp_hover
from server.jobs import JobOutcome, JobRunner
from server.lsp_actions import OPTIMIZE_COMMAND, OPTIMIZE_KIND, SOURCE_OPTIMIZE_KIND
from server.lsp_documents import DocumentState, document_path
from server.lsp_progress import STATUS_NOTIFICATION
from server.model_host import ModelHostProcess
from server.settings import ServerSettings, parse_settings

log = logging.getLogger("server")


class PerfLanguageServer(LanguageServer):
    """The state the features share: settings, documents, workers, caches and what was already reported."""

    def __init__(self) -> None:
        super().__init__("pyperf-assistant", _version())
        self.settings = ServerSettings()
        self.workspace_root: Path | None = None
        self.init_options: Any = None
        self.jobs = JobRunner()
        self.models = ModelHostProcess()
        self.documents: dict[str, DocumentState] = {}
        self.shutdown_requested = False
        self.rules_thread = ThreadPoolExecutor(1, thread_name_prefix="pyperf-rules")
        self.models_thread = ThreadPoolExecutor(2, thread_name_prefix="pyperf-models")
        self.analysis_tasks: dict[str, asyncio.Task] = {}
        self.hover_cache: OrderedDict[tuple, list[dict]] = OrderedDict()  # (span, version..., boost tags)
        self.outcomes: dict[tuple, JobOutcome] = {}
        self.status_task: asyncio.Task | None = None
        self.pending_problems: list[str] = []  # settings problems found before the client could be told
        self.running_jobs: list[str] = []  # titles of the optimisation jobs under way, oldest first
        self._reported: set[str] = set()  # messages already shown once

    def capability(self, *path: str) -> Any:
        """The client's capability at ``path`` (e.g. "window", "work_done_progress"); None when it lacks it."""
        value = self.client_capabilities
        for name in path:
            value = getattr(value, name, None)
            if value is None:
                return None
        return value

    def report_once(self, message: str, kind: types.MessageType) -> None:
        """Log ``message`` and show it (unless ``kind`` is Log) the first time only."""
        if message in self._reported:
            return
        self._reported.add(message)
        log.warning("%s", message) if kind != types.MessageType.Log else log.info("%s", message)
        if kind != types.MessageType.Log:
            self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def close_document(self, uri: str) -> None:
        """Free what is held for ``uri`` (state, scheduled analysis, job outcomes) and clear its diagnostics."""
        lsp_diagnostics.forget(self, uri)
        self.documents.pop(uri, None)
        self.outcomes = {k: v for k, v in self.outcomes.items() if k[0] != uri}
        lsp_diagnostics.publish(self, uri, None, [])

    def stop_workers(self) -> None:
        self.jobs.kill_all()
        self.models.stop()

    def shutdown(self) -> None:
        self.stop_workers()
        self.rules_thread.shutdown(wait=False, cancel_futures=True)
        self.models_thread.shutdown(wait=False, cancel_futures=True)
        super().shutdown()


class ClientLogHandler(logging.Handler):
    """Sends the server's log records (info and up) to the client's ``window/logMessage``, from any thread."""

    LEVELS: ClassVar[dict[int, types.MessageType]] = {
        logging.ERROR: types.MessageType.Error, logging.WARNING: types.MessageType.Warning,
        logging.INFO: types.MessageType.Info}

    def __init__(self, server: PerfLanguageServer, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(logging.INFO)
        self.server = server
        self.loop = loop

    def emit(self, record: logging.LogRecord) -> None:
        kind = self.LEVELS.get(record.levelno if record.levelno < logging.ERROR else logging.ERROR,
                               types.MessageType.Log)
        params = types.LogMessageParams(type=kind, message=self.format(record))
        with contextlib.suppress(RuntimeError):  # the loop has closed: stderr has the record anyway
            self.loop.call_soon_threadsafe(self.server.window_log_message, params)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pyperf-assistant")
    except PackageNotFoundError:
        return "0.0.0"


def create_server() -> PerfLanguageServer:
    server = PerfLanguageServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: PerfLanguageServer, params: types.InitializeParams) -> None:
        folders = params.workspace_folders or []
        root = folders[0].uri if folders else params.root_uri
        ls.workspace_root = document_path(root) if root else None
        ls.init_options = params.initialization_options
        ls.settings, ls.pending_problems = parse_settings(params.initialization_options, ls.workspace_root)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: PerfLanguageServer, params: types.InitializedParams) -> None:
        log.addHandler(ClientLogHandler(ls, asyncio.get_running_loop()))
        for problem in ls.pending_problems:
            ls.report_once(f"pyperf settings: {problem}", types.MessageType.Warning)
        await lsp_configuration.pull_configuration(ls)
        if lsp_configuration.needs_models(ls) and not ls.models.running:
            lsp_configuration.start_models(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: PerfLanguageServer, params: types.DidChangeConfigurationParams) -> None:
        await lsp_configuration.configuration_changed(ls, params)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PerfLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        lsp_diagnostics.schedule_analysis(ls, params.text_document.uri, 0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PerfLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        lsp_diagnostics.schedule_analysis(ls, params.text_document.uri, ls.settings.diagnostics.debounce_ms / 1000)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PerfLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.close_document(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: PerfLanguageServer, params: types.HoverParams) -> types.Hover | None:
        position = params.position
        markdown = await lsp_hover.hover_markdown(ls, params.text_document.uri, position.line, position.character)
        if markdown is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=lsp_actions.ACTION_KINDS, resolve_provider=True))
    async def code_action(ls: PerfLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        return await lsp_actions.list_actions(ls, params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: PerfLanguageServer, action: types.CodeAction) -> types.CodeAction:
        return await lsp_actions.resolve_action(ls, action)

    @server.command(OPTIMIZE_COMMAND)
    async def optimize_command(ls: PerfLanguageServer, data: dict) -> dict:
        return await lsp_actions.optimize_command(ls, data)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: PerfLanguageServer, params: None) -> None:
        ls.shutdown_requested = True
        ls.stop_workers()

    return server


__all__ = ["OPTIMIZE_COMMAND", "OPTIMIZE_KIND", "SOURCE_OPTIMIZE_KIND", "STATUS_NOTIFICATION", "PerfLanguageServer",
           "create_server"]
