"""defs.yaml text -> YAML documents -> node trees with spans, and the key path at an offset."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

from .positions import BOM, KeyPath, Span

try:  # libyaml is ~14x faster than pure-Python PyYAML on our files (see benchmarks/parse.py)
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - wheels ship libyaml on Linux and macOS
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class DagsterLoader(_BaseLoader):
    """YAML read the way Dagster reads defs.yaml: a safe loader without the timestamp resolver.

    Dagster's `parse_yamls_with_source_position` removes that resolver, so `start_date: 2025-01-01`
    reaches the component as the string "2025-01-01", not a date; everything else (`yes`, `0o10`,
    `~`, merge keys) is PyYAML's safe loader as is. tests/unit/test_documents.py compares the two.
    """

    # The class attribute is shared with every safe loader: copy it before changing it.
    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }


_Loader = DagsterLoader

_SEPARATOR = re.compile(r"^---(?=[ \t]|$)", re.MULTILINE)
_QUOTED_KEY = re.compile(r"\"[^\"]*\"|'[^']*'")
_NOT_PLAIN_START = "#'\"[]{},:"  # nor whitespace

MAP, SEQ, SCALAR = "map", "seq", "scalar"
MAX_EXPANDED_NODES = 100_000
"""How many nodes aliases may add to a document ("billion laughs" guard)."""
MAX_NESTING = 64
"""How deep mappings and lists may nest: every walker below (ours, PyYAML's constructor, jsonschema)
recurses once or more per level, and no component file comes near this."""


@dataclass(eq=False)
class Node:
    """A YAML node. Spans are relative to the start of its document's text."""

    kind: str
    span: Span
    tag: str = ""
    text: Optional[str] = None
    """A scalar's value as written (after unquoting), None for collections."""
    style: Optional[str] = None
    pairs: list[tuple[Node, Node]] = field(default_factory=list)
    items: list[Node] = field(default_factory=list)

    def get(self, key: str | int) -> Optional[Node]:
        """The value node under a mapping key or at a sequence index."""
        if self.kind == MAP:
            for k, v in reversed(self.pairs):  # the last of duplicate keys wins, as in YAML readers
                if k.text == key:
                    return v
        elif self.kind == SEQ and isinstance(key, int) and 0 <= key < len(self.items):
            return self.items[key]
        return None

    def key_node(self, key: str) -> Optional[Node]:
        for k, _ in reversed(self.pairs):
            if k.text == key:
                return k
        return None


@dataclass(frozen=True)
class SyntaxProblem:
    """A YAML error inside one document (span relative to the document)."""

    span: Span
    message: str


@dataclass(eq=False)
class YamlDocument:
    """One `---`-separated document of a file, parsed on its own."""

    index: int
    start: int
    """Offset of the document's text in the file."""
    text: str
    root: Optional[Node]
    """None when the document is empty (only comments) or could not be parsed."""
    value: Any
    """The document as plain Python data (PyYAML's safe constructor), None if not parsed."""
    problems: tuple[SyntaxProblem, ...]

    @property
    def span(self) -> Span:
        return Span(self.start, self.start + len(self.text))

    @property
    def parsed(self) -> bool:
        """True when the tree is usable: no problems, or only ones YAML readers tolerate (duplicate keys)."""
        return not self.problems or self.value is not None

    def first_line(self) -> Span:
        """The first line with content (not a comment or `---`), else the first comment line: where a
        problem about the whole document shows."""
        fallback = None
        offset = 0
        for line in self.text.split("\n"):
            stripped = line.strip()
            span = Span(offset + len(line) - len(line.lstrip()), offset + len(line.rstrip()))
            if stripped and not stripped.startswith("#") and stripped != "---":
                return span
            if stripped and fallback is None:
                fallback = span
            offset += len(line) + 1
        return fallback or Span(0, 0)

    def node_at_path(self, path: KeyPath) -> tuple[Optional[Node], Optional[Node]]:
        """The (key node, value node) at a key path; the deepest existing ancestor's pair when absent."""
        key: Optional[Node] = None
        node = self.root
        for part in path:
            if node is None:
                break
            child = node.get(part)
            if child is None:
                break
            key = node.key_node(part) if node.kind == MAP and isinstance(part, str) else child
            node = child
        return key, node

    def key_path_at(self, offset: int) -> KeyPath:
        """The key path at an offset relative to the document (tolerant of half-typed text)."""
        if self.root is None or not self.parsed:
            return indentation_key_path(self.text, offset)
        path = _tree_path_at(self.root, offset, self.text)
        if path is None:
            return indentation_key_path(self.text, offset)
        _, node = self.node_at_path(path)
        if node is not None and node.kind == SEQ:
            # An empty `- ` item has no span of its own; indentation still sees it.
            fallback = indentation_key_path(self.text, offset)
            if len(fallback) > len(path) and fallback[: len(path)] == path:
                return fallback
        return path


@dataclass(eq=False)
class ParsedFile:
    text: str
    documents: list[YamlDocument]

    def document_at(self, offset: int) -> Optional[YamlDocument]:
        for doc in reversed(self.documents):
            if doc.start <= offset:
                return doc
        return None


SEQUENCE_DASHES = re.compile(r"(?:-[ \t]+)*")
"""The `- ` of sequence items that open a line (`- - key:`); `*`, so it always matches."""


def parse_file(text: str) -> ParsedFile:
    """Split a file into documents and parse each one; unchanged documents come from a cache.

    A byte-order mark (a file read from disk keeps it; editors strip it) belongs to no document:
    libyaml drops it and counts its marks without it, so the first document starts after it.
    """
    documents = []
    bom = 1 if text.startswith(BOM) else 0
    for index, (start, chunk) in enumerate(split_documents(text[bom:])):
        start += bom
        root, value, problems = _parse_cached(chunk)
        documents.append(YamlDocument(index, start, chunk, root, value, problems))
    return ParsedFile(text, documents)


def split_documents(text: str) -> list[tuple[int, str]]:
    """(offset, text) of each document, split at `---` lines the way `yaml.load_all` counts them.

    A leading region of only comments and blank lines belongs to the first document, as in YAML.
    A file with no content at all still yields one (empty) document.
    """
    starts = [m.start() for m in _SEPARATOR.finditer(text)]
    if not starts or starts[0] != 0:
        if starts and _is_blank(text[: starts[0]]):
            starts[0] = 0
        else:
            starts.insert(0, 0)
    bounds = starts + [len(text)]
    return [(bounds[i], text[bounds[i] : bounds[i + 1]]) for i in range(len(starts))]


def _is_blank(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str) -> tuple[Optional[Node], Any, tuple[SyntaxProblem, ...]]:
    # Keyed by the document's own text: an edit re-parses only the document it touched.
    try:
        yaml_root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        return None, None, (_marked_problem(text, exc),)
    except yaml.YAMLError as exc:  # ReaderError: control characters, invalid code points
        position = getattr(exc, "position", 0) or 0
        return None, None, (SyntaxProblem(_token_span(text, position), _reader_message(exc)),)
    except Exception as exc:  # noqa: BLE001 - the parser must never take the server down
        return None, None, (SyntaxProblem(Span(0, 0), f"Unable to parse YAML: {exc}"),)
    if yaml_root is None:
        return None, None, ()
    shape = _shape_problem(yaml_root, text)
    if shape is not None:
        return None, None, (shape,)
    duplicates: list[SyntaxProblem] = []
    root = _convert(yaml_root, duplicates, set())
    if any(p.message.startswith("Recursive") for p in duplicates):
        return root, None, tuple(duplicates)
    try:
        value = yaml.constructor.SafeConstructor().construct_document(yaml_root)
    except yaml.YAMLError as exc:  # e.g. an unhashable key such as `? [a, b]`
        return root, None, (SyntaxProblem(_node_span(yaml_root), f"Unable to read YAML: {exc}"),)
    return root, value, tuple(duplicates)


def _shape_problem(root: yaml.Node, text: str) -> Optional[SyntaxProblem]:
    """Too deep a nesting, or aliases that expand the document too much ("billion laughs"), else None.

    Walks each node once (an alias is the same node object again) without recursion: heights and
    expanded sizes are memoised, so neither a deep nor an alias-heavy document costs more than its text.
    Both are measured as expanded, because the walkers after this one follow aliases.
    """
    height: dict[int, int] = {}
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    active: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            active.discard(key)
            # A node inside itself (`&a [*a]`) counts once here; `_convert` reports it.
            height[key] = 1 + max((height.get(id(c), 0) for c in children), default=0)
            size[key] = 1 + sum(size.get(id(c), 1) for c in children)
        elif key not in size and key not in active:
            if isinstance(node, yaml.CollectionNode):
                active.add(key)
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(_children(node)))
            else:
                height[key], size[key] = 0, 1  # scalars are no level of nesting
    if height[id(root)] > MAX_NESTING:
        return SyntaxProblem(
            _opening(_too_deep(root, height), text),
            f"Nesting is too deep: more than {MAX_NESTING} levels of mappings and lists",
        )
    if size[id(root)] - len(size) > MAX_EXPANDED_NODES:  # expanded minus distinct: what aliases add
        return SyntaxProblem(_node_span(root), "Aliases expand this document to too many nodes")
    return None


