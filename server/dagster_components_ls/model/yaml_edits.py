"""YAML text surgery on one document's text: entries added, items appended, pairs removed, in the user's own style."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from . import schemas
from .documents import MAP, SCALAR, SEQ, SEQUENCE_DASHES, Node
from .positions import KeyPath, Span

Edit = tuple[Span, str]
"""Replace the span (code-point offsets into the file) with the text; an empty span inserts."""

_NULLS = ("", "~", "null", "Null", "NULL")
_OPENS_BLOCK = re.compile(r"[^#'\"]*:\s*(#.*)?$")  # `key:` with nothing after it but a comment


@dataclass(frozen=True)
class TextStyle:
    """How this document is written, so inserted lines look like the user's."""

    unit: str
    """One level of indentation."""
    item_indent: str
    """How far `- ` items sit inside their key: the unit, or nothing (`key:\\n- a`)."""
    newline: str


def style_of(text: str) -> TextStyle:
    unit = items = None
    previous: Optional[tuple[int, bool]] = None  # (column of the line's key, the line ends with `key:`)
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if previous is not None and previous[1]:
            if stripped.startswith("- ") or stripped == "-":
                items = items if items is not None else indent - previous[0]
            elif indent > previous[0] and unit is None:
                unit = indent - previous[0]
        dashes_match = SEQUENCE_DASHES.match(stripped)
        dashes = dashes_match.group(0) if dashes_match else ""
        previous = (indent + len(dashes), bool(_OPENS_BLOCK.match(stripped[len(dashes) :])))
        if unit is not None and items is not None:
            break
    unit_text = " " * (unit or 2)
    return TextStyle(unit_text, unit_text if items is None else " " * max(items, 0), "\r\n" if "\r\n" in text else "\n")


def add_entries(
    text: str,
    mapping: Optional[Node],
    owner: Optional[Node],
    entries: dict[str, Any],
    after: Optional[Node] = None,
    before: Optional[Node] = None,
    items: tuple[Any, ...] = (),
) -> list[Edit]:
    """Edits adding keys to a mapping (block or flow), or a block under a key whose value is empty.

    `items` instead of `entries`: `- ` items under an empty key.
    """
    style = style_of(text)
    if mapping is not None and mapping.kind == MAP and is_flow(text, mapping):
        body = ", ".join(f"{inline(k)}: {inline(v)}" for k, v in entries.items())
        if mapping.pairs:
            end = max(mapping.pairs[-1][0].span.end, content_end(text, mapping.pairs[-1][1]))
            return [(Span(end, end), ", " + body)]
        return [(Span(mapping.span.start + 1, mapping.span.start + 1), body)]
    if mapping is not None and mapping.kind == MAP and mapping.pairs:
        first = mapping.pairs[0][0]
        pad = " " * column_of(text, first.span.start)
        lines = [line for k, v in entries.items() for line in block_lines(k, v, pad, style)]
        if before is not None:
            at = start_with_comments(text, before.span.start)
            return [(Span(at, at), "".join(line + style.newline for line in lines))] if at is not None else []
        key, value = next(((k, v) for k, v in mapping.pairs if k is after), mapping.pairs[-1])
        return [insert_lines(text, entry_end(text, key, value), lines, style.newline)]
    if owner is not None and (mapping is None or is_null(mapping)):
        pad = " " * column_of(text, owner.span.start) + style.unit
        lines = [line for k, v in entries.items() for line in block_lines(k, v, pad, style)]
        lines += [f"{pad[: len(pad) - len(style.unit)]}{style.item_indent}- {inline(i)}" for i in items]
        edits = []
        if mapping is not None and mapping.span.end > mapping.span.start:
            if text[owner.span.end : mapping.span.start].strip() != ":":
                return []
            edits.append((Span(owner.span.end, mapping.span.end), ":"))  # `key: null` -> `key:`
        end = line_content_end(text, owner.span.start, max(owner.span.end, mapping.span.end if mapping else 0))
        return [*edits, insert_lines(text, end, lines, style.newline)]
    return []


def append_item(text: str, seq: Node, value: str) -> list[Edit]:
    if is_flow(text, seq):
        if seq.items:
            end = content_end(text, seq.items[-1])
            return [(Span(end, end), ", " + inline(value))]
        return [(Span(seq.span.start + 1, seq.span.start + 1), inline(value))]
    if not seq.items:
        return []
    last = seq.items[-1]
    line_start = text.rfind("\n", 0, last.span.start) + 1
    prefix = text[line_start : last.span.start]
    if prefix.strip(" ") != "-":
        return []  # `- - x` or an item that does not start its line
    end = line_content_end(text, last.span.start, content_end(text, last))
    return [insert_lines(text, end, [prefix.rstrip(" ") + " " + inline(value)], style_of(text).newline)]


