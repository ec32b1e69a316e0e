"""Where each key of a TOML text is written: (key span, value span) by key path, and a decode error's line."""

from __future__ import annotations

import re
from typing import Any, Optional

from .positions import Span

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?")
_SCALAR = re.compile(r"[^,\]}\s#]+")
_DECODE_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def toml_spans(text: str) -> dict[tuple[Any, ...], tuple[Span, Span]]:
    """(key span, value span) of every key and array item of a valid TOML text, by key path.

    tomllib gives values but no positions; this scanner finds where each key path is written, for
    `[a.b]` headers, dotted keys, inline tables and arrays (items by index). A table known only from
    a header maps to the header's key. Only run on text tomllib accepted; on a surprise it returns
    what it found so far.
    """
    scanner = _TomlScanner(text)
    try:
        scanner.scan()
    except (IndexError, ValueError, tomllib.TOMLDecodeError):
        pass
    return scanner.spans


class _TomlScanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: dict[tuple[Any, ...], tuple[Span, Span]] = {}
        self._array_tables: dict[tuple[Any, ...], int] = {}

    def scan(self) -> None:
        text, pos = self.text, 0
        table: tuple[Any, ...] = ()
        while True:
            pos = self._skip(pos, newlines=True)
            if pos >= len(text):
                return
            if text[pos] == "[":
                double = text.startswith("[[", pos)
                keys, pos = self._keys(pos + (2 if double else 1))
                pos = self._skip(pos) + (2 if double else 1)
                table = self._record_keys((), keys)
                if double:
                    index = self._array_tables[table] = self._array_tables.get(table, -1) + 1
                    table = (*table, index)
                    self.spans.setdefault(table, (keys[-1][1], keys[-1][1]))
            else:
                keys, pos = self._keys(pos)
                pos = self._skip(pos)
                if text[pos] != "=":
                    raise ValueError(f"expected '=' at {pos}")
                path = self._record_keys(table, keys[:-1])
                pos = self._value(self._skip(pos + 1), (*path, keys[-1][0]), keys[-1][1])
            pos = self._skip(pos)

    def _record_keys(self, prefix: tuple[Any, ...], keys: list[tuple[str, Span]]) -> tuple[Any, ...]:
        path = prefix
        for name, span in keys:
            path = (*path, name)
            self.spans.setdefault(path, (span, span))
        return path

    def _skip(self, pos: int, newlines: bool = False) -> int:
        text = self.text
        while pos < len(text):
            ch = text[pos]
            if ch in " \t" or (newlines and ch in "\r\n"):
                pos += 1
            elif ch == "#":
                end = text.find("\n", pos)
                pos = len(text) if end == -1 else end
            else:
                break
        return pos

    def _keys(self, pos: int) -> tuple[list[tuple[str, Span]], int]:
        keys = []
        while True:
            pos = self._skip(pos)
            start = pos
            if self.text[pos] in "\"'":
                pos = self._string_end(pos)
                name = tomllib.loads(f"k = {self.text[start:pos]}")["k"]
            else:
                match = _BARE_KEY.match(self.text, pos)
                if match is None:
                    raise ValueError(f"expected a key at {pos}")
                name, pos = match.group(), match.end()
            keys.append((name, Span(start, pos)))
            pos = self._skip(pos)
            if not self.text.startswith(".", pos):
                return keys, pos
            pos += 1

    def _value(self, pos: int, path: tuple[Any, ...], key_span: Optional[Span]) -> int:
        text, start = self.text, pos
        if text[pos] == "[":
            index, pos = 0, pos + 1
            while True:
                pos = self._skip(pos, newlines=True)
                if text[pos] == "]":
                    pos += 1
                    break
                pos = self._skip(self._value(pos, (*path, index), None), newlines=True)
                index += 1
                if text[pos] == ",":
                    pos += 1
        elif text[pos] == "{":
            pos += 1
            while True:
                pos = self._skip(pos, newlines=True)
                if text[pos] == "}":
                    pos += 1
                    break
                if text[pos] == ",":
                    pos += 1
                    continue
                keys, pos = self._keys(pos)
                pos = self._skip(pos)
                inner = self._record_keys(path, keys[:-1])
                pos = self._value(self._skip(pos + 1), (*inner, keys[-1][0]), keys[-1][1])
        elif text[pos] in "\"'":
            pos = self._string_end(pos)
        else:
            match = _DATETIME.match(text, pos) or _SCALAR.match(text, pos)
            if match is None:
                raise ValueError(f"expected a value at {pos}")
            pos = match.end()
        value_span = Span(start, pos)
        self.spans[path] = (key_span or value_span, value_span)
        return pos

    def _string_end(self, pos: int) -> int:
        """The offset just after the string starting at `pos` (basic, literal, or either multi-line)."""
        text = self.text
        quote = text[pos]
        if text.startswith(quote * 3, pos):
            end = pos + 3
            while True:
                found = text.index(quote * 3, end)
                if quote == '"' and _escaped(text, found):
                    end = found + 1
                    continue
                end = found + 3
                while text.startswith(quote, end) and end - found < 5:  # `""""` closes with quotes inside
                    end += 1
                return end
        end = pos + 1
        while text[end] != quote or (quote == '"' and _escaped(text, end)):
            if text[end] == "\n":
                raise ValueError("unterminated string")
            end += 1
        return end + 1


def _escaped(text: str, pos: int) -> bool:
    backslashes = 0
    while pos - backslashes - 1 >= 0 and text[pos - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def decode_error_span(text: str, message: str) -> Span:
    match = _DECODE_POSITION.search(message)
    lines = text.split("\n")
    if match is None:
        return Span(0, len(lines[0]))
    line = min(int(match.group(1)), len(lines)) - 1
    start = sum(len(l) + 1 for l in lines[:line])
    return Span(start, start + len(lines[line].rstrip("\r")))
