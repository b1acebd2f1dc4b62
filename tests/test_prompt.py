"""The prompt template: message shape, suggestion rendering, code extraction and the SFT answer format."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass

import pytest

from optimizer.prompt import (
    PROMPT_VERSION,
    SYSTEM_PROMPT,
    PromptMessages,
    build_answer,
    build_messages,
    build_task_messages,
    extract_code,
    has_complete_code,
    render_suggestion,
)

SLOW = "n = int(input())\ns = 0\nfor i in range(n):\n    s += i\nprint(s)\n"
FAST = "n = int(input())\nprint(n * (n - 1) // 2)\n"


@dataclass(frozen=True)
class Hit:
    text: str
    rate: float | None
    similarity: float


HITS = [
    Hit("Use a closed formula instead of summing in a loop.", 0.5, 0.91234),
    Hit("Read all input at once with sys.stdin.read().", 0.123, 0.5),
    Hit("Cache global lookups in local variables.", 0.05, 0.25),
]


def test_messages_are_a_system_then_a_user_turn() -> None:
    messages = build_messages(SLOW)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert all(set(m) == {"role", "content"} and isinstance(m["content"], str) for m in messages)
    assert messages[0]["content"] == SYSTEM_PROMPT
    user = messages[1]["content"]
    assert f"```python\n{SLOW.rstrip()}\n```" in user
    assert "Applicability" not in user
    assert user.rstrip().endswith("```python code block.")
    assert json.loads(json.dumps(messages)) == list(messages)


def test_system_prompt_states_the_rules() -> None:
    text = SYSTEM_PROMPT.lower()
    for rule in ("same behaviour", "output format", "faster", "complete program", "```python"):
        assert rule in text
    assert PROMPT_VERSION


def test_suggestions_render_in_fasterpy_format_and_order() -> None:
    user = build_messages(SLOW, HITS, max_suggestions=2)[1]["content"]
    first = "Applicability: 0.91 Rate: 0.50\nUse a closed formula instead of summing in a loop."
    second = "Applicability: 0.50 Rate: 0.12\nRead all input at once with sys.stdin.read()."
    assert first in user and second in user
    assert user.index(first) < user.index(second) < user.index("Write the whole optimized program")
    assert user.index("```python") < user.index(first)


@pytest.mark.parametrize("cap", [0, 1, 2, 3, 10])
def test_suggestions_are_capped(cap: int) -> None:
    messages = build_messages(SLOW, HITS, max_suggestions=cap)
    headers = [line for line in messages[1]["content"].splitlines() if line.startswith("Applicability: ")]
    assert len(headers) == min(cap, len(HITS))
    assert messages.suggestions == tuple(HITS[:cap])


def test_empty_suggestions_are_skipped_and_a_missing_rate_is_na() -> None:
    hits = [Hit("   ", 0.9, 0.9), Hit("Use a set for membership tests.", None, 0.7)]
    messages = build_messages(SLOW, hits, max_suggestions=1)
    assert messages.suggestions == (hits[1],)
    assert render_suggestion(hits[1]) == "Applicability: 0.70 Rate: n/a\nUse a set for membership tests."


def test_negative_cap_is_an_error() -> None:
    with pytest.raises(ValueError, match="max_suggestions"):
        build_messages(SLOW, HITS, max_suggestions=-1)


def test_kb_suggestion_hit_satisfies_the_protocol() -> None:
    query = pytest.importorskip("kb.query")
    hit = query.SuggestionHit(
        entry_id="e1",
        text="Use sum() over a generator.",
        rate=0.3,
        speedup=1.4,
        similarity=0.8,
        slow_example="",
        fast_example="",
        tags=(),
    )
    assert "Applicability: 0.80 Rate: 0.30\nUse sum() over a generator." in build_messages(SLOW, [hit])[1]["content"]


def test_dropping_suggestions_keeps_the_code() -> None:
    messages = build_messages(SLOW, HITS, max_suggestions=2)
    fewer = messages.without_last_suggestion()
    assert isinstance(fewer, PromptMessages)
    assert fewer.suggestions == (HITS[0],)
    assert fewer == build_messages(SLOW, HITS, max_suggestions=1)
    none_left = fewer.without_last_suggestion()
    assert none_left == build_messages(SLOW)
    assert none_left is not None and none_left.without_last_suggestion() is None


def test_code_holding_a_fence_cannot_break_out_of_its_block() -> None:
    code = 'doc = """\n```\nnot the end\n```\n"""\nprint(doc)\n'
    assert "````python\n" in build_messages(code)[1]["content"]
    assert extract_code(build_answer(code)) == code


@pytest.mark.parametrize("code", [FAST, SLOW, "def f(x):\n    return x\n\n\n", "\n\nimport sys\nprint(1)"])
def test_answer_round_trips(code: str) -> None:
    answer = build_answer(code)
    assert answer.startswith("```python\n") and answer.endswith("\n```")
    assert extract_code(answer) == code.rstrip() + "\n"


def test_extract_a_normal_answer_with_prose() -> None:
    answer = f"Here is a faster version:\n\n```python\n{FAST}```\n\nIt uses the closed formula."
    assert extract_code(answer) == FAST


def test_extract_takes_the_first_python_block() -> None:
    answer = f"```python\n{FAST}```\nor\n```python\n{SLOW}```"
    assert extract_code(answer) == FAST


def test_extract_prefers_a_python_block_over_untagged_and_other_languages() -> None:
    answer = f"Input:\n```\n5\n```\nRun it with:\n```bash\npython main.py\n```\n```py\n{FAST}```"
    assert extract_code(answer) == FAST


def test_extract_falls_back_to_an_untagged_block() -> None:
    assert extract_code(f"```\n{FAST}```") == FAST


def test_extract_skips_an_empty_block() -> None:
    assert extract_code(f"```python\n```\n```python\n{FAST}```") == FAST


def test_extract_an_indented_block() -> None:
    indented = "".join(f"   {line}\n" for line in FAST.splitlines())
    assert extract_code(f"1. The code:\n   ```python\n{indented}   ```\n") == FAST


def test_truncated_answer_is_kept_when_it_parses() -> None:
    assert extract_code(f"Sure!\n```python\n{FAST}") == FAST


def test_truncated_answer_is_dropped_when_it_does_not_parse() -> None:
    assert extract_code("```python\nn = int(input())\nfor i in range(") is None


@pytest.mark.parametrize(
    "answer",
    [
        "",
        "I cannot optimise this code.",
        FAST,  # code without a fence is not an answer in the trained format
        "```bash\npip install numpy\n```",
        "```python\n\n```",
        "```python",
        "``python\nprint(1)\n``",
    ],
)
def test_no_code(answer: str) -> None:
    assert extract_code(answer) is None


@pytest.mark.parametrize(
    "answer",
    ["\x00\x01``` ```", "```python\n\x00\n```", "`" * 50, "```" * 7, "\n".join(["```"] * 9), "\udcff```python\n1\n```"],
)
def test_garbage_never_raises(answer: str) -> None:
    code = extract_code(answer)
    assert code is None or isinstance(code, str)


def test_a_closed_block_is_returned_even_if_it_does_not_parse() -> None:
    # Only a truncated block is judged by parsing; a complete one goes to the verifier as the model wrote it.
    assert extract_code("```python\nfor i in\n```") == "for i in\n"


def test_extracted_code_parses_for_a_real_program() -> None:
    code = extract_code(build_answer(FAST))
    assert code is not None
    ast.parse(code)


@pytest.mark.parametrize(
    ("answer", "complete"),
    [
        (f"```python\n{FAST}```", True),
        (f"Sure:\n```py\n{FAST}```\nmore text", True),
        (f"```python\n{FAST}", False),  # still open: the model may go on writing the program
        ("```python\n```", False),
        (f"```\n{FAST}```", False),  # untagged: a later ```python block would be preferred
        (f"```bash\n{FAST}```", False),
        ("no code at all", False),
    ],
)
def test_has_complete_code(answer: str, complete: bool) -> None:
    assert has_complete_code(answer) is complete
    if complete:
        assert extract_code(answer) == FAST


def test_task_messages_pose_a_function_or_a_program() -> None:
    signature = 'def add(a, b):\n    """Add two numbers."""\n'
    messages = build_task_messages(signature, entry_point="add")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"] == SYSTEM_PROMPT
    user = messages[1]["content"]
    assert "`add`" in user
    assert extract_code(user) == signature  # the signature is shown as a python block
    assert user.endswith("Write the solution in one ```python code block.")
    plain = build_task_messages("Read n and print n squared.\n")[1]["content"]
    assert plain.startswith("Read n and print n squared.\n\n") and "```python\n" not in plain
    assert json.loads(json.dumps(messages)) == messages