def _too_deep(root: yaml.Node, height: dict[int, int]) -> yaml.Node:
    """The first collection at level MAX_NESTING + 1, down the first path that is too deep."""
    node, level = root, 1
    while level <= MAX_NESTING:
        node = next(c for c in _children(node) if level + height.get(id(c), 0) > MAX_NESTING)
        level += 1
    return node


def _opening(node: yaml.Node, text: str) -> Span:
    """Where a node opens: its first character for a flow collection, else the rest of its first line."""
    start, end = node.start_mark.index, node.end_mark.index
    if getattr(node, "flow_style", False):
        return Span(start, start + 1)
    newline = text.find("\n", start, end)
    return Span(start, newline if newline != -1 else end)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [c for pair in node.value for c in pair]
    return node.value if isinstance(node, yaml.SequenceNode) else []


def _convert(node: yaml.Node, duplicates: list[SyntaxProblem], active: set[int]) -> Node:
    span = _node_span(node)
    if id(node) in active:  # `&a [*a]`: an alias inside its own anchor
        duplicates.append(SyntaxProblem(span, "Recursive alias: a node contains itself"))
        return Node(SCALAR, span, "tag:yaml.org,2002:null")
    if isinstance(node, yaml.MappingNode):
        pairs = []
        seen: set[str] = set()
        active.add(id(node))
        for key, value in node.value:
            k, v = _convert(key, duplicates, active), _convert(value, duplicates, active)
            if k.kind == SCALAR:
                if k.text in seen:
                    duplicates.append(SyntaxProblem(k.span, f"Duplicate key '{k.text}'"))
                seen.add(k.text or "")
            pairs.append((k, v))
        active.discard(id(node))
        return Node(MAP, span, node.tag, pairs=pairs)
    if isinstance(node, yaml.SequenceNode):
        active.add(id(node))
        items = [_convert(item, duplicates, active) for item in node.value]
        active.discard(id(node))
        return Node(SEQ, span, node.tag, items=items)
    return Node(SCALAR, span, node.tag, text=node.value, style=getattr(node, "style", None) or None)


