"""Code actions: cheap listing, quick fixes, "Optimize for speed" resolved (or eager for Emacs), progress,
cancellation, stale versions, closed documents and code that does not parse."""

from __future__ import annotations

import asyncio
import re
import time

import pytest
import pytest_lsp
from lsp_support import (
    CLIENTS,
    SLOW_FUNCTION_MODULE,
    SLOW_PROGRAM,
    code_action_params,
    edited_text,
    initialize_params,
    open_document,
    replace_text,
    resolves,
    server_config,
    wait_for,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

from server.lsp import OPTIMIZE_KIND, SOURCE_OPTIMIZE_KIND
from server.processes import descendants

# Enough lines that the buffered-input rewrite is measurably faster than the noise.
BIG_INPUT = "60000\n" + "".join(f"{i % 97}\n" for i in range(60000))
# Sleeps in every run: a job on it is still running when the test cancels it.
SLEEPY_PROGRAM = "import time\ntime.sleep(30)\n" + SLOW_PROGRAM


@pytest_lsp.fixture(config=server_config(), params=CLIENTS)
async def client(lsp_client: LanguageClient, request, tmp_path):
    await lsp_client.initialize_session(initialize_params(request.param, tmp_path))
    yield
    await lsp_client.shutdown_session()


def optimize_action(actions, kind: str = OPTIMIZE_KIND) -> types.CodeAction:
    return next(a for a in actions if a.kind == kind)


async def optimize(client: LanguageClient, uri: str, line: int, kind: str = OPTIMIZE_KIND) -> types.CodeAction:
    """The "Optimize for speed" action at ``line``, resolved the way the client would get its edit."""
    only = [kind] if kind == SOURCE_OPTIMIZE_KIND else None
    actions = await client.text_document_code_action_async(code_action_params(uri, line, only=only))
    action = optimize_action(actions, kind)
    if resolves(client):
        assert action.edit is None and action.data is not None
        return await client.code_action_resolve_async(action)
    return action  # Emacs: computed eagerly in the listing


@pytest.mark.asyncio
async def test_listing_is_cheap_and_names_the_region(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "mod.py", SLOW_FUNCTION_MODULE)
    started = time.perf_counter()
    actions = await client.text_document_code_action_async(
        code_action_params(uri, 7, trigger=types.CodeActionTriggerKind.Automatic))
    assert time.perf_counter() - started < 2.0
    action = next(a for a in actions if a.title == "Optimize for speed (function read_all)")
    if resolves(client):
        assert action.kind == OPTIMIZE_KIND and action.edit is None
    else:  # automatic trigger: computed only when chosen (lsprotocol reads such an action as a Command)
        assert "pyperf.optimize" in str(action.command)
    assert not _alive(descendants(client._server.pid))  # listing never started a job


@pytest.mark.asyncio
async def test_quick_fix_applies_one_rule(client: LanguageClient, tmp_path):
    (tmp_path / "input1.txt").write_text("3\n1\n2\n3\n")  # PERF101 is unsafe: offered only once verified
    uri = open_document(client, tmp_path / "slow.py", SLOW_PROGRAM)
    diagnostics = await wait_for(lambda: client.diagnostics.get(uri))
    unused = next(d for d in diagnostics if d.code == "PERF101")
    actions = await client.text_document_code_action_async(
        code_action_params(uri, 0, 3, only=[types.CodeActionKind.QuickFix], diagnostics=[unused]))
    fixes = [a for a in actions if a.title.startswith("PERF101")]
    if not resolves(client):
        assert not fixes  # no resolve, no verification: an unsafe rule's fix is not offered
        return
    [fix] = fixes
    assert fix.kind == types.CodeActionKind.QuickFix and fix.edit is None and not fix.is_preferred
    assert list(fix.diagnostics) == [unused]
    fix = await client.code_action_resolve_async(fix)
    assert "verified" in fix.title, fix.title
    assert edited_text(SLOW_PROGRAM, fix.edit) == SLOW_PROGRAM.replace("import os\n", "")


@pytest.mark.asyncio
async def test_optimize_program_verified_on_sibling_inputs(client: LanguageClient, tmp_path):
    (tmp_path / "input1.txt").write_text(BIG_INPUT)
    (tmp_path / "input2.txt").write_text("3\n1\n2\n3\n")
    uri = open_document(client, tmp_path / "slow.py", SLOW_PROGRAM)
    action = await optimize(client, uri, 2)
    assert action.title.startswith("Optimize for speed: "), action.title
    assert "x faster. Verified on input1.txt, input2.txt (2 inputs); " in action.title, action.title
    assert re.search(r"; rules? PERF\d+(, PERF\d+)* applied$", action.title), action.title
    # The report behind "Show details" (resolved, or computed eagerly): the diff, each input's timing, the rules.
    report = action.data["details"]
    assert "```diff" in report and "+++ slow.py (after)" in report and "sys.stdin.readline" in report
    assert "| input1.txt |" in report and "| input2.txt |" in report and "### Rules applied" in report
    assert "### Candidates tried" in report and "### Evidence" in report
    new_text = edited_text(SLOW_PROGRAM, action.edit)
    assert "sys.stdin.readline" in new_text
    if client.capabilities.workspace.workspace_edit.document_changes:
        assert action.edit.document_changes[0].text_document.version == 1
    tokens = list(client.progress_reports)
    if client.capabilities.window.work_done_progress:
        assert tokens, "no progress reported"
        kinds = [type(p).__name__ for p in client.progress_reports[tokens[-1]]]
        assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"


@pytest.mark.asyncio
async def test_without_inputs_nothing_is_claimed(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "slow.py", SLOW_PROGRAM)
    action = await optimize(client, uri, 2, SOURCE_OPTIMIZE_KIND)
    assert "unverified" in action.title and "faster" not in action.title, action.title
    assert action.edit is None


@pytest.mark.asyncio
async def test_the_optimize_command_answers_with_the_title_and_the_report(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "slow.py", SLOW_PROGRAM)
    data = {"uri": uri, "version": 1, "kind": "program", "name": None}
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="pyperf.optimize", arguments=[data]))
    assert result["title"].startswith("Optimize for speed: unverified, no edit offered"), result
    assert result["details"].startswith("## Optimize for speed: unverified") and "### Candidates tried" in \
        result["details"], result["details"]


