"""What one program looks like, in plain words: the "description" embedded with (or instead of) its code."""

from __future__ import annotations

from kb.summarise.traits import code_traits


def describe_code(code: str) -> str:
    """A short plain-words description of a program's performance-relevant shape.

    Used as the "description" that ``EmbedderOptions.text_mode`` may embed with (or instead of) the
    code, after the RAS finding that retrieval by description can beat retrieval by raw code.
    """
    t = code_traits(code)
    parts: list[str] = []
    if t.read_all:
        parts.append(f"reads all input at once with {t.read_all}")
    elif t.per_line_input:
        parts.append("reads input line by line in a loop")
    elif t.called("input"):
        parts.append("reads a few lines with input()")
    if t.calls["eval"]:
        parts.append("parses input with eval()")
    if t.max_loop_depth >= 2:
        parts.append(f"{t.max_loop_depth} nested loops")
    elif t.loops or t.comprehensions:
        parts.append("a single loop level")
    else:
        parts.append("no loops")
    if t.recursive:
        parts.append("recursive function" + (" with memoisation" if t.memoised or t.memo_dict else ""))
    if t.list_membership_in_loop:
        parts.append("membership tests on a list inside a loop")
    if t.called_in_loop(".index", ".count"):
        parts.append("list.index/count inside a loop")
    if t.str_concat_in_loop:
        parts.append("string concatenation with += in a loop")
    if t.list_concat_in_loop:
        parts.append("list concatenation in a loop")
    if t.pop_front:
        parts.append("pops or inserts at the front of a list")
    if t.called_in_loop("sorted", ".sort"):
        parts.append("sorting inside a loop")
    if t.called_in_loop("sum", "max", "min"):
        parts.append("sum/max/min over slices inside a loop")
    if t.print_in_loop:
        parts.append("prints inside a loop")
    if t.try_in_loop:
        parts.append("exceptions caught inside a loop")
    if t.called("copy.deepcopy", "deepcopy"):
        parts.append("deep copies")
    libraries = sorted(t.imports - {"sys", "os"})
    if libraries:
        parts.append("uses " + ", ".join(libraries))
    used = [
        name
        for name in (
            "sorted",
            "sum",
            "max",
            "min",
            "Counter",
            "defaultdict",
            "deque",
            "heappush",
            "bisect_left",
            "pow",
            "gcd",
        )
        if t.called_short(name)
    ]
    if used:
        parts.append("calls " + ", ".join(used))
    return "Python program: " + "; ".join(parts) + "."