def _node_span(node: yaml.Node) -> Span:
    return Span(node.start_mark.index, node.end_mark.index)


def _marked_problem(text: str, exc: yaml.MarkedYAMLError) -> SyntaxProblem:
    mark = exc.problem_mark or exc.context_mark
    if exc.context_mark is not None and "end of stream" in (exc.problem or ""):
        mark = exc.context_mark  # an unclosed quote or bracket: point at where it opened
    offset = mark.index if mark is not None else 0
    problem = exc.problem or "invalid YAML"
    context = f" {exc.context}" if exc.context else ""
    where = ""
    if text[offset : offset + 1] == "\t" or "tab" in problem:
        where += " (YAML does not allow tabs for indentation)"
    message = f"{problem[0].upper()}{problem[1:]}{context and ' —' + context}{where}"
    if "end of stream" in problem and "quoted scalar" in context:
        message = "Unclosed quote: this string is never closed (the file ends first)"
    return SyntaxProblem(_token_span(text, offset), message)


def _reader_message(exc: yaml.YAMLError) -> str:
    character = getattr(exc, "character", None)
    if isinstance(character, str) and len(character) == 1:
        character = ord(character)
    if isinstance(character, int):
        return f"Unacceptable character #x{character:04x}: special characters are not allowed in YAML"
    return f"Unable to read YAML: {exc}"


def _token_span(text: str, offset: int) -> Span:
    """From the offset to the end of its token (at least one character when there is one)."""
    offset = min(max(offset, 0), len(text))
    end = offset
    while end < len(text) and text[end] not in " \t\r\n":
        end += 1
    if end == offset and offset < len(text) and text[offset] not in "\r\n":
        end += 1
    if end == offset and offset > 0:  # at the end of a line or the file: mark the last character before
        back = offset
        while back > 0 and text[back - 1] in " \t\r\n":
            back -= 1
        return Span(back - 1, back) if back > 0 else Span(offset - 1, offset)
    if text[offset : offset + 1] in ("'", '"'):  # an unclosed quote: the rest of its line
        newline = text.find("\n", offset)
        end = newline if newline != -1 else len(text)
    return Span(offset, end)


