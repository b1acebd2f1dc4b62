"""The rules' shared machinery: positions, edits, the registry, find_all and rewrite."""

import ast
import json
import re

import pytest
from rules_support import run_program

from optimizer.rules import (
    ALL_RULES,
    RULES_BY_CODE,
    Finding,
    OverlappingEditsError,
    Source,
    SourceSyntaxError,
    TextEdit,
    apply_edits,
    find_all,
    rewrite,
)

EVAL_INPUT = [RULES_BY_CODE["PERF104"]]


def test_registry_has_unique_documented_rules():
    assert len(ALL_RULES) >= 25
    codes = [rule.code for rule in ALL_RULES]
    assert len(set(codes)) == len(codes)
    assert len({rule.name for rule in ALL_RULES}) == len(codes)
    for rule in ALL_RULES:
        assert re.fullmatch(r"PERF1\d\d", rule.code)
        assert rule.summary and "\n" not in rule.summary
        assert "Why faster" in rule.description and "unsafe" in rule.description, rule.code
        assert rule.tags


def test_rules_do_not_mention_problem_ids():
    """Rules must generalise: nothing in them may refer to a specific benchmark problem."""
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "server" / "optimizer" / "rules"
    for path in package.glob("*.py"):
        assert not re.search(r"\bp\d{5}\b", path.read_text()), path.name


def test_positions_are_characters_not_bytes():
    code = 'name = "ünïcødé"; n = int(eval(input()))\n'
    [finding] = find_all(code, EVAL_INPUT)
    start = code.index("eval(")
    assert finding.start == (1, start)
    [edit] = finding.edits
    assert code[edit.start : edit.end] == "eval(input())"


def test_crlf_and_encoding_declaration_survive():
    code = "# -*- coding: utf-8 -*-\r\n# comment stays\r\nn = int(eval(input()))\r\nprint(n)  # é\r\n"
    result = rewrite(code, EVAL_INPUT)
    assert result.code == "# -*- coding: utf-8 -*-\r\n# comment stays\r\nn = int(input())\r\nprint(n)  # é\r\n"
    assert [f.code for f in result.applied] == ["PERF104"]


def test_inserted_lines_use_the_files_line_endings_and_tabs():
    code = "import math\r\nfor i in range(3):\r\n\tprint(i)\r\n"
    result = rewrite(code, select={"PERF105"})
    assert result.code == (
        "import math\r\noutput_lines = []\r\nfor i in range(3):\r\n\toutput_lines.append(str(i))"
        '\r\nif output_lines:\r\n\tprint("\\n".join(output_lines))\r\n'
    )
    assert run_program(result.code) == run_program(code)


def test_unparseable_code_raises_one_clear_error():
    with pytest.raises(SourceSyntaxError) as error:
        find_all("def f(:\n    pass\n")
    assert isinstance(error.value, SyntaxError)
    assert "line 1" in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(SyntaxError):
        rewrite("x = (\n")
    with pytest.raises(SourceSyntaxError):
        find_all("x = 1\x00\n")


def test_apply_edits_sorts_and_rejects_overlaps():
    text = "abcdef"
    assert apply_edits(text, [TextEdit(4, 5, "E"), TextEdit(0, 1, "A"), TextEdit(2, 2, "+")]) == "Ab+cdEf"
    assert apply_edits(text, [TextEdit(3, 3, "1"), TextEdit(3, 3, "2")]) == "abc12def"
    with pytest.raises(OverlappingEditsError):
        apply_edits(text, [TextEdit(0, 3, "x"), TextEdit(2, 4, "y")])
    with pytest.raises(ValueError):
        apply_edits(text, [TextEdit(5, 9, "x")])


def test_findings_are_sorted_data():
    code = "a = int(eval(input()))\nb = int(eval(input()))\n"
    findings = find_all(code, EVAL_INPUT)
    assert [f.start[0] for f in findings] == [1, 2]
    assert all(isinstance(f, Finding) and f.message for f in findings)
    assert json.dumps([f.code for f in findings])


