"""Cursor-marked test input: `|` marks the cursor, `[[...]]` marks an expected range."""

from __future__ import annotations

CARET = "|"


def with_caret(text: str) -> tuple[str, int]:
    """`"type: a|"` -> ("type: a", 7)."""
    offset = text.index(CARET)
    return text[:offset] + text[offset + 1 :], offset


def with_marks(text: str) -> tuple[str, list[tuple[int, int]]]:
    """`"a: [[bad]]"` -> ("a: bad", [(3, 6)]): the text without marks and each marked span."""
    spans = []
    out = ""
    rest = text
    while "[[" in rest:
        before, _, rest = rest.partition("[[")
        out += before
        inner, _, rest = rest.partition("]]")
        spans.append((len(out), len(out) + len(inner)))
        out += inner
    return out + rest, spans
