"""The one JSONL reader (bench.core.jsonl): good lines with their numbers, bad ones reported or raised by number."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.core.jsonl import MalformedLine, read_jsonl


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"a": 1}\n\n{"a": \n[1, 2]\n{"a": "\xff"}\n{"a": 2}')
    return path


def test_good_lines_come_with_their_numbers_and_bad_ones_are_reported(mixed: Path):
    bad: list[MalformedLine] = []
    rows = list(read_jsonl(mixed, bad.append))
    assert rows == [(1, {"a": 1}), (6, {"a": 2})]
    assert [(b.line, b.reason.split(" (")[0]) for b in bad] == [
        (3, "not valid JSON"), (4, "not a JSON object"), (5, "not UTF-8 text")]
    assert str(bad[0]).startswith(f"{mixed}:3: not valid JSON (Expecting value at column")


def test_without_a_handler_the_first_bad_line_stops_the_reading(mixed: Path):
    with pytest.raises(MalformedLine, match=r"rows\.jsonl:3: not valid JSON"):
        list(read_jsonl(mixed))


def test_a_message_names_the_column_once(tmp_path: Path):
    rows = tmp_path / "rows.jsonl"
    rows.write_bytes(b'{"code": "a\x01b"}\n')  # json says "Invalid control character at"
    bad: list[MalformedLine] = []
    assert list(read_jsonl(rows, bad.append)) == []
    assert len(bad) == 1 and "(Invalid control character at column 12)" in str(bad), bad