@pytest.mark.asyncio
async def test_function_without_candidates_says_so(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "mod.py", SLOW_FUNCTION_MODULE)
    action = await optimize(client, uri, 7)
    assert action.title.startswith("Optimize for speed: no verified speedup"), action.title
    assert action.edit is None


@pytest.mark.asyncio
async def test_resolve_after_an_edit_optimises_the_current_version(client: LanguageClient, tmp_path):
    if not resolves(client):
        pytest.skip("the eager fallback computes the edit in the listing: no version can intervene")
    (tmp_path / "input1.txt").write_text(BIG_INPUT)
    uri = open_document(client, tmp_path / "slow.py", SLOW_PROGRAM)
    actions = await client.text_document_code_action_async(code_action_params(uri, 2))
    replace_text(client, uri, SLOW_PROGRAM + "# edited\n", 2)
    action = await client.code_action_resolve_async(optimize_action(actions))
    assert action.edit is not None, action.title
    if action.edit.document_changes:  # clients without versioned edits get plain ones
        assert action.edit.document_changes[0].text_document.version == 2
    assert "# edited" in edited_text(SLOW_PROGRAM + "# edited\n", action.edit)


@pytest.mark.asyncio
async def test_resolve_for_a_function_deleted_since_gets_no_edit(client: LanguageClient, tmp_path):
    if not resolves(client):
        pytest.skip("the eager fallback computes the edit in the listing: no version can intervene")
    uri = open_document(client, tmp_path / "mod.py", SLOW_FUNCTION_MODULE)
    actions = await client.text_document_code_action_async(code_action_params(uri, 2))
    action = optimize_action(actions)
    assert action.data["kind"] == "function", action.data
    replace_text(client, uri, "x = 1\n", 2)
    action = await client.code_action_resolve_async(action)
    assert action.edit is None
    assert "is gone" in action.title, action.title