def _tree_path_at(root: Node, offset: int, text: str) -> Optional[KeyPath]:
    """Key path of the innermost key or value that contains the offset, or None if outside any."""
    path: list[str | int] = []
    node = root
    while True:
        if node.kind == MAP:
            for key, value in node.pairs:
                if key.span.contains(offset):
                    return (*path, key.text) if key.text is not None else tuple(path)
                if value.span.start <= offset <= value.span.end and value.span.end > value.span.start:
                    path.append(key.text if key.text is not None else "")
                    node = value
                    break
                if (
                    value.span.start == value.span.end
                    and key.span.end < offset
                    and "\n" not in text[key.span.end : offset]
                ):
                    return (*path, key.text if key.text is not None else "")  # `key: |` with no value yet
            else:
                return tuple(path) if node.span.contains(offset) else None
        elif node.kind == SEQ:
            for i, item in enumerate(node.items):
                if item.span.contains(offset):
                    path.append(i)
                    node = item
                    break
            else:
                return tuple(path) if node.span.contains(offset) else None
        else:
            return tuple(path)


def indentation_key_path(text: str, offset: int) -> KeyPath:
    """The key path at an offset from indentation alone: works on text YAML cannot parse.

    Walking up from the cursor line, each key or `-` item at a smaller column than the
    innermost one found so far encloses the cursor; items count as indices among their siblings.
    """
    offset = min(max(offset, 0), len(text))
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    current = text[line_start : line_end if line_end != -1 else len(text)]
    column = offset - line_start
    lines = text[:line_start].split("\n")[:-1]
    path: list[str | int] = []
    limit = min(column, _indent_of(current)) if current.strip() else column
    from_item = False
    for kind, col, key in _elements(current):
        if col < column:
            path.append(key if kind == "key" else _item_index(lines, col))
            limit, from_item = min(limit, col), kind == "item"
    if path:
        limit = _elements(current)[0][1]
    for row in range(len(lines) - 1, -1, -1):
        if limit == 0 and not from_item:
            break
        elements = _elements(lines[row])
        for kind, col, key in reversed(elements):
            owner = from_item and kind == "key" and col == limit and _ends_with_colon(lines[row])
            if col < limit or owner:
                path.insert(0, key if kind == "key" else _item_index(lines[:row], col))
                limit, from_item = col, kind == "item"
    return tuple(path)


def _elements(line: str) -> list[tuple[str, int, str | int]]:
    """The structural elements a line opens, left to right: ("item", column, 0) and ("key", column, name)."""
    stripped = line.lstrip(" ")
    if not stripped or stripped.startswith("#") or stripped.startswith("---"):
        return []
    col = len(line) - len(stripped)
    out: list[tuple[str, int, str | int]] = []
    while stripped.startswith("-") and (len(stripped) == 1 or stripped[1] in " \t"):
        out.append(("item", col, 0))
        rest = stripped[1:].lstrip(" \t")
        col += len(stripped) - len(rest)
        stripped = rest
    key = leading_key(stripped)
    if key is not None:
        out.append(("key", col, unquote_key(key[0])))
    return out


def leading_key(text: str, cr: bool = True) -> Optional[tuple[str, int]]:
    """The key a line (without its indentation) starts with, as written, and the offset after its `:`:
    a quoted key, or a plain one before the first `: ` that no `#` precedes (`cr`: a `\r` may follow
    the colon, for CRLF files). Linear: the regex it replaces, a lazy key before `[ \t]*:`, backtracked
    quadratically on a long run of spaces with no colon."""
    ends = ("", " ", "\t", "\r") if cr else ("", " ", "\t")
    quoted = _QUOTED_KEY.match(text)
    if quoted:
        rest = text[quoted.end() :].lstrip(" \t")
        colon = len(text) - len(rest)
        return (quoted.group(), colon + 1) if rest[:1] == ":" and rest[1:2] in ends else None
    if not text or text[0].isspace() or text[0] in _NOT_PLAIN_START:
        return None
    colon = text.find(":", 1)
    while colon != -1 and text[colon + 1 : colon + 2] not in ends:
        colon = text.find(":", colon + 1)
    if colon == -1 or "#" in text[:colon]:
        return None
    return text[:colon].rstrip(" \t"), colon + 1


def _item_index(lines: list[str], column: int) -> int:
    """The index of an item at `column` on the line after `lines`: its earlier siblings in the block."""
    count = 0
    for line in reversed(lines):
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if indent < column or (indent == column and not stripped.startswith("-")):
            break
        if indent == column:
            count += 1
    return count


def _ends_with_colon(line: str) -> bool:
    return line.split(" #")[0].rstrip().endswith(":")


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def unquote_key(key: str) -> str:
    key = key.strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
        return key[1:-1]
    return key
