"""Diagnostics scheduling: the rules run on a document some milliseconds after its last change (debounced per
document), in a thread of their own, and their findings are published for the version they ran on only."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from server.diagnostics import SOURCE, analyse, rule_docs
from server.lsp_documents import DocumentState, document_state, document_state_off_loop

if TYPE_CHECKING:
    from server.lsp import PerfLanguageServer

log = logging.getLogger("server")


def schedule_analysis(ls: PerfLanguageServer, uri: str, delay_s: float) -> None:
    """Analyse ``uri`` after ``delay_s``, replacing an analysis already scheduled for it."""
    forget(ls, uri)
    ls.analysis_tasks[uri] = asyncio.get_running_loop().create_task(_analyse_later(ls, uri, delay_s))


def forget(ls: PerfLanguageServer, uri: str) -> None:
    """Cancel the analysis scheduled for ``uri``, if any."""
    task = ls.analysis_tasks.pop(uri, None)
    if task is not None:
        task.cancel()


async def _analyse_later(ls: PerfLanguageServer, uri: str, delay_s: float) -> None:
    if delay_s > 0:
        await asyncio.sleep(delay_s)
    state = await document_state_off_loop(ls, uri)
    if state is None:
        return
    if not ls.settings.diagnostics.enabled:
        publish(ls, uri, state, [])
        return
    if state.analysis is None:
        max_lines = ls.settings.diagnostics.max_lines
        state.analysis = await asyncio.get_running_loop().run_in_executor(
            ls.rules_thread, analyse, state.text, max_lines, state.parsed.tree)
    current = document_state(ls, uri)
    if current is None or current.version != state.version:
        return  # changed meanwhile: the next analysis publishes
    if state.analysis.problem:
        log.debug("%s: %s", uri, state.analysis.problem)
    publish(ls, uri, state, diagnostics_of(ls, state))


def diagnostics_of(ls: PerfLanguageServer, state: DocumentState) -> list[types.Diagnostic]:
    docs = rule_docs()
    described = ls.capability("text_document", "publish_diagnostics", "code_description_support")
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


def publish(ls: PerfLanguageServer, uri: str, state: DocumentState | None,
            diagnostics: list[types.Diagnostic]) -> None:
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
        uri=uri, diagnostics=diagnostics, version=state.version if state else None))
