"""``pyperf/status``: the server says when an optimisation job starts ("working" with its title) and when none is
left ("ready"); listing actions says nothing. The VS Code extension's status bar shows it."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsp_support import SLOW_PROGRAM, code_action_params, initialize_params, open_document, server_config
from pytest_lsp import LanguageClient

from server.lsp import OPTIMIZE_KIND, STATUS_NOTIFICATION


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient, tmp_path):
    lsp_client.statuses = []

    @lsp_client.feature(STATUS_NOTIFICATION)
    def on_status(params) -> None:
        # pygls hands over an unknown method's params as an attribute object: keep plain values.
        lsp_client.statuses.append((getattr(params, "state", None), getattr(params, "job", None)))

    await lsp_client.initialize_session(initialize_params("visual_studio_code", tmp_path))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_a_job_reports_working_then_ready(client: LanguageClient, tmp_path):
    (tmp_path / "input1.txt").write_text("3\n1\n2\n3\n")
    uri = open_document(client, tmp_path / "slow.py", SLOW_PROGRAM)
    actions = await client.text_document_code_action_async(code_action_params(uri, 2))
    action = next(a for a in actions if a.kind == OPTIMIZE_KIND)
    assert client.statuses == []  # listing is cheap: no job, no status
    resolved = await client.code_action_resolve_async(action)
    assert resolved.title.startswith("Optimize for speed: "), resolved.title
    # Both are sent before the resolve's answer, on the same stream: they have arrived.
    assert client.statuses == [("working", "Optimize for speed: slow.py"), ("ready", None)]
