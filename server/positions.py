"""Character offsets in a document's text <-> LSP positions, in the encoding negotiated with the client.

The optimizer and the rules speak character offsets (and 1-based lines with character columns); LSP speaks
0-based lines with columns in UTF-16 code units by default, or UTF-8 / UTF-32 when negotiated. Lines end at
``\\r\\n``, ``\\r`` or ``\\n``, as both LSP and Python's tokenizer count them (``str.splitlines`` would also
split on form feeds and other separators, and disagree with the client).
"""

from __future__ import annotations

from bisect import bisect_right

from optimizer.functions import line_starts


def _units(text: str, encoding: str) -> int:
    if encoding == "utf-32" or text.isascii():
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", errors="surrogatepass"))
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


class PositionMap:
    """Converts between offsets in ``text`` and (line, column) pairs in the client's encoding."""

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        self.text = text
        self.encoding = encoding
        self.line_starts = line_starts(text)

    def _line_end(self, line: int) -> int:
        """Offset of the end of 0-based ``line``, before its line break."""
        if line + 1 < len(self.line_starts):
            end = self.line_starts[line + 1]
            return end - (2 if self.text.startswith("\r\n", end - 2) else 1)
        return len(self.text)

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column in code units), both 0-based, of a character offset (clamped to the text)."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[line]
        return line, _units(self.text[start:offset], self.encoding)

    def offset(self, line: int, column: int) -> int:
        """Character offset of an LSP (line, column); positions past a line's end clamp to it."""
        if line < 0:
            return 0
        if line >= len(self.line_starts):
            return len(self.text)
        start, end = self.line_starts[line], self._line_end(line)
        text = self.text[start:end]
        if self.encoding == "utf-32" or text.isascii():
            return start + min(max(column, 0), len(text))
        units = 0
        for i, char in enumerate(text):
            if units >= column:
                return start + i
            units += _units(char, self.encoding)
        return end

    def from_rule_position(self, position: tuple[int, int]) -> tuple[int, int]:
        """An LSP (line, column) from the rules' (1-based line, 0-based character column)."""
        line, column = position
        line = max(0, min(line - 1, len(self.line_starts) - 1))
        return self.position(self.line_starts[line] + column)
