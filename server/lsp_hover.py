"""Hover: the rule docs of the findings under the cursor and, from the model host, the knowledge base's
suggestions for the top-level function or statement there (cached, and never waited for long)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from optimizer.rules import RULES_BY_CODE
from server.diagnostics import rule_docs
from server.hover import rule_markdown, suggestions_markdown
from server.lsp_documents import document_state

if TYPE_CHECKING:
    from server.lsp import PerfLanguageServer

log = logging.getLogger("server")
HOVER_TIMEOUT_S = 0.5  # past this a hover shows no suggestions rather than keep the user waiting
HOVER_CACHE_SIZE = 512


async def hover_markdown(ls: PerfLanguageServer, uri: str, line: int, character: int) -> str | None:
    state = document_state(ls, uri)
    if state is None:
        return None
    offset = state.positions.offset(line, character)
    parts = []
    docs = rule_docs()
    span = state.parsed.hover_span(offset)
    boost_tags: set[str] = set()
    for finding in state.analysis.findings if state.analysis else []:
        start = state.positions.offset(*state.positions.from_rule_position(finding.start))
        end = state.positions.offset(*state.positions.from_rule_position(finding.end))
        if start <= offset <= end and finding.code in docs:
            parts.append(rule_markdown(docs[finding.code], finding.message))
        if span is not None and span[0] <= start <= span[1] and finding.code in RULES_BY_CODE:
            boost_tags.update(RULES_BY_CODE[finding.code].tags)
    # Rule explanations first (they are certain), then the knowledge base's suggestions, which the host
    # filters by relevance (kb.query.RELEVANCE_THRESHOLD) with the tags of the rules that fired as evidence.
    if span is not None and ls.settings.hover.enabled and ls.settings.top_k > 0:
        hits = await suggestions(ls, state.text[span[0]:span[1]], sorted(boost_tags))
        if hits:
            parts.append(suggestions_markdown(hits))
    return "\n\n---\n\n".join(parts) or None


async def suggestions(ls: PerfLanguageServer, code: str, boost_tags: list[str] | None = None) -> list[dict]:
    """The knowledge base's hits for ``code`` (``boost_tags``: the tags of the rules that fired on it); empty
    while the host is loading or busy."""
    boost_tags = boost_tags or []
    key = (hash(code), len(code), ls.settings.top_k, tuple(boost_tags))
    if key in ls.hover_cache:
        ls.hover_cache.move_to_end(key)
        return ls.hover_cache[key]
    if not ls.models.running:
        return []
    loop = asyncio.get_running_loop()
    try:
        request = {"op": "suggest", "code": code, "k": ls.settings.top_k, "boost_tags": boost_tags}
        answer = await loop.run_in_executor(
            ls.models_thread, lambda: ls.models.request(request, timeout_s=HOVER_TIMEOUT_S))
    except (OSError, EOFError, TimeoutError) as exc:
        log.debug("no suggestions: %s", exc)
        return []
    if not answer.get("ready"):
        return []
    hits = answer.get("hits") or []
    ls.hover_cache[key] = hits
    if len(ls.hover_cache) > HOVER_CACHE_SIZE:
        ls.hover_cache.popitem(last=False)
    return hits
