"""The language server: LSP glue between the client and the plain-Python core.

Handlers translate LSP types into calls of ``regions``, ``diagnostics``, ``hover``, ``jobs`` and the model
host, and back. Nothing heavy runs on the event loop: the rules run in a thread of their own, retrieval and
the LLM in the model host process, optimisation jobs in a killable process each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from server.diagnostics import SOURCE, Analysis, analyse, rule_docs
from server.edits import minimal_edit
from server.hover import rule_markdown, suggestions_markdown
from server.inputs import program_inputs
from server.jobs import JobOutcome, JobRequest, JobRunner, title
from server.model_host import HostConfig, ModelHostProcess
from server.positions import PositionMap
from server.regions import ParsedModule, Region
from server.settings import SECTION, ServerSettings, parse_settings

log = logging.getLogger("server")

OPTIMIZE_KIND = "refactor.rewrite.pyperf"  # "Optimize for speed" on the function or block at the cursor
SOURCE_OPTIMIZE_KIND = "source.pyperf"  # "Optimize for speed" on the whole file
OPTIMIZE_COMMAND = "pyperf.optimize"  # the same, run as a command that applies its edit itself
OPTIMIZE_TITLE = "Optimize for speed"
STATUS_NOTIFICATION = "pyperf/status"  # {"state": "working" | "ready", "job": title}: what the client shows as busy
CONFIGURATION_TIMEOUT_S = 3.0  # a client that never answers workspace/configuration keeps the settings it has
HOVER_TIMEOUT_S = 0.5  # past this a hover shows no suggestions rather than keep the user waiting
HOVER_CACHE_SIZE = 512


@dataclass
class DocumentState:
    """What is known of one version of an open document."""

    version: int
    text: str
    parsed: ParsedModule
    positions: PositionMap
    analysis: Analysis | None = None  # None until the rules have run on this version


class PerfLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("pyperf-assistant", _version())
        self.settings = ServerSettings()
        self.workspace_root: Path | None = None
        self.init_options: Any = None
        self.jobs = JobRunner()
        self.models = ModelHostProcess()
        self.documents: dict[str, DocumentState] = {}
        self.shutdown_requested = False
        self._rules_thread = ThreadPoolExecutor(1, thread_name_prefix="pyperf-rules")
        self._models_thread = ThreadPoolExecutor(2, thread_name_prefix="pyperf-models")
        self._analysis_tasks: dict[str, asyncio.Task] = {}
        self._hover_cache: OrderedDict[tuple[int, int, int], list[dict]] = OrderedDict()
        self._outcomes: dict[tuple, JobOutcome] = {}
        self._reported: set[str] = set()  # messages already shown once
        self._status_task: asyncio.Task | None = None
        self._pending_problems: list[str] = []  # settings problems found before the client could be told
        self._running_jobs: list[str] = []  # titles of the optimisation jobs under way, oldest first

    # --- documents ----------------------------------------------------------------------------------
    def open_text(self, uri: str) -> tuple[int, str] | None:
        """The version and text of an open document; None for a document the client has not opened."""
        doc = self.workspace.text_documents.get(unquote(uri))
        if doc is None:
            return None
        return doc.version or 0, doc.source

    def state(self, uri: str) -> DocumentState | None:
        """The current version's state (parsed now if the rules have not run on it yet)."""
        opened = self.open_text(uri)
        if opened is None:
            return None
        version, text = opened
        state = self.documents.get(uri)
        if state is None or state.version != version or state.text != text:
            state = DocumentState(version, text, ParsedModule(text), self.position_map(text))
            self.documents[uri] = state
        return state

    def position_map(self, text: str) -> PositionMap:
        return PositionMap(text, str(self.workspace.position_encoding or "utf-16"))

    def lsp_range(self, positions: PositionMap, start: int, end: int) -> types.Range:
        return types.Range(types.Position(*positions.position(start)), types.Position(*positions.position(end)))

    def document_path(self, uri: str) -> Path | None:
        parsed = urlparse(uri)
        return Path(unquote(parsed.path)) if parsed.scheme == "file" else None

    # --- settings -----------------------------------------------------------------------------------
    def apply_settings(self, raw: Any) -> None:
        settings, problems = parse_settings(raw, self.workspace_root)
        for problem in problems:
            self.report_once(f"pyperf settings: {problem}", types.MessageType.Warning)
        previous, self.settings = self.settings, settings
        self._outcomes.clear()
        self._hover_cache.clear()
        if self.needs_models() and (not self.models.running or previous.model_host_key() != settings.model_host_key()):
            self.start_models()
        elif not self.needs_models():
            self.models.stop()
        if previous.diagnostics != settings.diagnostics:
            for uri in list(self.workspace.text_documents):
                self.schedule_analysis(uri, 0.0)

    def needs_models(self) -> bool:
        return self.settings.hover.enabled or self.settings.engines.llm

    def start_models(self) -> None:
        s = self.settings
        config = HostConfig(s.model_path, s.kb_path, s.embedder_path, s.preload_models, s.engines.llm)
        self.models.start(config, logging.getLogger().level)
        self._status_task = asyncio.get_running_loop().create_task(self.report_model_status(config))

    async def report_model_status(self, config: HostConfig) -> None:
        """Once the host has loaded what it could, say what it could not (one message each)."""
        loop = asyncio.get_running_loop()
        try:
            status = await loop.run_in_executor(self._models_thread, lambda: self.models.request(
                {"op": "status", "wait": True}, timeout_s=600.0, fresh=True))
        except (OSError, EOFError, TimeoutError) as exc:
            if self.models.config == config:
                self.report_once(f"pyperf: the model host did not start ({exc}); hovers show rule docs only",
                                 types.MessageType.Warning)
            return
        if self.models.config != config:
            return  # settings changed meanwhile: the new host reports for itself
        if status.get("kb_error"):
            self.report_once(f"pyperf: no suggestions from the knowledge base: {status['kb_error']}",
                             types.MessageType.Warning)
        if status.get("llm_error"):
            self.report_once(f"pyperf: the LLM is off, rules only: {status['llm_error']}", types.MessageType.Warning)
        log.info("model host: knowledge base %s, LLM %s", status.get("kb"), status.get("llm"))

    async def pull_configuration(self) -> None:
        """Ask the client for the ``pyperf`` section; keep what we have if it does not answer."""
        if not _capability(self.client_capabilities, "workspace", "configuration"):
            return
        try:
            result = await asyncio.wait_for(self.workspace_configuration_async(types.ConfigurationParams(
                items=[types.ConfigurationItem(section=SECTION)])), CONFIGURATION_TIMEOUT_S)
        except TimeoutError:
            self.report_once("pyperf: the client did not answer workspace/configuration; using "
                             "initializationOptions and defaults", types.MessageType.Log)
            return
        except Exception as exc:  # a client that answers with an error
            log.info("workspace/configuration failed: %s", exc)
            return
        value = result[0] if result else None
        if value is None:
            return
        merged = _merge(self.init_options, value)
        self.apply_settings(merged)

    def report_once(self, message: str, kind: types.MessageType) -> None:
        if message in self._reported:
            return
        self._reported.add(message)
        log.warning("%s", message) if kind != types.MessageType.Log else log.info("%s", message)
        if kind != types.MessageType.Log:
            self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    # --- diagnostics --------------------------------------------------------------------------------
    def schedule_analysis(self, uri: str, delay_s: float) -> None:
        task = self._analysis_tasks.pop(uri, None)
        if task is not None:
            task.cancel()
        self._analysis_tasks[uri] = asyncio.get_running_loop().create_task(self._analyse_later(uri, delay_s))

    async def _analyse_later(self, uri: str, delay_s: float) -> None:
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        state = self.state(uri)
        if state is None:
            return
        if not self.settings.diagnostics.enabled:
            self.publish(uri, state, [])
            return
        if state.analysis is None:
            max_lines = self.settings.diagnostics.max_lines
            state.analysis = await asyncio.get_running_loop().run_in_executor(
                self._rules_thread, analyse, state.text, max_lines, state.parsed.tree)
        current = self.state(uri)
        if current is None or current.version != state.version:
            return  # changed meanwhile: the next analysis publishes
        if state.analysis.problem:
            log.debug("%s: %s", uri, state.analysis.problem)
        self.publish(uri, state, self.diagnostics_of(state))

    def diagnostics_of(self, state: DocumentState) -> list[types.Diagnostic]:
        docs = rule_docs()
        described = _capability(self.client_capabilities, "text_document", "publish_diagnostics",
                                "code_description_support")
        diagnostics = []
        for index, finding in enumerate(state.analysis.findings if state.analysis else []):
            doc = docs.get(finding.code)
            href = doc.href if doc and described else ""
            diagnostics.append(types.Diagnostic(
                range=types.Range(types.Position(*state.positions.from_rule_position(finding.start)),
                                  types.Position(*state.positions.from_rule_position(finding.end))),
                message=finding.message,
                severity=types.DiagnosticSeverity.Information if finding.edits else types.DiagnosticSeverity.Hint,
                code=finding.code,
                code_description=types.CodeDescription(href=href) if href else None,
                source=SOURCE,
                data={"version": state.version, "index": index},
            ))
        return diagnostics

    def publish(self, uri: str, state: DocumentState | None, diagnostics: list[types.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics, version=state.version if state else None))

    # --- hover --------------------------------------------------------------------------------------
    async def hover_markdown(self, uri: str, line: int, character: int) -> str | None:
        state = self.state(uri)
        if state is None:
            return None
        offset = state.positions.offset(line, character)
        parts = []
        docs = rule_docs()
        for finding in state.analysis.findings if state.analysis else []:
            start = state.positions.offset(*state.positions.from_rule_position(finding.start))
            end = state.positions.offset(*state.positions.from_rule_position(finding.end))
            if start <= offset <= end and finding.code in docs:
                parts.append(rule_markdown(docs[finding.code], finding.message))
        span = state.parsed.hover_span(offset)
        if span is not None and self.settings.hover.enabled and self.settings.top_k > 0:
            hits = await self.suggestions(state.text[span[0]:span[1]])
            if hits:
                parts.insert(0, suggestions_markdown(hits))
        return "\n\n---\n\n".join(parts) or None

    async def suggestions(self, code: str) -> list[dict]:
        """The knowledge base's hits for ``code``; empty while the host is loading or busy."""
        key_hash = (hash(code), len(code), self.settings.top_k)
        if key_hash in self._hover_cache:
            self._hover_cache.move_to_end(key_hash)
            return self._hover_cache[key_hash]
        if not self.models.running:
            return []
        loop = asyncio.get_running_loop()
        try:
            answer = await loop.run_in_executor(self._models_thread, lambda: self.models.request(
                {"op": "suggest", "code": code, "k": self.settings.top_k}, timeout_s=HOVER_TIMEOUT_S))
        except (OSError, EOFError, TimeoutError) as exc:
            log.debug("no suggestions: %s", exc)
            return []
        if not answer.get("ready"):
            return []
        hits = answer.get("hits") or []
        self._hover_cache[key_hash] = hits
        if len(self._hover_cache) > HOVER_CACHE_SIZE:
            self._hover_cache.popitem(last=False)
        return hits

    # --- code actions -------------------------------------------------------------------------------
    def code_actions(self, params: types.CodeActionParams) -> tuple[list[types.CodeAction], DocumentState | None]:
        """Quick fixes for the findings in range and the two "Optimize for speed" actions, without edits."""
        uri = params.text_document.uri
        state = self.state(uri)
        if state is None:
            return [], None
        only = params.context.only
        start = state.positions.offset(params.range.start.line, params.range.start.character)
        end = state.positions.offset(params.range.end.line, params.range.end.character)
        actions: list[types.CodeAction] = []
        if _wanted(only, types.CodeActionKind.QuickFix) and state.analysis is not None:
            actions.extend(self.quick_fixes(uri, state, start, end, params.context.diagnostics))
        region = state.parsed.region_at(start, end)
        if _wanted(only, OPTIMIZE_KIND):
            actions.append(self.optimize_action(uri, state, region, OPTIMIZE_KIND))
        if _wanted(only, SOURCE_OPTIMIZE_KIND) and (region.kind != "program" or only):
            actions.append(self.optimize_action(uri, state, state.parsed.program(), SOURCE_OPTIMIZE_KIND))
        return actions, state

    def quick_fixes(self, uri: str, state: DocumentState, start: int, end: int,
                    context: list[types.Diagnostic]) -> list[types.CodeAction]:
        docs = rule_docs()
        fixes = []
        for index, finding in enumerate(state.analysis.findings):
            if not finding.edits:
                continue
            f_start = state.positions.offset(*state.positions.from_rule_position(finding.start))
            f_end = state.positions.offset(*state.positions.from_rule_position(finding.end))
            if f_end < start or f_start > end:
                continue
            edits = [types.TextEdit(self.lsp_range(state.positions, e.start, e.end), e.new_text)
                     for e in finding.edits]
            matching = [d for d in context if d.code == finding.code and isinstance(d.data, dict)
                        and d.data.get("index") == index]
            doc = docs.get(finding.code)
            fixes.append(types.CodeAction(
                title=f"{finding.code}: {doc.summary if doc else finding.message}",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=matching or None,
                edit=self.workspace_edit(uri, state.version, edits),
                is_preferred=True,
            ))
        return fixes

    def optimize_action(self, uri: str, state: DocumentState, region: Region, kind: str) -> types.CodeAction:
        label = f"{OPTIMIZE_TITLE} ({region.label})"
        data = {"uri": uri, "version": state.version, "kind": region.kind, "name": region.name}
        action = types.CodeAction(title=label, kind=kind, data=data)
        if state.parsed.error:
            action.data = None
            if _capability(self.client_capabilities, "text_document", "code_action", "disabled_support"):
                action.disabled = types.CodeActionDisabled(reason=state.parsed.error)
            else:
                action.title = f"{OPTIMIZE_TITLE}: unavailable, {state.parsed.error}"
        return action

    def resolves_edits(self) -> bool:
        """Whether the client fills in a code action's edit with codeAction/resolve (Emacs 29 does not)."""
        support = _capability(self.client_capabilities, "text_document", "code_action", "resolve_support")
        return bool(support and "edit" in (support.properties or []))

    async def optimize(self, action: types.CodeAction, work_done_token: types.ProgressToken | None = None) -> None:
        """Fill in ``action`` (title, edit) by running the optimizer on the version it was listed for."""
        data = action.data if isinstance(action.data, dict) else None
        if data is None or "uri" not in data:
            return
        uri, version = data["uri"], data.get("version")
        state = self.state(uri)
        if state is None:
            action.title = f"{OPTIMIZE_TITLE}: the document is closed"
            return
        if state.parsed.error:
            action.title = f"{OPTIMIZE_TITLE}: unavailable, {state.parsed.error}"
            return
        if state.version != version:
            # Edited since the action was listed (typing while the menu was open): optimise the current text
            # when the function is still there, rather than make the user ask again.
            if data.get("kind") == "function" and data.get("name") not in {n for n, _, _ in state.parsed.functions}:
                action.title = f"{OPTIMIZE_TITLE}: function {data.get('name')} is gone from the document"
                return
            log.info("%s: listed for version %s, optimising version %s", uri, version, state.version)
        key = (uri, state.version, data.get("kind"), data.get("name"), self.settings)
        outcome = self._outcomes.get(key)
        if outcome is None:
            outcome = await self.run_job(self.job_request(uri, state, data), data, work_done_token)
            if outcome.status not in ("timeout", "failed"):
                # Keep the outcomes of this version only: older versions can no longer get an edit.
                self._outcomes = {k: v for k, v in self._outcomes.items() if k[0] != uri or k[1] == state.version}
                self._outcomes[key] = outcome
        log.info("%s %s: %s in %.1f s %s", uri, data.get("name") or "program", outcome.status, outcome.seconds,
                 "; ".join(outcome.notes))
        now = self.state(uri)
        if now is None or now.version != state.version:
            action.title = f"{OPTIMIZE_TITLE}: the document changed while optimising; ask again"
            return
        action.title = title(outcome) if outcome.reason != "cancelled" else f"{OPTIMIZE_TITLE}: cancelled"
        if outcome.improved:
            edit = minimal_edit(state.text, outcome.code)
            if edit is not None:
                text_edit = types.TextEdit(self.lsp_range(state.positions, edit[0], edit[1]), edit[2])
                action.edit = self.workspace_edit(uri, state.version, [text_edit])

    def job_request(self, uri: str, state: DocumentState, data: dict) -> JobRequest:
        s = self.settings
        common = dict(engines=s.engines, top_k=s.top_k, time_budget_s=s.verification.time_budget_s,
                      host=self.models.address if self.models.running else None)
        if data.get("kind") == "function" and data.get("name"):
            return JobRequest("function", state.text, name=data["name"], **common)
        inputs = program_inputs(self.document_path(uri), state.parsed.tree, state.text,
                                s.verification.input_files, s.verification.sibling_inputs, self.workspace_root)
        return JobRequest("program", state.text, inputs=inputs, **common)

    async def run_job(self, request: JobRequest, data: dict, token: types.ProgressToken | None) -> JobOutcome:
        """Run the job with progress reports; a progress cancel stops it, $/cancelRequest too (re-raised)."""
        if not request.engines.any:
            return JobOutcome("no_candidates", "every engine is off (pyperf.engines)")
        job_title = f"{OPTIMIZE_TITLE}: {data.get('name') or 'program'}"
        progress = await self.begin_progress(token, job_title)
        self.job_status(job_title, running=True)
        job = asyncio.ensure_future(self.jobs.run(request, lambda message: self.report_progress(progress, message)))
        cancelled_by_progress = False
        if progress is not None and (future := self.work_done_progress.tokens.get(progress)) is not None:
            def on_cancel(f) -> None:
                nonlocal cancelled_by_progress
                if f.cancelled():
                    cancelled_by_progress = True
                    job.cancel()
            future.add_done_callback(on_cancel)
        try:
            return await job
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if cancelled_by_progress and task is not None and not task.cancelling():
                return JobOutcome("failed", "cancelled")
            raise
        finally:
            self.job_status(job_title, running=False)
            if progress is not None:
                self.work_done_progress.end(progress, types.WorkDoneProgressEnd(message="done"))
                self.work_done_progress.tokens.pop(progress, None)

    def job_status(self, job_title: str, running: bool) -> None:
        """Send ``pyperf/status``: "working" on the latest job still running, "ready" once none is.

        Progress reports belong to one request each; this says what the server as a whole is busy with (the VS
        Code extension's status bar). Clients that do not know the method ignore it.
        """
        if running:
            self._running_jobs.append(job_title)
        elif job_title in self._running_jobs:
            self._running_jobs.remove(job_title)
        jobs = self._running_jobs
        self.protocol.notify(STATUS_NOTIFICATION, {"state": "working" if jobs else "ready",
                                                   "job": jobs[-1] if jobs else None})

    async def begin_progress(self, token: types.ProgressToken | None, title_text: str) -> types.ProgressToken | None:
        if token is None:
            if not _capability(self.client_capabilities, "window", "work_done_progress"):
                return None
            token = f"pyperf-{uuid.uuid4()}"
            try:
                await asyncio.wait_for(self.work_done_progress.create_async(token), CONFIGURATION_TIMEOUT_S)
            except Exception as exc:  # no answer, or an error: go on without progress
                log.debug("no progress: %s", exc)
                return None
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title=title_text, cancellable=True, message="starting"))
        return token

    def report_progress(self, token: types.ProgressToken | None, message: str) -> None:
        if token is not None:
            self.work_done_progress.report(token, types.WorkDoneProgressReport(message=message))

    def workspace_edit(self, uri: str, version: int, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
        """A versioned edit where the client takes one (it rejects it for any other version), else a plain one."""
        if _capability(self.client_capabilities, "workspace", "workspace_edit", "document_changes"):
            return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                edits=edits)])
        return types.WorkspaceEdit(changes={uri: edits})

    # --- lifetime -----------------------------------------------------------------------------------
    def stop_workers(self) -> None:
        self.jobs.kill_all()
        self.models.stop()

    def shutdown(self) -> None:
        self.stop_workers()
        self._rules_thread.shutdown(wait=False, cancel_futures=True)
        self._models_thread.shutdown(wait=False, cancel_futures=True)
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


