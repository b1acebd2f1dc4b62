"""What an "Optimize for speed" result says, in words a user knows: the title's evidence and changes, and the
markdown report behind "Show details" (the VS Code extension reads it from the resolved action's ``data``).

No jargon: a program's inputs are named by their files ("input1.txt"), a function's calls by where they came
from, the rules by their codes, and the report gives each rule's one-line why.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from optimizer.rules import RULES_BY_CODE

if TYPE_CHECKING:
    from optimizer.candidates import Candidate, OptimizationResult, Verdict

MAX_NAMED_INPUTS = 3  # a title names this many input files, then "and N more"
# A function's verification calls by source (optimizer.functions), in words.
CALL_SOURCES = {"doctest": "from doctests", "call site": "written in the module",
                "hypothesis": "generated from type hints"}
NO_INPUT = "empty stdin"  # the label of a program that reads no input (server.inputs)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def inputs_in_words(count: int, sources: dict[str, int]) -> str:
    """What verification ran on: "input1.txt, input2.txt (2 inputs)", "37 calls: 2 from doctests, ..."."""
    if not sources:
        return _plural(count, "input")
    if set(sources) == {NO_INPUT}:
        return "a run without input"
    if set(sources) <= set(CALL_SOURCES):
        parts = ", ".join(f"{n} {CALL_SOURCES[source]}" for source, n in sources.items())
        return f"{_plural(count, 'call')}: {parts}"
    names = [name for name in sources if name != NO_INPUT]
    shown = ", ".join(names[:MAX_NAMED_INPUTS])
    if len(names) > MAX_NAMED_INPUTS:
        shown += f" and {len(names) - MAX_NAMED_INPUTS} more"
    return f"{shown} ({_plural(count, 'input')})"


def changes(engine: str | None, rules: tuple[str, ...], model: str | None = None) -> str:
    """What changed the code: "rules PERF103, PERF105 applied", "rewritten by the model tiny.gguf", or both."""
    parts = []
    if engine and "llm" in engine:
        parts.append(f"rewritten by the model{f' {model}' if model else ''}")
    if rules:
        parts.append(f"{'rule' if len(rules) == 1 else 'rules'} {', '.join(rules)} applied")
    return ", ".join(parts)


def details(result: OptimizationResult, headline: str, path: str | None, kind: str) -> str:
    """The markdown report under ``headline`` (the title): the diff, per-input timings, the rules with their why,
    the evidence, every candidate tried and why each was not offered."""
    name = path.rsplit("/", 1)[-1] if path else "untitled"
    lines = [f"## {headline}", ""]
    best = result.best if result.improved else None
    if best is not None:
        diff = difflib.unified_diff(result.original.splitlines(keepends=True), result.code.splitlines(keepends=True),
                                    f"{name} (before)", f"{name} (after)")
        lines += ["### Changes", "", "```diff", *(line.rstrip("\n") for line in diff), "```", ""]
    if result.verdict is not None and result.verdict.speedup is not None:
        lines += _timings(result.verdict, kind)
    if best is not None and best.rules:
        lines += ["### Rules applied", ""]
        lines += [f"- **{code}**: {RULES_BY_CODE[code].summary}" if code in RULES_BY_CODE else f"- **{code}**"
                  for code in best.rules]
        lines.append("")
    if result.verdict is not None and result.verdict.status in ("faster", "not_faster"):
        lines += _evidence(result.verdict, result.best, kind)
    if result.tried:
        lines += ["### Candidates tried", "", "| # | from | result | why |", "|---|---|---|---|"]
        lines += [f"| {i} | {_origin(c)} | {_result(v)} | {_cell(v.reason)} |" for i, (c, v) in
                  enumerate(result.tried, 1)]
        lines.append("")
    if result.notes:
        lines += ["### Notes", "", *(f"- {note}" for note in result.notes), ""]
    return "\n".join(lines)


def _timings(verdict: Verdict, kind: str) -> list[str]:
    lines = ["### Timings", "", "| input | original (s) | new (s) | speedup |", "|---|---|---|---|"]
    if kind == "program":  # a function's runs are driver runs over all its calls: only the total means anything
        for label, before, after in verdict.input_times:
            lines.append(f"| {_cell(label)} | {before:.4f} | {after:.4f} | {_ratio(before, after)} |")
    if verdict.original_s is not None and verdict.candidate_s is not None:
        lines.append(f"| all, median of the timed trials | {verdict.original_s:.4f} | {verdict.candidate_s:.4f} | "
                     f"{verdict.speedup:.2f}x |")
    spread = f" The timings' noise (relative spread) was {verdict.spread:.0%}." if verdict.spread is not None else ""
    return [*lines, "", f"Per input: the first timed run.{spread}", ""]


def _evidence(verdict: Verdict, candidate: Candidate | None, kind: str) -> list[str]:
    lines = ["### Evidence", ""]
    if verdict.evidence:
        lines.append(f"- {verdict.evidence}; the original's results are the reference")
    else:
        words = inputs_in_words(verdict.inputs_used, verdict.input_sources)
        lines.append(f"- same output as the original on {words}")
    if verdict.derived_inputs_checked:
        if kind == "program":
            lines.append(f"- and on {_plural(verdict.derived_inputs_checked, 'input')} derived from those (shrunk "
                         "and mutated), on which the original ran cleanly")
        elif not verdict.evidence:  # captured calls' evidence counts its own derived calls
            lines.append(f"- and on {_plural(verdict.derived_inputs_checked, 'call')} derived from those (boundary "
                         "values and drawn arguments), which the original handles as it handles those")
    elif candidate is not None and candidate.engine == "rules":
        lines.append("- no derived inputs needed: every rule applied is safe")
    return [*lines, ""]


def _origin(candidate: Candidate) -> str:
    text = changes(candidate.engine, candidate.rules, candidate.model) or candidate.engine
    return _cell(text)


def _result(verdict: Verdict) -> str:
    status = verdict.status.replace("_", " ")
    return f"{status} {verdict.speedup:.2f}x" if verdict.speedup is not None else status


def _ratio(before: float, after: float) -> str:
    return f"{before / after:.2f}x" if after > 0 else "-"


def _cell(text: str) -> str:
    """Text fit for one markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")[:300]
