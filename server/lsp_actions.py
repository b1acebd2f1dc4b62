"""Code actions: quick fixes for the rules' findings, and "Optimize for speed" on the function or block at the
cursor or on the whole file.

Listing is cheap: no action carries an edit, which ``codeAction/resolve`` computes by running a job (ruff-lsp's
pattern). For "Optimize for speed" the job generates and verifies candidates; for a quick fix it verifies that
one rule's fix like a candidate, and ``diagnostics.fix_offer`` decides how it is offered (preferred only when
verified faster). Clients that cannot resolve an edit get the optimize edit computed eagerly when the user asked
for the actions, or a command that computes and applies it when chosen; their quick fixes come unverified with
their edit, for safe rules only. No source action applies quick fixes: "Optimize for speed" on the file offers
only what it verified.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from lsprotocol import types

from optimizer.candidates import Engines
from optimizer.rules import Finding, apply_edits
from server.diagnostics import fix_offer, rule_docs
from server.edits import minimal_edit
from server.inputs import find_input_files, program_inputs, reads_stdin
from server.jobs import JobOutcome, JobRequest, title
from server.lsp_documents import DocumentState, document_path, document_state, lsp_range
from server.lsp_progress import run_job
from server.regions import Region

if TYPE_CHECKING:
    from server.lsp import PerfLanguageServer

log = logging.getLogger("server")
OPTIMIZE_KIND = "refactor.rewrite.pyperf"  # "Optimize for speed" on the function or block at the cursor
SOURCE_OPTIMIZE_KIND = "source.pyperf"  # "Optimize for speed" on the whole file
OPTIMIZE_COMMAND = "pyperf.optimize"  # the same, run as a command that applies its edit itself
OPTIMIZE_TITLE = "Optimize for speed"
FIX_ONLY = Engines(rules=True, llm=False, retrieval=False)  # a quick fix's job verifies the fix, generates nothing
ACTION_KINDS = [types.CodeActionKind.QuickFix, types.CodeActionKind.RefactorRewrite, OPTIMIZE_KIND,
                types.CodeActionKind.Source, SOURCE_OPTIMIZE_KIND]


async def list_actions(ls: PerfLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """The actions for ``params``, with edits left to resolve where the client resolves them."""
    actions, state = code_actions(ls, params)
    if state is None or resolves_edits(ls):
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
            action.data = None
        else:
            await optimize(ls, action, params.work_done_token)
            # Nothing left to resolve; what stays is the report, for clients that show it.
            action.data = {"details": action.data["details"]} if "details" in action.data else None
    return actions


def code_actions(ls: PerfLanguageServer,
                 params: types.CodeActionParams) -> tuple[list[types.CodeAction], DocumentState | None]:
    """Quick fixes for the findings in range and the two "Optimize for speed" actions, without edits."""
    uri = params.text_document.uri
    state = document_state(ls, uri)
    if state is None:
        return [], None
    only = params.context.only
    start = state.positions.offset(params.range.start.line, params.range.start.character)
    end = state.positions.offset(params.range.end.line, params.range.end.character)
    actions: list[types.CodeAction] = []
    if _wanted(only, types.CodeActionKind.QuickFix) and state.analysis is not None:
        actions.extend(quick_fixes(ls, uri, state, start, end, params.context.diagnostics))
    region = state.parsed.region_at(start, end)
    if _wanted(only, OPTIMIZE_KIND):
        actions.append(optimize_action(ls, uri, state, region, OPTIMIZE_KIND))
    if _wanted(only, SOURCE_OPTIMIZE_KIND) and (region.kind != "program" or only):
        actions.append(optimize_action(ls, uri, state, state.parsed.program(), SOURCE_OPTIMIZE_KIND))
    return actions, state


def quick_fixes(ls: PerfLanguageServer, uri: str, state: DocumentState, start: int, end: int,
                context: list[types.Diagnostic]) -> list[types.CodeAction]:
    """A quick fix per finding with edits in [start, end], none preferred: their edits come verified in
    ``resolve_fix``. Unsafe rules' fixes that cannot be verified (a stdin program without input files) are left
    out; so are all unsafe rules' fixes for a client that cannot resolve, whose safe ones come "(unverified)"."""
    docs = rule_docs()
    resolving = resolves_edits(ls)
    fixes = []
    for index, finding in enumerate(state.analysis.findings if state.analysis else []):
        doc = docs.get(finding.code)
        if not finding.edits or doc is None:
            continue
        f_start, f_end = _finding_span(state, finding)
        if f_end < start or f_start > end:
            continue
        matching = [d for d in context if d.code == finding.code and isinstance(d.data, dict)
                    and d.data.get("index") == index]
        action = types.CodeAction(title=f"{finding.code}: {doc.summary}", kind=types.CodeActionKind.QuickFix,
                                  diagnostics=matching or None, is_preferred=False)
        if resolving:
            if doc.safety != "safe" and not _verifiable(ls, uri, state, _fix_region(ls, uri, state, f_start, f_end)):
                continue
            action.data = {"uri": uri, "version": state.version, "fix": finding.code, "index": index}
        else:
            offer = fix_offer(doc, None)
            if not offer.offered:
                continue
            action.title = offer.title
            action.edit = workspace_edit(ls, uri, state.version, _text_edits(state, finding))
        fixes.append(action)
    return fixes


