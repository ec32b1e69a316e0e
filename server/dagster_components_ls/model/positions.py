"""Spans, key paths and offset conversion: the only module that knows UTF-16 or 1-based lines."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Protocol, Union

# LSP's position encodings (the values of lsprotocol's PositionEncodingKind, which `check` does not
# import: loading lsprotocol costs 0.3 s, a third of a warm `check`).
UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"

KeyPath = tuple[Union[str, int], ...]
"""A path from a document's root: `("attributes", "deps", 0)`."""


@dataclass(frozen=True)
class Span:
    """A half-open range of code-point offsets into a file's text."""

    start: int
    end: int

    def shifted(self, delta: int) -> Span:
        return Span(self.start + delta, self.end + delta)

    def contains(self, offset: int) -> bool:
        """True when the offset is inside or at either edge (a cursor right after a token touches it)."""
        return self.start <= offset <= self.end


def format_key_path(path: KeyPath) -> str:
    """`("attributes", "deps", 0)` -> `attributes.deps[0]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class Position(Protocol):
    """Anything with LSP's `line` and `character` (lsprotocol's Position)."""

    line: int
    character: int


LineCharacter = tuple[int, int]


BOM = "\ufeff"


class LineIndex:
    """Converts between code-point offsets and LSP (line, character) pairs for one text.

    A byte-order mark is no column: editors strip it from the text they show and send (VS Code's
    documents have none), while a file read from disk keeps it; positions agree with the editor's.
    """

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.encoding = encoding
        self._bom = 1 if text.startswith(BOM) else 0
        self._starts = [0]
        newline = text.find("\n")
        while newline != -1:
            self._starts.append(newline + 1)
            newline = text.find("\n", newline + 1)

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset) - 1

    def line_text(self, line: int) -> str:
        start = self._starts[line]
        end = self._starts[line + 1] - 1 if line + 1 < len(self._starts) else len(self.text)
        return self.text[start:end]

    def line_start(self, line: int) -> int:
        return self._starts[min(max(line, 0), len(self._starts) - 1)]

    def line_span_1based(self, line: int) -> Span:
        """The text of a 1-based line number (as Python tracebacks give it), clamped to the file."""
        index = min(max(line - 1, 0), len(self._starts) - 1)
        return Span(self._starts[index], self._starts[index] + len(self.line_text(index)))

    def position_at(self, offset: int) -> LineCharacter:
        offset = min(max(offset, 0), len(self.text))
        line = self.line_of(offset)
        prefix = self.text[self._content_start(line) : offset]
        return line, _units(prefix, self.encoding)

    def offset_at(self, position: Position) -> int:
        if position.line >= len(self._starts):
            return len(self.text)
        start = self._content_start(position.line)
        line_text = self.text[start : self._starts[position.line] + len(self.line_text(position.line))]
        if self.encoding == UTF32 or line_text.isascii():
            return start + min(position.character, len(line_text))
        units = 0
        for i, ch in enumerate(line_text):
            if units >= position.character:
                return start + i
            units += _units(ch, self.encoding)
        return start + len(line_text)

    def within_line(self, start: int, end: int) -> tuple[int, int, int]:
        """(line, character, length in the encoding's units) of a span on one line (semantic tokens)."""
        line = self.line_of(start)
        content = self._content_start(line)
        prefix = self.text[content:start]
        if self.encoding == UTF32 or prefix.isascii() and self.text[start:end].isascii():
            return line, start - content, end - start
        return line, _units(prefix, self.encoding), _units(self.text[start:end], self.encoding)

    def range_of(self, span: Span) -> tuple[LineCharacter, LineCharacter]:
        return self.position_at(span.start), self.position_at(span.end)

    def line_col_1based(self, offset: int) -> tuple[int, int]:
        """1-based line and column (in code points) for text output such as `check`'s."""
        line = self.line_of(offset)
        return line + 1, max(offset - self._content_start(line), 0) + 1

    def _content_start(self, line: int) -> int:
        """Where a line's columns start: after the byte-order mark on the first line."""
        return self._starts[line] + (self._bom if line == 0 else 0)


def _units(text: str, encoding: str) -> int:
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8"))
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
