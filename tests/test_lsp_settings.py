"""Settings: initializationOptions, workspace/configuration and didChangeConfiguration without a restart;
invalid values, missing paths and a client that never answers all leave a working server."""

from __future__ import annotations

import asyncio
import sys

import pytest
import pytest_lsp
from lsp_support import (
    CLIENTS,
    RULES_ONLY,
    SERVER_COMMAND,
    SLOW_FUNCTION_MODULE,
    SLOW_PROGRAM,
    code_action_params,
    initialize_params,
    missing,
    open_document,
    server_config,
    wait_for,
)
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from optimizer.candidates import ENGINE_PRESETS, Engines
from server.settings import CLIENT_KEYS, ServerSettings, parse_settings, setting_keys


@pytest_lsp.fixture(config=server_config(), params=CLIENTS)
async def client(lsp_client: LanguageClient, request):
    lsp_client.client_name = request.param
    yield
    await lsp_client.shutdown_session()


def warnings_of(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if m.type == types.MessageType.Warning]


def test_parse_settings_defaults_and_problems(tmp_path):
    settings, problems = parse_settings(None)
    assert settings == ServerSettings() and problems == []
    settings, problems = parse_settings({"pyperf": {
        "topK": "three", "kbPath": "kb", "engines": {"llm": 1}, "verification": {"timeBudgetSeconds": -4},
        "diagnostics": [], "colour": "blue"}}, workspace_root=tmp_path)
    assert settings.top_k == 2 and settings.engines.llm is True
    assert settings.verification.time_budget_s == 120.0 and settings.diagnostics.enabled is True
    assert settings.kb_path == tmp_path / "kb"
    assert len(problems) == 5 and any("unknown setting colour" in p for p in problems)
    assert ServerSettings().engines == ENGINE_PRESETS["all"]
    assert parse_settings({"engines": {"rules": True, "llm": True, "retrieval": False}})[0].engines == Engines(
        rules=True, llm=True, retrieval=False)



def test_client_only_keys_are_ignored_silently():
    # The VS Code extension's whole `pyperf` section comes along in workspace/configuration answers.
    client_section = {"interpreter": sys.executable, "serverArgs": ["--log-level", "DEBUG"],
                      "trace": {"server": "verbose"}, "topK": 3}
    settings, problems = parse_settings({"pyperf": client_section})
    assert problems == [] and settings.top_k == 3 and settings.interpreter == sys.executable
    assert set(client_section) - {"topK", "interpreter"} <= CLIENT_KEYS
    # Only at the top level: the same name inside a sub-section is still a typo worth reporting.
    _, problems = parse_settings({"engines": {"interpreter": "x"}})
    assert problems == ["unknown setting engines.interpreter (ignored)"]

def test_interpreter_is_checked_once_and_falls_back_with_one_message(tmp_path):
    old = tmp_path / "python2"
    old.write_text("#!/bin/sh\necho '(2, 7)'\n")
    old.chmod(0o755)
    not_executable = tmp_path / "python"
    not_executable.write_text("")
    for path, problem in ((tmp_path / "missing", "does not exist"), (not_executable, "is not executable"),
                          (old, "is Python 2.7; Python >= 3.11 is needed")):
        settings, problems = parse_settings({"interpreter": str(path)})
        assert settings.interpreter is None
        assert problems == [f"interpreter = '{path}' {problem}: your code runs with the server's Python "
                            f"({sys.executable})"]
    assert parse_settings({"interpreter": ""}) == (ServerSettings(), [])


def test_derived_inputs_and_endpoint_settings():
    settings, problems = parse_settings({"verification": {"derivedInputs": False},
                                         "model": {"endpoint": {"url": "http://127.0.0.1:1/v1", "model": "m"}}})
    assert problems == [] and settings.verification.derived_inputs is False
    assert settings.model.endpoint.endpoint() is not None
    # An endpoint writes the LLM's candidates: the model host does not load the local LLM.
    assert not settings.local_llm and ServerSettings().local_llm
    assert settings.model_host_key() != ServerSettings().model_host_key()


@pytest.mark.asyncio
async def test_invalid_settings_give_a_message_and_defaults(client: LanguageClient, tmp_path):
    options = {**RULES_ONLY, "topK": -1, "diagnostics": {"enabled": "yes", "debounceMs": 50}}
    await client.initialize_session(initialize_params(client.client_name, tmp_path, options))
    uri = open_document(client, tmp_path / "slow.py", SLOW_PROGRAM)
    await wait_for(lambda: client.diagnostics.get(uri))  # diagnostics.enabled fell back to true
    messages = await wait_for(lambda: warnings_of(client))
    assert any("topK = -1 is invalid" in m for m in messages)