def _capability(capabilities: Any, *path: str) -> Any:
    value = capabilities
    for name in path:
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


def _wanted(only: list[str] | None, kind: str) -> bool:
    return not only or any(kind == o or kind.startswith(f"{o}.") for o in only)


def _merge(base: Any, override: Any) -> Any:
    """``override`` laid over ``base`` (initializationOptions under workspace/configuration), key by key."""
    if isinstance(base, dict) and isinstance(base.get(SECTION), dict):
        base = base[SECTION]
    if not isinstance(base, dict) or not isinstance(override, dict):
        return override if override is not None else base
    merged = dict(base)
    for key, value in override.items():
        merged[key] = _merge(base.get(key), value) if isinstance(value, dict) else value
    return merged


def create_server() -> PerfLanguageServer:
    server = PerfLanguageServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: PerfLanguageServer, params: types.InitializeParams) -> None:
        folders = params.workspace_folders or []
        root = folders[0].uri if folders else params.root_uri
        ls.workspace_root = ls.document_path(root) if root else None
        ls.init_options = params.initialization_options
        settings, problems = parse_settings(params.initialization_options, ls.workspace_root)
        ls.settings = settings
        ls._pending_problems = problems

    @server.feature(types.INITIALIZED)
    async def initialized(ls: PerfLanguageServer, params: types.InitializedParams) -> None:
        log.addHandler(ClientLogHandler(ls, asyncio.get_running_loop()))
        for problem in ls._pending_problems:
            ls.report_once(f"pyperf settings: {problem}", types.MessageType.Warning)
        await ls.pull_configuration()
        if ls.needs_models() and not ls.models.running:
            ls.start_models()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: PerfLanguageServer, params: types.DidChangeConfigurationParams) -> None:
        pushed = params.settings.get(SECTION) if isinstance(params.settings, dict) else None
        if _capability(ls.client_capabilities, "workspace", "configuration"):
            await ls.pull_configuration()
        elif pushed is not None:
            ls.apply_settings(_merge(ls.init_options, pushed))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PerfLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule_analysis(params.text_document.uri, 0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PerfLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule_analysis(params.text_document.uri, ls.settings.diagnostics.debounce_ms / 1000)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PerfLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        task = ls._analysis_tasks.pop(uri, None)
        if task is not None:
            task.cancel()
        ls.documents.pop(uri, None)
        ls._outcomes = {k: v for k, v in ls._outcomes.items() if k[0] != uri}
        ls.publish(uri, None, [])

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: PerfLanguageServer, params: types.HoverParams) -> types.Hover | None:
        markdown = await ls.hover_markdown(params.text_document.uri, params.position.line, params.position.character)
        if markdown is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.RefactorRewrite, OPTIMIZE_KIND,
                           types.CodeActionKind.Source, SOURCE_OPTIMIZE_KIND],
        resolve_provider=True))
    async def code_action(ls: PerfLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        actions, state = ls.code_actions(params)
        if state is None or ls.resolves_edits():
            return actions
        # Eager fallback for clients that cannot resolve an edit: compute it now when the user asked for the
        # actions; when the client asked on its own (cursor moves), or for the whole file without asking for
        # source actions, offer a command that computes and applies the edit when chosen.
        automatic = params.context.trigger_kind == types.CodeActionTriggerKind.Automatic
        for action in actions:
            if action.kind not in (OPTIMIZE_KIND, SOURCE_OPTIMIZE_KIND) or action.data is None:
                continue
            if automatic or (action.kind == SOURCE_OPTIMIZE_KIND and not params.context.only):
                action.command = types.Command(title=action.title, command=OPTIMIZE_COMMAND, arguments=[action.data])
            else:
                await ls.optimize(action, params.work_done_token)
            action.data = None
        return actions

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: PerfLanguageServer, action: types.CodeAction) -> types.CodeAction:
        await ls.optimize(action)
        if action.edit is None and isinstance(action.data, dict):
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=action.title))
        return action

    @server.command(OPTIMIZE_COMMAND)
    async def optimize_command(ls: PerfLanguageServer, data: dict) -> None:
        action = types.CodeAction(title=OPTIMIZE_TITLE, data=data)
        await ls.optimize(action)
        if action.edit is None:
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=action.title))
            return
        await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=action.edit, label=action.title))

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: PerfLanguageServer, params: None) -> None:
        ls.shutdown_requested = True
        ls.stop_workers()

    return server


__all__ = ["OPTIMIZE_COMMAND", "OPTIMIZE_KIND", "SOURCE_OPTIMIZE_KIND", "STATUS_NOTIFICATION", "PerfLanguageServer",
           "create_server"]