async def resolve_fix(ls: PerfLanguageServer, action: types.CodeAction,
                      work_done_token: types.ProgressToken | None = None) -> None:
    """Fill in a quick fix (title, edit, preference) by verifying its rule's fix on the version it was listed for.

    A fix is an edit of one version's text: listed for another, it is refused rather than re-targeted.
    """
    data = action.data if isinstance(action.data, dict) else {}
    code, uri = data.get("fix"), data.get("uri", "")
    state = document_state(ls, uri)
    if state is None:
        action.title = f"{code}: the document is closed"
        return
    if state.version != data.get("version"):
        action.title = f"{code}: the document changed since this fix was listed; ask again"
        return
    finding = _finding(state, data)
    doc = rule_docs().get(str(code))
    if finding is None or doc is None:
        action.title = f"{code}: the finding is gone from the document; ask again"
        return
    region = _fix_region(ls, uri, state, *_finding_span(state, finding))
    rewrite = apply_edits(state.text, finding.edits)

    def request() -> JobRequest:
        target = {"kind": region.kind, "name": region.name}
        return replace(job_request(ls, uri, state, target), engines=FIX_ONLY, rewrite=rewrite,
                       rewrite_rules=(str(code),))

    outcome = None  # a stdin program without input files: nothing to verify on, no job to start
    if _verifiable(ls, uri, state, region):
        key = (uri, state.version, "fix", data.get("index"), ls.settings)
        outcome = await _outcome(ls, key, request, f"Verify {code}", work_done_token)
    now = document_state(ls, uri)
    if now is None or now.version != state.version:
        action.title = f"{code}: the document changed while verifying; ask again"
        return
    if outcome is not None and outcome.reason == "cancelled":
        action.title = f"{code}: cancelled"
        return
    offer = fix_offer(doc, outcome)
    action.title, action.is_preferred = offer.title, offer.preferred
    if offer.offered:
        action.edit = workspace_edit(ls, uri, state.version, _text_edits(state, finding))


def _finding(state: DocumentState, data: dict) -> Finding | None:
    """The finding ``data`` names in this version's analysis, if it is still the same rule's."""
    findings = state.analysis.findings if state.analysis else []
    index = data.get("index")
    if not isinstance(index, int) or not 0 <= index < len(findings) or findings[index].code != data.get("fix"):
        return None
    return findings[index]


def _finding_span(state: DocumentState, finding: Finding) -> tuple[int, int]:
    return (state.positions.offset(*state.positions.from_rule_position(finding.start)),
            state.positions.offset(*state.positions.from_rule_position(finding.end)))


def _text_edits(state: DocumentState, finding: Finding) -> list[types.TextEdit]:
    return [types.TextEdit(lsp_range(state.positions, e.start, e.end), e.new_text) for e in finding.edits]


def _fix_region(ls: PerfLanguageServer, uri: str, state: DocumentState, start: int, end: int) -> Region:
    """What a fix is verified on: the program on its stdin inputs when it reads stdin and has input files,
    else what "Optimize for speed" would verify at the finding (its function's calls, or the program)."""
    region = state.parsed.region_at(start, end)
    if region.kind == "function" and reads_stdin(state.parsed.tree, state.text) and _input_files(ls, uri):
        return state.parsed.program()
    return region


def _verifiable(ls: PerfLanguageServer, uri: str, state: DocumentState, region: Region) -> bool:
    """Whether verification may have inputs, told without running anything: a stdin program needs input files;
    a function's calls (doctests, call sites, type hints) are only known to the job."""
    return region.kind != "program" or not reads_stdin(state.parsed.tree, state.text) or bool(_input_files(ls, uri))


def _input_files(ls: PerfLanguageServer, uri: str) -> list:
    s = ls.settings.verification
    return find_input_files(document_path(uri), s.input_files, s.sibling_inputs, ls.workspace_root)


def optimize_action(ls: PerfLanguageServer, uri: str, state: DocumentState, region: Region,
                    kind: str) -> types.CodeAction:
    label = f"{OPTIMIZE_TITLE} ({region.label})"
    data = {"uri": uri, "version": state.version, "kind": region.kind, "name": region.name}
    action = types.CodeAction(title=label, kind=kind, data=data)
    if state.parsed.error:
        action.data = None
        if ls.capability("text_document", "code_action", "disabled_support"):
            action.disabled = types.CodeActionDisabled(reason=state.parsed.error)
        else:
            action.title = f"{OPTIMIZE_TITLE}: unavailable, {state.parsed.error}"
    return action


def resolves_edits(ls: PerfLanguageServer) -> bool:
    """Whether the client fills in a code action's edit with codeAction/resolve (Emacs 29 does not)."""
    support = ls.capability("text_document", "code_action", "resolve_support")
    return bool(support and "edit" in (support.properties or []))


