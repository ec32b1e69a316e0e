"""lsprotocol Ranges from spans, for the server's features (`check` never loads lsprotocol: it costs 0.3 s)."""

from __future__ import annotations

from lsprotocol import types

from ..model.positions import LineIndex, Span


def lsp_range(index: LineIndex, span: Span) -> types.Range:
    (start_line, start_character), (end_line, end_character) = index.range_of(span)
    return types.Range(
        start=types.Position(line=start_line, character=start_character),
        end=types.Position(line=end_line, character=end_character),
    )
