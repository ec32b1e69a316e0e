"""Where a policy's finding goes in a document: the value at a key path, an asset's key, the first key."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Optional

from ...model.documents import MAP, SCALAR, Node, YamlDocument
from ...model.positions import Span


def path_span(doc: YamlDocument, path: Sequence[Any]) -> Span:
    """Where a violation at a key path goes (relative to the document): a scalar value, else its key,
    else the deepest existing key on the path, else the document's first key."""
    key: Optional[Node] = None
    node = doc.root
    depth = 0
    for part in path:
        child = (
            node.get(part) if node is not None and isinstance(part, (str, int)) and not isinstance(part, bool) else None
        )
        if child is None:
            break
        key = node.key_node(part) if node.kind == MAP else child  # type: ignore[union-attr]
        node, depth = child, depth + 1
    if depth == len(path) and node is not None and node.kind == SCALAR and node.span.end > node.span.start:
        return node.span
    return key_span(key, doc) if key is not None else first_key(doc)


def asset_span(doc: YamlDocument, asset_key: str) -> Span:
    """Where an asset's violation goes: a string in the document equal to its key, else the `type` value."""
    if doc.root is not None:
        for node in scalars(doc.root):
            if node.text == asset_key and node.tag.endswith(":str"):
                return node.span
        type_node = doc.root.get("type") if doc.root.kind == MAP else None
        if type_node is not None:
            return type_node.span
    return first_key(doc)


def scalars(node: Node) -> Iterator[Node]:
    if node.kind == SCALAR:
        yield node
    for _, value in node.pairs:
        yield from scalars(value)
    for item in node.items:
        yield from scalars(item)


def first_key(doc: YamlDocument) -> Span:
    if doc.root is not None and doc.root.kind == MAP and doc.root.pairs:
        return doc.root.pairs[0][0].span
    stripped = doc.text.lstrip()
    start = len(doc.text) - len(stripped)
    return Span(start, start + len(stripped.split("\n", 1)[0].rstrip()))


def key_span(node: Optional[Node], doc: YamlDocument) -> Span:
    if node is not None and node.kind == MAP and node.pairs:
        node = node.pairs[0][0]  # a list item: its first key, not all its lines
    if node is not None:
        return node.span
    return first_key(doc)