async def optimize(ls: PerfLanguageServer, action: types.CodeAction,
                   work_done_token: types.ProgressToken | None = None) -> None:
    """Fill in ``action`` (title, edit) by running the optimizer on the version it was listed for."""
    data = action.data if isinstance(action.data, dict) else None
    if data is None or "uri" not in data:
        return
    uri, version = data["uri"], data.get("version")
    state = document_state(ls, uri)
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
    key = (uri, state.version, data.get("kind"), data.get("name"), ls.settings)
    path = document_path(uri)
    job_title = f"{OPTIMIZE_TITLE}: {' '.join(filter(None, (path.name if path else '', data.get('name'))))}"
    outcome = await _outcome(ls, key, lambda: job_request(ls, uri, state, data), job_title, work_done_token)
    now = document_state(ls, uri)
    if now is None or now.version != state.version:
        action.title = f"{OPTIMIZE_TITLE}: the document changed while optimising; ask again"
        return
    action.title = title(outcome) if outcome.reason != "cancelled" else f"{OPTIMIZE_TITLE}: cancelled"
    if outcome.details:  # the report behind the client's "Show details" (vscode-extension/src/details.ts)
        action.data = {**data, "details": outcome.details}
    if outcome.improved:
        edit = minimal_edit(state.text, outcome.code)
        if edit is not None:
            text_edit = types.TextEdit(lsp_range(state.positions, edit[0], edit[1]), edit[2])
            action.edit = workspace_edit(ls, uri, state.version, [text_edit])


async def _outcome(ls: PerfLanguageServer, key: tuple, request: Callable[[], JobRequest], job_title: str,
                   work_done_token: types.ProgressToken | None) -> JobOutcome:
    """The job's outcome for ``key`` (uri, version, what, settings): remembered, or run now."""
    outcome = ls.outcomes.get(key)
    if outcome is None:
        outcome = await run_job(ls, request(), job_title, work_done_token)
        if outcome.status not in ("timeout", "failed"):
            # Keep the outcomes of this version only: older versions can no longer get an edit.
            ls.outcomes = {k: v for k, v in ls.outcomes.items() if k[0] != key[0] or k[1] == key[1]}
            ls.outcomes[key] = outcome
    log.info("%s: %s in %.1f s %s", job_title, outcome.status, outcome.seconds, "; ".join(outcome.notes))
    return outcome


def job_request(ls: PerfLanguageServer, uri: str, state: DocumentState, data: dict) -> JobRequest:
    s = ls.settings
    common = dict(top_k=s.top_k, time_budget_s=s.verification.time_budget_s,
                  host=ls.models.address if ls.models.running else None, python=s.interpreter,
                  endpoint=s.model.endpoint.endpoint(), derived_inputs=s.verification.derived_inputs)
    if data.get("kind") == "function" and data.get("name"):
        # A function or method of a project: its package is imported, and its tests run, from the workspace.
        path = document_path(uri)
        workspace = ls.workspace_root or (path.parent if path else None)
        return JobRequest("function", state.text, s.engines, name=data["name"], path=str(path) if path else None,
                          workspace=str(workspace) if workspace else None, **common)
    path = document_path(uri)
    inputs = program_inputs(path, state.parsed.tree, state.text, s.verification.input_files,
                            s.verification.sibling_inputs, ls.workspace_root)
    return JobRequest("program", state.text, s.engines, inputs=inputs, path=str(path) if path else None, **common)


def workspace_edit(ls: PerfLanguageServer, uri: str, version: int, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    """A versioned edit where the client takes one (it rejects it for any other version), else a plain one."""
    if ls.capability("workspace", "workspace_edit", "document_changes"):
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
            edits=edits)])
    return types.WorkspaceEdit(changes={uri: edits})


async def resolve_action(ls: PerfLanguageServer, action: types.CodeAction) -> types.CodeAction:
    """codeAction/resolve: verify a quick fix, or run the optimizer; without an edit to offer, say why."""
    if isinstance(action.data, dict) and "fix" in action.data:
        await resolve_fix(ls, action)
    else:
        await optimize(ls, action)
    if action.edit is None and isinstance(action.data, dict):
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=action.title))
    return action


async def optimize_command(ls: PerfLanguageServer, data: dict) -> dict:
    """The ``pyperf.optimize`` command: run the optimizer and apply its edit, or say why there is none.

    Its result (and ``data``, the command's first argument, filled in) holds the title and the report."""
    action = types.CodeAction(title=OPTIMIZE_TITLE, data=data)
    await optimize(ls, action)
    if isinstance(action.data, dict) and "details" in action.data:
        data["details"] = action.data["details"]
    if action.edit is None:
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=action.title))
    else:
        await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=action.edit, label=action.title))
    return {"title": action.title, "details": data.get("details", "")}


def _wanted(only: list[str] | None, kind: str) -> bool:
    return not only or any(kind == o or kind.startswith(f"{o}.") for o in only)