@pytest.mark.asyncio
async def test_edits_during_a_resolve_drop_its_edit(client: LanguageClient, tmp_path):
    if not resolves(client):
        pytest.skip("needs codeAction/resolve")
    (tmp_path / "input1.txt").write_text(BIG_INPUT)
    uri = open_document(client, tmp_path / "slow.py", SLOW_PROGRAM)
    actions = await client.text_document_code_action_async(code_action_params(uri, 2))
    resolving = asyncio.ensure_future(client.code_action_resolve_async(optimize_action(actions)))
    await wait_for(lambda: descendants(client._server.pid), timeout_s=30)  # the job has started
    for version in range(2, 200):  # a flood of edits while the job runs
        replace_text(client, uri, SLOW_PROGRAM + f"# edit {version}\n", version)
        await asyncio.sleep(0.005)
    action = await resolving
    assert action.edit is None and "changed while optimising" in action.title, action.title
    assert client.diagnostics.get(uri) is not None


@pytest.mark.asyncio
async def test_cancel_request_kills_the_job(client: LanguageClient, tmp_path):
    if not resolves(client):
        pytest.skip("needs codeAction/resolve")
    (tmp_path / "input1.txt").write_text("3\n1\n2\n3\n")
    uri = open_document(client, tmp_path / "sleepy.py", SLEEPY_PROGRAM)
    actions = await client.text_document_code_action_async(code_action_params(uri, 4))
    request = asyncio.ensure_future(client.protocol.send_request_async(
        types.CODE_ACTION_RESOLVE, optimize_action(actions), msg_id="resolve-to-cancel"))
    await wait_for(lambda: len(_alive(descendants(client._server.pid))) >= 3, timeout_s=30)  # job, zygote, run
    running = descendants(client._server.pid)
    client.protocol.notify("$/cancelRequest", types.CancelParams(id="resolve-to-cancel"))
    with pytest.raises(Exception, match="cancel"):
        await request
    await wait_for(lambda: not _alive(running), timeout_s=10)


@pytest.mark.asyncio
async def test_progress_cancel_kills_the_job(client: LanguageClient, tmp_path):
    if not resolves(client) or not client.capabilities.window.work_done_progress:
        pytest.skip("needs codeAction/resolve and work done progress")
    (tmp_path / "input1.txt").write_text("3\n1\n2\n3\n")
    uri = open_document(client, tmp_path / "sleepy.py", SLEEPY_PROGRAM)
    actions = await client.text_document_code_action_async(code_action_params(uri, 4))
    resolving = asyncio.ensure_future(client.code_action_resolve_async(optimize_action(actions)))
    await wait_for(lambda: len(_alive(descendants(client._server.pid))) >= 3, timeout_s=30)
    running = descendants(client._server.pid)
    token = next(iter(client.progress_reports))
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    action = await resolving
    assert action.title == "Optimize for speed: cancelled" and action.edit is None
    await wait_for(lambda: not _alive(running), timeout_s=10)


@pytest.mark.asyncio
async def test_closed_and_unparsable_documents(client: LanguageClient, tmp_path):
    closed = (tmp_path / "never_opened.py")
    closed.write_text(SLOW_PROGRAM)
    assert not await client.text_document_code_action_async(code_action_params(closed.as_uri(), 1))
    uri = open_document(client, tmp_path / "broken.py", "def f(:\n    pass\n")
    actions = await client.text_document_code_action_async(code_action_params(uri, 0))
    action = optimize_action(actions)
    assert action.edit is None and action.data is None
    reason = action.disabled.reason if action.disabled else action.title
    assert "does not parse" in reason
    ok_uri = open_document(client, tmp_path / "slow.py", SLOW_PROGRAM)
    actions = await client.text_document_code_action_async(code_action_params(ok_uri, 2))
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(ok_uri)))
    if resolves(client):
        action = await client.code_action_resolve_async(optimize_action(actions))
        assert action.edit is None and "closed" in action.title


def _alive(pids: list[int]) -> list[str]:
    """The command lines of those of ``pids`` still running, multiprocessing's resource tracker aside."""
    alive = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if state != "Z" and "resource_tracker" not in command:
            alive.append(command)
    return alive
