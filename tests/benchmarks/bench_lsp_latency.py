"""Latency and memory of the language server, measured over stdio as a client sees them (not a test).

    .venv/bin/python tests/benchmarks/bench_lsp_latency.py --kb /tmp/kb60k [--llm] [--out report.json]

Measures, with the VS Code client's capabilities and a generated 2,000-line module of 100 functions:
- server start to first response (``initialize`` answered), 5 fresh servers;
- ``textDocument/codeAction`` listing at 200 random positions (p50/p95/max);
- ``textDocument/hover`` once the knowledge base is loaded: at a position in each function once (each a new
  snippet: embedding + HNSW search), then 200 random positions (most answered from the hover cache);
- diagnostics of the 2,000-line file: from ``didOpen``/``didChange`` sent to ``publishDiagnostics``
  received (debounce 0), 10 times while the model host starts (it competes for the cores), 10 times after;
- resident memory (VmRSS) of the server and of the model host once the KB and MiniLM (and with ``--llm`` the
  LLM) are loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import make_test_lsp_client

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from server.processes import descendants  # noqa: E402

SERVER = [sys.executable, "-m", "server", "--stdio", "--log-level", "INFO"]

FUNCTION = '''def solve_{i}(lines: list[str]) -> int:
    import os
    seen = []
    total = 0
    for line in lines:
        value = int(line) * {k}
        if value in seen:
            total += value
        seen.append(value)
    result = ""
    for value in seen:
        result += str(value % {m})
    squares = [value ** 2 for value in seen]
    best = 0
    for square in squares:
        if square > best:
            best = square
    print(total, best, len(result))
    return total + best

'''


def module_2000_lines() -> str:
    text = "".join(FUNCTION.format(i=i, k=i % 7 + 1, m=i % 10 + 2) for i in range(100))
    assert text.count("\n") == 2000, text.count("\n")
    return text


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict:
    ms = [v * 1000 for v in values]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2), "p95_ms": round(percentile(ms, 95), 2),
            "max_ms": round(max(ms), 2)}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


async def start(root: Path, settings: dict):
    client = make_test_lsp_client()
    started = time.perf_counter()
    await client.start_io(*SERVER)
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual_studio_code"),
        initialization_options={"pyperf": settings},
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="bench")]))
    return client, time.perf_counter() - started


async def stop(client) -> None:
    await client.shutdown_session()
    await client.stop()


async def wait_diagnostics(client, uri: str, version: int) -> None:
    while True:
        params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if params.uri == uri and params.version == version:
            return


async def time_diagnostics(client, uri: str, text: str, versions: range) -> dict:
    """From didOpen (first version 1) or didChange sent to publishDiagnostics received, per version."""
    timings = []
    for version in versions:
        waiting = asyncio.ensure_future(wait_diagnostics(client, uri, version))
        sent = time.perf_counter()
        if version == 1:
            client.text_document_did_open(types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        else:
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [types.TextDocumentContentChangeWholeDocument(text=text + f"# {version}\n")]))
        await waiting
        timings.append(time.perf_counter() - sent)
    return {**summary(timings), "findings": len(client.diagnostics[uri])}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kb", type=Path, required=True, help="knowledge-base folder (e.g. a 60k build)")
    parser.add_argument("--llm", action="store_true", help="also load the LLM (counted in the memory)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    root = Path("/tmp/pyperf-lsp-bench")
    root.mkdir(exist_ok=True)
    rng = random.Random(0)
    report: dict = {}

    quiet = {"hover": {"enabled": False}, "engines": {"llm": False}}
    starts = []
    for _ in range(5):
        client, seconds = await start(root, quiet)
        starts.append(seconds)
        await stop(client)
    report["start_to_first_response"] = summary(starts)

    settings = {"kbPath": str(args.kb), "preloadModels": True, "engines": {"llm": args.llm, "retrieval": args.llm},
                "diagnostics": {"debounceMs": 0}, "topK": 2}
    client, _ = await start(root, settings)
    text = module_2000_lines()
    path = root / "big.py"
    path.write_text(text)
    uri = path.as_uri()

    report["diagnostics_2000_lines_while_models_load"] = await time_diagnostics(client, uri, text, range(1, 11))
    final = text + "# 20\n"

    timings = []
    lines = final.count("\n")
    for _ in range(200):
        line = rng.randrange(lines)
        position = types.Position(line, 4)
        sent = time.perf_counter()
        await client.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(uri), types.Range(position, position),
            types.CodeActionContext(diagnostics=[], trigger_kind=types.CodeActionTriggerKind.Automatic)))
        timings.append(time.perf_counter() - sent)
    report["code_action_list"] = summary(timings)

    async def hover(line: int) -> tuple[float, str]:
        sent = time.perf_counter()
        result = await client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri), types.Position(line, 8)))
        return time.perf_counter() - sent, result.contents.value if result else ""

    # Ready once the model host says its knowledge base is loaded (hovers show only suggestions above the
    # relevance threshold, so a hover's text cannot tell "not loaded" from "nothing relevant").
    loading = time.perf_counter()
    await hover(5)  # the first hover starts loading the knowledge base
    while not any("knowledge base ready" in m.message for m in client.log_messages):
        await asyncio.sleep(0.2)
    report["kb_ready_after_s"] = round(time.perf_counter() - loading, 1)
    misses = [(await hover(20 * i + 6))[0] for i in range(1, 100)]  # a new function each time
    report["hover_new_snippet"] = summary(misses)
    timings = [(await hover(rng.randrange(lines)))[0] for _ in range(200)]
    report["hover_random"] = summary(timings)
    # Again once the model host is idle: the rules alone, without its start-up competing for the 2 cores.
    report["diagnostics_2000_lines"] = await time_diagnostics(client, uri, text, range(11, 21))

    server_pid = client._server.pid
    memory = {"server_mb": round(rss_mb(server_pid), 1)}
    for pid in descendants(server_pid):
        if "resource_tracker" not in command_line(pid):
            memory["model_host_mb"] = round(memory.get("model_host_mb", 0) + rss_mb(pid), 1)
    memory["total_mb"] = round(sum(memory.values()), 1)
    memory["llm_loaded"] = args.llm
    report["memory"] = memory
    await stop(client)
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