@pytest.mark.asyncio
async def test_configuration_change_applies_without_restart(client: LanguageClient, tmp_path):
    await client.initialize_session(initialize_params(client.client_name, tmp_path))
    uri = open_document(client, tmp_path / "slow.py", SLOW_PROGRAM)
    await wait_for(lambda: client.diagnostics.get(uri))
    off = {**RULES_ONLY, "diagnostics": {"enabled": False}}
    client.set_configuration(off, section="pyperf")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"pyperf": off}))
    await wait_for(lambda: not client.diagnostics.get(uri))
    client.set_configuration(RULES_ONLY, section="pyperf")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"pyperf": RULES_ONLY}))
    await wait_for(lambda: client.diagnostics.get(uri))


def silent_client() -> LanguageClient:
    """A test client that answers ``workspace/configuration`` only once ``answer_late`` is set (long past the
    server's timeout)."""
    client = LanguageClient(converter_factory=default_converter)
    client.answer_late = False
    register_lsp_features(client, {method: handler for method, handler in DEFAULT_CLIENT_FEATURES.items()
                                   if method != types.WORKSPACE_CONFIGURATION})

    @client.feature(types.WORKSPACE_CONFIGURATION)
    async def configuration(params: types.ConfigurationParams):
        while not client.answer_late:
            await asyncio.sleep(0.05)
        return [{"diagnostics": {"enabled": False}}]

    return client


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND, client_factory=silent_client))
async def silent(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_a_client_that_never_answers_configuration(silent: LanguageClient, tmp_path):
    await silent.initialize_session(initialize_params("visual_studio_code", tmp_path))
    uri = open_document(silent, tmp_path / "slow.py", SLOW_PROGRAM)
    await wait_for(lambda: silent.diagnostics.get(uri))  # served with initializationOptions meanwhile
    actions = await silent.text_document_code_action_async(code_action_params(uri, 2))
    assert actions
    await wait_for(lambda: any("did not answer workspace/configuration" in m.message for m in silent.log_messages))
    silent.answer_late = True  # a late answer is ignored
    await asyncio.sleep(0.5)
    assert silent.diagnostics.get(uri)


@pytest.mark.asyncio
async def test_missing_kb_and_model_paths_are_reported_once(client: LanguageClient, tmp_path):
    options = {**RULES_ONLY, "hover": {"enabled": True}, "engines": {"rules": True, "llm": True, "retrieval": True},
               "kbPath": str(tmp_path / "no-such-kb"), "modelPath": str(tmp_path / "no-such-model.gguf")}
    await client.initialize_session(initialize_params(client.client_name, tmp_path, options))
    await wait_for(lambda: len(warnings_of(client)) >= 2, timeout_s=60)
    kb_messages = [m for m in warnings_of(client) if "knowledge base" in m]
    model_messages = [m for m in warnings_of(client) if "LLM" in m]
    assert len(kb_messages) == 1 and "no-such-kb" in kb_messages[0]
    assert len(model_messages) == 1 and "no-such-model.gguf" in model_messages[0]
    uri = open_document(client, tmp_path / "slow.py", SLOW_PROGRAM)  # still working with what it has
    await wait_for(lambda: client.diagnostics.get(uri))
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(0, 2)))
    assert hover is not None and "PERF101" in hover.contents.value


@pytest_lsp.fixture(config=server_config())
async def vscode(lsp_client: LanguageClient):
    lsp_client.client_name = "visual_studio_code"
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_llm_engine_runs_a_tiny_gguf(vscode: LanguageClient, tmp_path):
    if reason := missing("llama_cpp", "gguf"):
        pytest.skip(reason)
    from tiny_gguf import write_tiny_gguf

    client = vscode
    model = write_tiny_gguf(tmp_path / "tiny.gguf", eos_bias=-10.0)
    options = {**RULES_ONLY, "engines": {"rules": False, "llm": True, "retrieval": False},
               "modelPath": str(model), "verification": {"timeBudgetSeconds": 60}}
    await client.initialize_session(initialize_params(client.client_name, tmp_path, options))
    uri = open_document(client, tmp_path / "mod.py", SLOW_FUNCTION_MODULE)
    actions = await client.text_document_code_action_async(code_action_params(uri, 7))
    action = await client.code_action_resolve_async(next(a for a in actions if a.data))
    # The tiny model writes garbage: nothing verifies, and the action says so instead of offering an edit.
    assert action.title.startswith("Optimize for speed: no verified speedup"), action.title
    assert action.edit is None
    logs = " ".join(m.message for m in client.log_messages)
    assert "mod.py read_all" in logs and "LLM is off" not in logs


def test_the_extension_declares_every_server_setting():
    """package.json is where VS Code users find settings: every key the server reads is declared there (with a
    markdown description and a scope), and nothing else but the client's own keys."""
    import json
    from pathlib import Path

    manifest = Path(__file__).resolve().parent.parent / "vscode-extension" / "package.json"
    declared = json.loads(manifest.read_text())["contributes"]["configuration"]["properties"]
    client = {key for key in declared if key.split(".")[1] in CLIENT_KEYS}
    assert set(declared) - client == {f"pyperf.{key}" for key in setting_keys()}
    for key, schema in declared.items():
        assert schema.get("markdownDescription") and schema.get("scope"), key

