"""Settings application: initializationOptions, workspace/configuration and didChangeConfiguration.

The parsing itself is ``server.settings``; here the result is applied (the model host started, restarted or
stopped, caches dropped, documents re-analysed) and every problem reported to the user once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from server.lsp_diagnostics import schedule_analysis
from server.model_host import HostConfig
from server.settings import SECTION, parse_settings

if TYPE_CHECKING:
    from server.lsp import PerfLanguageServer

log = logging.getLogger("server")
CONFIGURATION_TIMEOUT_S = 3.0  # a client that never answers workspace/configuration keeps the settings it has


def apply_settings(ls: PerfLanguageServer, raw: Any) -> None:
    settings, problems = parse_settings(raw, ls.workspace_root)
    for problem in problems:
        ls.report_once(f"pyperf settings: {problem}", types.MessageType.Warning)
    previous, ls.settings = ls.settings, settings
    ls.outcomes.clear()
    ls.hover_cache.clear()
    if needs_models(ls) and (not ls.models.running or previous.model_host_key() != settings.model_host_key()):
        start_models(ls)
    elif not needs_models(ls):
        ls.models.stop()
    if previous.diagnostics != settings.diagnostics:
        ls.documents.clear()  # parsed and analysed under the old diagnostics.maxLines
        for uri in list(ls.workspace.text_documents):
            schedule_analysis(ls, uri, 0.0)


def needs_models(ls: PerfLanguageServer) -> bool:
    return ls.settings.hover.enabled or ls.settings.engines.llm


def start_models(ls: PerfLanguageServer) -> None:
    s = ls.settings
    config = HostConfig(s.model_path, s.kb_path, s.embedder_path, s.preload_models, s.local_llm)
    ls.models.start(config, logging.getLogger().level)
    ls.status_task = asyncio.get_running_loop().create_task(report_model_status(ls, config))


async def report_model_status(ls: PerfLanguageServer, config: HostConfig) -> None:
    """Once the host has loaded what it could, say what it could not (one message each)."""
    loop = asyncio.get_running_loop()
    try:
        status = await loop.run_in_executor(ls.models_thread, lambda: ls.models.request(
            {"op": "status", "wait": True}, timeout_s=600.0, fresh=True))
    except (OSError, EOFError, TimeoutError) as exc:
        if ls.models.config == config:
            ls.report_once(f"pyperf: the model host did not start ({exc}); hovers show rule docs only",
                           types.MessageType.Warning)
        return
    if ls.models.config != config:
        return  # settings changed meanwhile: the new host reports for itself
    if status.get("kb_error"):
        ls.report_once(f"pyperf: no suggestions from the knowledge base: {status['kb_error']}",
                       types.MessageType.Warning)
    if status.get("llm_error"):
        ls.report_once(f"pyperf: the LLM is off, rules only: {status['llm_error']}", types.MessageType.Warning)
    log.info("model host: knowledge base %s, LLM %s", status.get("kb"), status.get("llm"))


async def pull_configuration(ls: PerfLanguageServer) -> None:
    """Ask the client for the ``pyperf`` section; keep what we have if it does not answer."""
    if not ls.capability("workspace", "configuration"):
        return
    try:
        result = await asyncio.wait_for(ls.workspace_configuration_async(types.ConfigurationParams(
            items=[types.ConfigurationItem(section=SECTION)])), CONFIGURATION_TIMEOUT_S)
    except TimeoutError:
        ls.report_once("pyperf: the client did not answer workspace/configuration; using "
                       "initializationOptions and defaults", types.MessageType.Log)
        return
    except Exception as exc:  # a client that answers with an error
        log.info("workspace/configuration failed: %s", exc)
        return
    value = result[0] if result else None
    if value is not None:
        apply_settings(ls, merge(ls.init_options, value))


async def configuration_changed(ls: PerfLanguageServer, params: types.DidChangeConfigurationParams) -> None:
    """Pull the section where the client answers workspace/configuration, else take what it pushed."""
    pushed = params.settings.get(SECTION) if isinstance(params.settings, dict) else None
    if ls.capability("workspace", "configuration"):
        await pull_configuration(ls)
    elif pushed is not None:
        apply_settings(ls, merge(ls.init_options, pushed))


def merge(base: Any, override: Any) -> Any:
    """``override`` laid over ``base`` (initializationOptions under workspace/configuration), key by key."""
    if isinstance(base, dict) and isinstance(base.get(SECTION), dict):
        base = base[SECTION]
    if not isinstance(base, dict) or not isinstance(override, dict):
        return override if override is not None else base
    merged = dict(base)
    for key, value in override.items():
        merged[key] = merge(base.get(key), value) if isinstance(value, dict) else value
    return merged