def test_rewrite_reaches_a_fixpoint_and_records_what_it_applied():
    code = (
        "import numpy as np\n"
        "n = int(eval(input()))\n"
        "total = 0\n"
        "for i in range(n):\n"
        "    total += i\n"
        "print(int(np.sqrt(total)))\n"
    )
    result = rewrite(code)
    ast.parse(result.code)
    assert "numpy" not in result.code
    assert {"PERF102", "PERF104", "PERF111"} <= {f.code for f in result.applied}
    assert run_program(result.code, "10\n") == run_program(code, "10\n") == "6\n"
    assert rewrite(result.code).applied == []


def test_select_limits_the_rules():
    code = "import numpy\nn = int(eval(input()))\n"
    result = rewrite(code, select={"PERF101"})
    assert result.code == "n = int(eval(input()))\n"
    assert [f.code for f in result.applied] == ["PERF101"]


def test_a_failing_rule_is_skipped_not_fatal(caplog):
    class Broken:
        code, name, summary, tags, exclusive = "PERF199", "broken", "Always fails.", ("test",), False

        def find(self, tree, source):
            raise RuntimeError("bug")

    findings = find_all("n = int(eval(input()))\n", [Broken(), *EVAL_INPUT])
    assert [f.code for f in findings] == ["PERF104"]
    assert "PERF199" in caplog.text


def test_source_lines_split_like_python():
    source = Source("a = 1\rb = '\x0c'\r\nc = 3\n")
    assert source.line_count == 4
    assert source.line_text(2) == "b = '\x0c'"
    assert source.position(source.text.index("c")) == (3, 0)


def test_every_rule_survives_unusual_code():
    """No rule may crash on valid but unusual Python (a crash would hide the other rules' findings)."""
    code = (
        "from __future__ import annotations\n"
        "import sys as s, os\n"
        "async def f(*a, **k):\n"
        "    async for x in a: yield x\n"
        "class C:\n"
        "    x: int = 1\n"
        "    def m(self, /, y, *, z=2): return [self.x for _ in range(y)]\n"
        "match s.argv:\n"
        "    case [first, *rest]: pass\n"
        "    case {'k': v, **others}: pass\n"
        "lam = lambda q=1: q\n"
        "try:\n    pass\nexcept* ValueError:\n    pass\n"
        "while (n := 0):\n    del n\n"
        "global g\n"
        "print(*[1], sep='', end='')\n"
    )
    for rule in ALL_RULES:
        rule.find(ast.parse(code), Source(code))
    ast.parse(rewrite(code).code)


def test_byte_order_mark_and_form_feed():
    bom = "\ufeffn = int(eval(input()))\nprint(n)\n"
    assert rewrite(bom, EVAL_INPUT).code == "\ufeffn = int(input())\nprint(n)\n"
    assert find_all(bom, EVAL_INPUT)[0].start == (1, 8)
    feed = "x = 1\n\x0cfor i in range(3):\n    x += i\nprint(x)\n"
    wrapped = rewrite(feed, select={"PERF106"}).code
    assert wrapped == "def main():\n    x = 1\n\x0c    for i in range(3):\n        x += i\n    print(x)\nmain()\n"
    assert run_program(wrapped) == run_program(feed) == "4\n"


def test_subtree_index_walks_like_ast_walk():
    from optimizer.rules.base import walk

    source = Source("def f(xs):\n    for x in xs:\n        if x:\n            print([y for y in x])\n    return 1\n")
    source.index  # noqa: B018
    for node in ast.walk(source.tree):
        assert {id(n) for n in walk(node)} == {id(n) for n in ast.walk(node)}
        assert walk(node)[0] is node
        if node is not source.tree:
            assert any(child is node for child in ast.iter_child_nodes(source.parent(node)))


def test_walk_of_a_node_outside_every_index_falls_back_to_a_full_walk():
    from optimizer.rules.base import walk

    Source("x = 1\n").index  # noqa: B018
    foreign = ast.parse("a = b + c\n")
    assert len(walk(foreign)) == len(list(ast.walk(foreign)))


def test_index_survives_nesting_deeper_than_the_recursion_limit():
    text = "x = " + " + ".join(["a"] * 1500) + "\n"  # deeper than the recursion limit; ast.parse stops near 3000
    source = Source(text)
    assert len(source.index.order) == len(list(ast.walk(source.tree)))
    assert find_all(text) == find_all(text)
