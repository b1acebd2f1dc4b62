"""The one prompt template of the LLM candidate generator, shared by the optimizer and by training.

The layout follows FasterPy: the user turn holds the code to optimise and up to ``max_suggestions`` retrieved
suggestions, each rendered as ``Applicability: {similarity:.2f} Rate: {rate:.2f}`` followed by its text, and asks
for the whole optimised program in one ```python block. The assistant turn is that block and nothing else
(:func:`build_answer`), which is also the SFT target format, so whatever is trained is what the optimizer parses
back with :func:`extract_code`. Change anything here and bump :data:`PROMPT_VERSION`: training records it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Protocol

from optimizer.syntax import compiles

PROMPT_VERSION = "1"

SYSTEM_PROMPT = (
    "You are an expert Python performance engineer. Rewrite the user's Python code so that it runs faster.\n"
    "Rules:\n"
    "- Keep exactly the same behaviour: the same results, the same input reading and the same output format.\n"
    "- Make it faster: a better algorithm or data structure first, then faster built-ins and I/O.\n"
    "- Return the complete program (or the complete function), never a fragment, a diff or an ellipsis.\n"
    "- Answer with one ```python code block and nothing else."
)

_INSTRUCTION = "Optimize the following Python code for speed."
_SUGGESTIONS_HEADER = (
    "Optimization suggestions (Applicability: how well a suggestion fits this code; "
    "Rate: the speedup rate it achieved on similar code):"
)
_REQUEST = "Write the whole optimized program in one ```python code block."
_TASK_REQUEST = "Write the solution in one ```python code block."

# An opening fence: optional indentation, three or more backticks, an optional info string without backticks.
_OPEN_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})[ \t]*(?P<info>[^`\s]*)[^`]*$")
_PYTHON_INFO = frozenset({"python", "python3", "py", "py3"})


class SuggestionLike(Protocol):
    """What the prompt needs of a retrieved suggestion; ``kb.query.SuggestionHit`` satisfies it.

    Read-only properties, so a plain ``float`` attribute satisfies ``rate: float | None`` (a suggestion whose
    rate was never measured renders as ``n/a``).
    """

    @property
    def text(self) -> str: ...

    @property
    def rate(self) -> float | None: ...

    @property
    def similarity(self) -> float: ...


class PromptMessages(list[dict[str, str]]):
    """Chat messages that remember what they were built from, so a model can drop suggestions to fit its context.

    It is a plain list of ``{"role", "content"}`` dicts to everything else (JSON, chat templates, equality).
    """

    def __init__(self, code: str, suggestions: Sequence[SuggestionLike]) -> None:
        self.code = code
        self.suggestions = tuple(suggestions)
        super().__init__(
            [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": _user_turn(code, self.suggestions)},
            ]
        )

    def without_last_suggestion(self) -> PromptMessages | None:
        """The same prompt with its least relevant (last) suggestion dropped; None when it has none left."""
        if not self.suggestions:
            return None
        return PromptMessages(self.code, self.suggestions[:-1])


def build_messages(code: str, suggestions: Sequence[SuggestionLike] = (), max_suggestions: int = 2) -> PromptMessages:
    """The chat messages (system, user) asking for a faster version of ``code``.

    ``suggestions`` are taken in the order given (the knowledge base returns the most relevant first), those
    with empty text are skipped, and at most ``max_suggestions`` are rendered.
    """
    if max_suggestions < 0:
        raise ValueError(f"max_suggestions must be >= 0, got {max_suggestions}")
    kept = [s for s in suggestions if s.text.strip()][:max_suggestions]
    return PromptMessages(code, kept)


def build_task_messages(task: str, entry_point: str | None = None) -> list[dict[str, str]]:
    """The chat messages (system, user) asking for a solution of a programming task (training data, evaluation).

    Code-Optimise's setting: the model solves a problem from its statement, and the fastest correct solutions are
    what it is trained towards. A function task (``entry_point`` given) is the function's signature with its
    docstring, shown as code, and the answer must define that function; any other task is plain text (a stdin
    program's description). The answer format is :func:`build_answer`'s, read back by :func:`extract_code`.
    """
    if entry_point:
        body = f"Complete the Python function `{entry_point}` (same name and parameters).\n\n{_fenced(task, 'python')}"
    else:
        body = task.strip()
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": f"{body}\n\n{_TASK_REQUEST}"}]


def render_suggestion(suggestion: SuggestionLike) -> str:
    """One suggestion as the prompt shows it: the FasterPy header line, then the text."""
    rate = "n/a" if suggestion.rate is None else f"{suggestion.rate:.2f}"
    return f"Applicability: {suggestion.similarity:.2f} Rate: {rate}\n{suggestion.text.strip()}"


def build_answer(fast_code: str) -> str:
    """The assistant turn for ``fast_code``, in the format :func:`extract_code` reads back (SFT targets)."""
    return _fenced(fast_code, "python")


def extract_code(answer: str) -> str | None:
    """The code of the first ```python block of ``answer`` (else of its first untagged ``` block).

    The code comes back with exactly one trailing newline. Empty blocks and blocks tagged with another language
    are skipped. A block left open at the end of a truncated answer is accepted only if what is there parses as
    Python. None when the answer holds no usable code (no block, or only empty or unparsable open ones).
    """
    blocks = list(_fenced_blocks(answer))
    tagged = [b for b in blocks if b[0] in _PYTHON_INFO]
    untagged = [b for b in blocks if b[0] == ""]
    for _info, code, closed in tagged or untagged:
        if not code.strip():
            continue
        if not closed and not compiles(code):
            return None
        return code.rstrip("\n") + "\n"
    return None


def has_complete_code(answer: str) -> bool:
    """Whether ``answer`` already holds a closed, non-empty ```python block: all a generator needs to stop."""
    return any(info in _PYTHON_INFO and closed and code.strip() for info, code, closed in _fenced_blocks(answer))


def _user_turn(code: str, suggestions: Sequence[SuggestionLike]) -> str:
    parts = [_INSTRUCTION, _fenced(code, "python")]
    if suggestions:
        rendered = "\n\n".join(render_suggestion(s) for s in suggestions)
        parts.append(f"{_SUGGESTIONS_HEADER}\n\n{rendered}")
    parts.append(_REQUEST)
    return "\n\n".join(parts)


def _fenced(code: str, info: str) -> str:
    """``code`` in a fence longer than any backtick run inside it, so code holding ``` cannot close it early."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{code.rstrip()}\n{fence}"


def _fenced_blocks(answer: str) -> Iterator[tuple[str, str, bool]]:
    """Yield ``(info, code, closed)`` for each fenced block, in order; an unclosed block runs to the end."""
    lines = answer.splitlines()
    i = 0
    while i < len(lines):
        opening = _OPEN_FENCE.match(lines[i])
        i += 1
        if opening is None:
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        body: list[str] = []
        closed = False
        while i < len(lines):
            line = lines[i]
            i += 1
            stripped = line.strip()
            if stripped.startswith(fence) and not stripped.strip("`"):
                closed = True
                break
            body.append(_dedent(line, indent))
        yield opening["info"].lower(), "\n".join(body), closed


def _dedent(line: str, indent: int) -> str:
    """Remove up to ``indent`` leading whitespace characters: the fence's own indentation (a block in a list)."""
    n = len(line) - len(line.lstrip(" \t"))
    return line[min(n, indent) :]