def remove_pair(text: str, mapping: Node, i: int) -> Optional[tuple[Span, str]]:
    """The edit removing one key with its value, nested lines and trailing comment, leaving its neighbours."""
    key, value = mapping.pairs[i]
    if is_flow(text, mapping):
        end = max(key.span.end, content_end(text, value))
        if i + 1 < len(mapping.pairs):
            return Span(key.span.start, mapping.pairs[i + 1][0].span.start), ""
        if i > 0:
            previous_key, previous = mapping.pairs[i - 1]
            return Span(max(previous_key.span.end, content_end(text, previous)), end), ""
        return Span(key.span.start, end), ""
    line_start = text.rfind("\n", 0, key.span.start) + 1
    prefix = text[line_start : key.span.start]
    end = entry_end(text, key, value)
    if not prefix.strip(" "):
        newline = text.find("\n", end)
        if newline != -1:
            return Span(line_start, newline + 1), ""
        if line_start == 0:
            return Span(0, end), ""
        return Span(line_start - (2 if text[line_start - 2 : line_start] == "\r\n" else 1), end), ""
    if prefix.replace("-", " ").strip(" ") or i != 0:
        return None
    if len(mapping.pairs) > 1:  # `- bad: 1\n  next: 2` -> `- next: 2`
        return Span(key.span.start, mapping.pairs[1][0].span.start), ""
    return Span(key.span.start, end), "{}"


def block_lines(key: str, value: Any, pad: str, style: TextStyle) -> list[str]:
    name = inline(key)
    if isinstance(value, dict) and value:
        nested = [line for k, v in value.items() for line in block_lines(str(k), v, pad + style.unit, style)]
        return [f"{pad}{name}:", *nested]
    if isinstance(value, list) and value and all(not isinstance(item, (dict, list)) for item in value):
        return [f"{pad}{name}:", *(f"{pad}{style.item_indent}- {inline(item)}" for item in value)]
    return [f"{pad}{name}: {inline(value)}"]


def inline(value: Any) -> str:
    return '""' if value == "" else schemas.inline_yaml(value)


def escaped(value: str, quote: str) -> str:
    return value.replace("'", "''") if quote == "'" else value.replace("\\", "\\\\").replace('"', '\\"')


def insert_lines(text: str, after: int, lines: list[str], newline: str) -> Edit:
    """Lines inserted after the line that ends at `after`."""
    at = text.find("\n", after)
    if at == -1:
        return Span(len(text), len(text)), newline + newline.join(lines)
    return Span(at + 1, at + 1), "".join(line + newline for line in lines)


def start_with_comments(text: str, key_start: int) -> Optional[int]:
    """Where the lines of a key begin, with the comment lines right above it (they describe it)."""
    at = text.rfind("\n", 0, key_start) + 1
    if text[at:key_start].strip(" "):
        return None
    column = key_start - at
    while at > 0:
        above = text.rfind("\n", 0, at - 1) + 1
        line = text[above : at - 1].rstrip("\r")
        if not line.lstrip(" ").startswith("#") or len(line) - len(line.lstrip(" ")) != column:
            break
        at = above
    return at


def entry_end(text: str, key: Node, value: Node) -> int:
    """The end of the last line of a key's entry (its nested block and trailing comment), before the newline."""
    return line_content_end(text, key.span.start, max(key.span.end, content_end(text, value)))


def content_end(text: str, node: Node) -> int:
    """Where a node's text really ends: a block collection's own end mark sits at the next token."""
    if node.kind == SCALAR or text.startswith(("[", "{"), node.span.start):
        return node.span.end
    if node.kind == MAP and node.pairs:
        key, value = node.pairs[-1]
        return max(key.span.end, content_end(text, value))
    if node.kind == SEQ and node.items:
        return content_end(text, node.items[-1])
    return node.span.end


def line_content_end(text: str, floor: int, offset: int) -> int:
    """The end (before `\\r\\n`) of the line holding the last non-space character before `offset`, at least `floor`."""
    last = max(floor, len(text[:offset].rstrip()))
    _, end = line_bounds(text, last)
    return end


def line_bounds(text: str, offset: int) -> tuple[int, int]:
    """(start, end) of the line holding the offset; the end excludes `\\r\\n`."""
    start = text.rfind("\n", 0, max(offset, 0)) + 1
    end = text.find("\n", offset)
    end = len(text) if end == -1 else end
    if end > start and text[end - 1] == "\r":
        end -= 1
    return start, end


def column_of(text: str, offset: int) -> int:
    return offset - (text.rfind("\n", 0, offset) + 1)


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def is_flow(text: str, node: Node) -> bool:
    return text.startswith(("[", "{"), node.span.start)


def is_null(node: Node) -> bool:
    return node.kind == SCALAR and node.tag.endswith(":null") and (node.text or "") in _NULLS


def unquoted(node: Node) -> Span:
    if node.style in ("'", '"') and node.span.end - node.span.start >= 2:
        return Span(node.span.start + 1, node.span.end - 1)
    return node.span


def exact(root: Optional[Node], path: KeyPath) -> Optional[tuple[Optional[Node], Node]]:
    """(key node, value node) at exactly this path, None when any part is absent."""
    key, node = None, root
    for part in path:
        if node is None:
            return None
        child = node.get(part)
        if child is None:
            return None
        key = node.key_node(part) if node.kind == MAP and isinstance(part, str) else None
        node = child
    return (key, node) if node is not None else None


def pair_at(root: Node, span: Span) -> Optional[tuple[Node, int]]:
    """The mapping and index of the pair whose key is exactly at the span."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for i, (key, value) in enumerate(node.pairs):
            if key.span == span:
                return node, i
            stack += [key, value]
        stack += node.items
    return None
