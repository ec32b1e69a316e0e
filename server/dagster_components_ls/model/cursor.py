"""The cursor's context in a defs.yaml read from the text alone (half-typed documents too): key, value or entry, and where."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from .documents import SEQUENCE_DASHES, indentation_key_path, leading_key, unquote_key
from .positions import KeyPath

KEY, VALUE, ENTRY = "key", "value", "entry"
_WORD_REST = re.compile(r"""[^\s,:'"\[\]{}#]*""")
_COMMENT = re.compile(r"(?:^|\s)#")
_PROPERTIES = re.compile(r"^(?:[&!]\S*[ \t]*)+")


@dataclass(frozen=True)
class Cursor:
    """What the cursor is in, read from the text alone, so half-typed and unparsable documents work."""

    kind: str
    """KEY (a mapping key), VALUE (after `key: ` or in a flow sequence) or ENTRY (a word on a line
    of its own, after `- ` or indentation: a key if the schema there has fields, else a value)."""
    path: KeyPath
    """KEY and ENTRY: the mapping (or list item) being filled; VALUE: the value's own path."""
    partial: str
    """The text typed from the start of the edit to the cursor (after an opening quote)."""
    start: int
    end: int
    """The document span an item replaces: the partial and the rest of its word."""
    column: int
    """The column of the key being typed, so nested blocks can be indented under it."""
    flow: bool = False
    quote: str = ""
    """The opening quote of a quoted value, else ''."""
    present: frozenset[str] = frozenset()
    """Keys the mapping already has."""
    key_follows: bool = False
    """The word at the cursor is already followed by `:`: insert only a key's name."""

    @property
    def offset(self) -> int:
        return self.start + len(self.partial)


def cursor_at(text: str, offset: int) -> Optional[Cursor]:
    """The cursor's context in one document's text (offsets relative to it), None where nothing fits."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end == -1 else line_end
    prefix, suffix = text[line_start:offset], text[offset:line_end]
    body = prefix.lstrip(" ")
    if body.startswith(("#", "---", "...", "\t")):
        return None
    dashes = SEQUENCE_DASHES.match(body).end()  # type: ignore[union-attr]  # `*` always matches
    rest = body[dashes:]
    column = len(prefix) - len(rest)
    end = offset + _WORD_REST.match(suffix).end()  # type: ignore[union-attr]
    path = indentation_key_path(text, line_start + column)  # what encloses the line's key, item or value
    if rest.startswith(("{", "[")):
        return _flow_cursor(text, offset, line_start + column, path)
    key = leading_key(rest, cr=False)
    if key is not None:
        after = rest[key[1] :]
        value = after.lstrip(" \t")
        path = (*path, unquote_key(key[0]))
        if not after:
            return None  # `key:|` needs a space before any value
        if value.startswith(("{", "[")):
            return _flow_cursor(text, offset, offset - len(value), path)
        return _value_cursor(path, value, offset, end, column)
    if rest[:1] in ("'", '"'):
        return _value_cursor(path, rest, offset, end, column)
    if not dashes:
        owner = _owner_value(text[:line_start], column)
        if owner.startswith(("|", ">")):
            return _value_cursor(path, rest, offset, end, column)  # a line of a block scalar
        if owner:
            return None  # the continuation of a plain scalar
    if _COMMENT.search(rest):
        return None
    present = _block_keys(text, line_start, line_end, column, above=not dashes)
    key_follows = bool(re.match(r"[^\s:]*[ \t]*:(?:[ \t]|$)", suffix))
    return Cursor(ENTRY, path, rest, offset - len(rest), end, column, present=present, key_follows=key_follows)


def _value_cursor(path: KeyPath, value: str, offset: int, end: int, column: int) -> Optional[Cursor]:
    quote = value[:1] if value[:1] in ("'", '"') else ""
    partial = value[len(quote) :]
    if (quote and quote in partial) or (not quote and _COMMENT.search(partial)):
        return None  # after a closed string or in a comment
    return Cursor(VALUE, path, partial, offset - len(partial), end, column, quote=quote)


@dataclass
class _Frame:
    """One open flow collection while scanning `{a: [1, 2], b: |`."""

    mapping: bool
    path: KeyPath
    start: int
    """Where the current entry's text starts."""
    key: Optional[str] = None
    """The current entry's key once its `:` is read (mappings)."""
    index: int = 0
    """The current entry's position (sequences)."""
    keys: set[str] = field(default_factory=set)

    def child_path(self) -> KeyPath:
        return (*self.path, self.key or "") if self.mapping else (*self.path, self.index)


def _flow_cursor(text: str, offset: int, opening: int, base: KeyPath) -> Optional[Cursor]:
    frames = [_Frame(text[opening] == "{", base, opening + 1)]
    if _scan_flow(text, frames, opening + 1, offset) == "closed":
        return None
    top = frames[-1]
    entry = text[top.start : offset].lstrip()
    quote = entry[:1] if entry[:1] in ("'", '"') else ""
    partial = entry[len(quote) :]
    end = _WORD_REST.match(text, offset).end()  # type: ignore[union-attr]
    if top.mapping and top.key is None:
        if quote:
            return None
        after = _Frame(True, (), offset)
        _scan_flow(text, [after], offset, len(text))
        key_follows = bool(re.match(r"[^\s:,{}\[\]]*[ \t]*:(?:[ \t]|$)", text[offset:]))
        return Cursor(
            KEY,
            top.path,
            partial,
            offset - len(partial),
            end,
            0,
            flow=True,
            present=frozenset(top.keys | after.keys),
            key_follows=key_follows,
        )
    if quote and quote in partial:
        return None
    return Cursor(VALUE, top.child_path(), partial, offset - len(partial), end, 0, flow=True, quote=quote)


def _scan_flow(text: str, frames: list[_Frame], start: int, stop: int) -> str:
    """Advance the open collections over text[start:stop]: "closed" when the outermost one ends,
    "quote" inside an unclosed string, else "open"."""
    i = start
    while i < stop:
        ch, top = text[i], frames[-1]
        if ch in "'\"":
            close = text.find(ch, i + 1, stop)
            if close == -1:
                return "quote"
            i = close
        elif ch in "{[":
            frames.append(_Frame(ch == "{", top.child_path(), i + 1))
        elif ch in "}]":
            frames.pop()
            if not frames:
                return "closed"
        elif ch == ",":
            top.key, top.index, top.start = None, top.index + 1, i + 1
        elif ch == ":" and top.mapping and top.key is None and text[i + 1 : i + 2] in ("", " ", "\t", "\n"):
            top.key = unquote_key(text[top.start : i])
            top.keys.add(top.key)
            top.start = i + 1
        i += 1
    return "open"


@dataclass(frozen=True)
class _Element:
    """A `- ` item or a `key:` that a block line opens, at its column."""

    kind: str
    column: int
    key: str = ""
    value: str = ""
    """The text after a key's colon, without comment, anchor or tag."""


def _line_elements(line: str) -> list[_Element]:
    body = line.lstrip(" ")
    if not body.strip() or body.startswith(("#", "---", "...")):
        return []
    column = len(line) - len(body)
    out = []
    while body == "-" or body.startswith(("- ", "-\t")):
        out.append(_Element("item", column))
        rest = body[1:].lstrip(" \t")
        column += len(body) - len(rest)
        body = rest
    key = leading_key(body, cr=False)
    if key is not None:
        value = body[key[1] :].strip()
        value = "" if value.startswith("#") else _PROPERTIES.sub("", value)
        out.append(_Element("key", column, unquote_key(key[0]), value))
    return out


def _owner_value(before: str, column: int) -> str:
    """The inline value of the key that owns a line at `column` ('' when it has none, or an item owns it)."""
    for line in reversed(before.split("\n")[:-1]):
        elements = _line_elements(line)
        if not elements or elements[0].column >= column:
            continue
        owner = [e for e in elements if e.column < column][-1]
        return owner.value if owner.kind == "key" else ""
    return ""


def _block_keys(text: str, line_start: int, line_end: int, column: int, above: bool) -> frozenset[str]:
    """The keys at `column` of the block mapping around the cursor's line (not above a new `- ` item)."""
    keys: set[str] = set()
    for line in reversed(text[:line_start].split("\n")[:-1] if above else []):
        elements = _line_elements(line)
        if elements:
            keys.update(e.key for e in elements if e.kind == "key" and e.column == column)
            if elements[0].column < column:
                break
    for line in text[line_end + 1 :].split("\n") if line_end < len(text) else []:
        elements = _line_elements(line)
        if elements:
            if elements[0].column < column:
                break
            keys.update(e.key for e in elements if e.kind == "key" and e.column == column)
    return frozenset(keys)


# --- one request ---------------------------------------------------------------------------------
