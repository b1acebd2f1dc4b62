"""Hover markdown: the knowledge base's top suggestions for the code under the cursor, and rule docs.

Suggestions arrive as ``SuggestionHit.to_json()`` dictionaries from the model host; nothing here runs a
model. Examples are cut to a few lines so that a hover stays a glance.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.diagnostics import RuleDoc

EXAMPLE_LINES = 8


def _example(code: str) -> str:
    lines = code.strip("\n").splitlines()
    if len(lines) > EXAMPLE_LINES:
        lines = [*lines[:EXAMPLE_LINES], "# ..."]
    return "\n".join(lines).replace("```", "'''")


def _gain(hit: dict) -> str:
    speedup, rate = hit.get("speedup"), hit.get("rate")
    if speedup:
        return f"measured {speedup:.1f}x faster"
    if rate is not None:
        return f"measured rate {rate:.2f}"
    return "not measured"


def suggestions_markdown(hits: Sequence[dict]) -> str:
    """The suggestions, best first: what to do, measured gain, similarity and a small before/after."""
    if not hits:
        return ""
    parts = ["### Performance suggestions"]
    for i, hit in enumerate(hits, 1):
        title = hit.get("title") or hit.get("entry_id", "")
        parts.append(
            f"**{i}. {title}**: {hit.get('text', '').strip()}\n\n"
            f"*{_gain(hit)} · similarity {hit.get('similarity', 0.0):.2f}*"
        )
        slow, fast = hit.get("slow_example") or "", hit.get("fast_example") or ""
        if slow and fast:
            parts.append(f"Before:\n```python\n{_example(slow)}\n```\nAfter:\n```python\n{_example(fast)}\n```")
    parts.append("*Optimize for speed* (code action) rewrites and verifies the code under the cursor.")
    return "\n\n".join(parts)


def rule_markdown(doc: RuleDoc, message: str) -> str:
    """A rule's explanation for a diagnostic under the cursor."""
    text = f"### {doc.code} {doc.name}\n\n{message}\n\n{doc.description or doc.summary}"
    if doc.href:
        text += f"\n\n[Rule documentation]({doc.href})"
    return text
