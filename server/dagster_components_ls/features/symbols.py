"""Outline symbols of a defs.yaml (one per component document) and workspace symbols for every component."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Optional, cast

from lsprotocol import types

from ..model.context import CheckContext, resolve_typename
from ..model.documents import MAP, SCALAR, SEQ, Node, ParsedFile, YamlDocument
from ..model.positions import UTF16, LineIndex, Span
from .definition import file_uri
from .lsp_ranges import lsp_range

# The attribute that tells instances of a type apart, shown next to the type; the first one present wins.
MAIN_ATTRIBUTES = ("asset_key", "project", "name", "path", "script", "notebook")
MAX_DETAIL = 60


def document_symbols(parsed: ParsedFile, ctx: CheckContext, index: LineIndex) -> list[types.DocumentSymbol]:
    """One symbol per document, named after its type, with its keys nested beneath; empty documents are left out."""
    out = []
    for doc in parsed.documents:
        symbol = _document_symbol(doc, ctx, index)
        if symbol is not None:
            out.append(symbol)
    return out


def workspace_symbols(
    files: Iterable[tuple[Path, ParsedFile]], query: str, roots: Iterable[Path] = (), encoding: str = UTF16
) -> list[types.WorkspaceSymbol]:
    """Every component instance as `<type short name> <folder>`, the folder relative to the first of `roots`
    (defs folders) that holds it; filtered by a case-insensitive subsequence match of the query."""
    roots = list(roots)
    found = []
    for path, parsed in files:
        folder = _folder_name(path.parent, roots)
        index: Optional[LineIndex] = None
        for doc in parsed.documents:
            node = _type_node(doc)
            if node is None:
                continue
            typename = (node.text or "").strip()
            name = f"{_short(typename)} {folder}"
            if not matches(query, name):
                continue
            index = index or LineIndex(parsed.text, encoding)
            location = types.Location(uri=file_uri(path), range=lsp_range(index, node.span.shifted(doc.start)))
            found.append(
                types.WorkspaceSymbol(
                    name=name, kind=types.SymbolKind.Class, location=location, container_name=typename
                )
            )
    return sorted(
        found, key=lambda s: (s.name.lower(), s.location.uri, cast(types.Location, s.location).range.start.line)
    )


def matches(query: str, name: str) -> bool:
    """Case-insensitive subsequence: `rjchurn` matches `ResearchJob research/churn`."""
    rest = iter(name.lower())
    return all(ch in rest for ch in query.strip().lower())


def _document_symbol(doc: YamlDocument, ctx: CheckContext, index: LineIndex) -> Optional[types.DocumentSymbol]:
    full = lsp_range(index, doc.span)
    fallback = f"Document {doc.index + 1}"
    if doc.root is None or (doc.root.kind == SCALAR and not doc.root.text and doc.root.tag.endswith(":null")):
        if not doc.problems:
            return None  # only comments (or `---` alone)
        return types.DocumentSymbol(
            name=fallback,
            detail="invalid YAML",
            kind=types.SymbolKind.Class,
            range=full,
            selection_range=lsp_range(index, doc.first_line().shifted(doc.start)),
        )
    node = _type_node(doc)
    typename = (node.text or "").strip() if node is not None else ""
    detail: Optional[str]
    if node is not None:
        detail = resolve_typename(typename, ctx) or typename
        main = _main_attribute(doc.root)
        detail += f" · {main}" if main else ""
        selection = node.span
    else:
        detail = None if doc.root.kind == MAP else "not a mapping"
        selection = doc.first_line()
    return types.DocumentSymbol(
        name=_short(typename) if typename else fallback,
        detail=detail,
        kind=types.SymbolKind.Class,
        range=full,
        selection_range=lsp_range(index, selection.shifted(doc.start)),
        children=_children(doc, doc.root, index, top=True),
    )


def _children(doc: YamlDocument, node: Node, index: LineIndex, top: bool = False) -> list[types.DocumentSymbol]:
    out = []
    for key, value in node.pairs:
        own = value.span.start >= key.span.end  # an alias's span is its anchor's, elsewhere in the document
        span = Span(key.span.start, max(key.span.end, value.span.end)) if own else key.span
        out.append(_symbol(doc, _key_name(doc, key), value, span, key.span, index, top, own))
    for i, item in enumerate(node.items):
        out.append(_symbol(doc, f"[{i}]", item, item.span, item.span, index, False, True))
    return out


def _symbol(
    doc: YamlDocument, name: str, value: Node, span: Span, selection: Span, index: LineIndex, top: bool, own: bool
) -> types.DocumentSymbol:
    if value.kind == MAP:
        kind = types.SymbolKind.Namespace if top else types.SymbolKind.Object
    elif value.kind == SEQ:
        kind = types.SymbolKind.Array
    else:
        kind = types.SymbolKind.Field if top else types.SymbolKind.Property
    return types.DocumentSymbol(
        name=name,
        detail=_one_line(value.text) if value.kind == SCALAR and value.text else None,
        kind=kind,
        range=lsp_range(index, span.shifted(doc.start)),
        selection_range=lsp_range(index, selection.shifted(doc.start)),
        children=_children(doc, value, index) if own and value.kind != SCALAR else None,
    )


def _key_name(doc: YamlDocument, key: Node) -> str:
    """Symbol names must not be empty: `""` for an empty key, the source text of a complex key."""
    if key.kind == SCALAR and key.text:
        return key.text
    if key.kind == SCALAR:
        return '""'
    return _one_line(doc.text[key.span.start : key.span.end]) or "?"


def _type_node(doc: YamlDocument) -> Optional[Node]:
    node = doc.root.get("type") if doc.root is not None and doc.root.kind == MAP else None
    if node is None or node.kind != SCALAR or not node.tag.endswith(":str") or not (node.text or "").strip():
        return None
    return node


def _main_attribute(root: Node) -> Optional[str]:
    attributes = root.get("attributes")
    for name in MAIN_ATTRIBUTES:
        value = attributes.get(name) if attributes is not None else None
        if value is not None and value.kind == SCALAR and value.text:
            return _one_line(value.text)
    return None


def _short(typename: str) -> str:
    return typename.rsplit(".", 1)[-1] or typename


def _folder_name(folder: Path, roots: list[Path]) -> str:
    for root in roots:
        try:
            relative = folder.relative_to(root)
        except ValueError:
            continue
        return relative.as_posix() if relative.parts else root.name
    return folder.name


def _one_line(text: Optional[str]) -> str:
    lines = (text or "").strip().splitlines()
    first = lines[0] if lines else ""
    if len(first) > MAX_DETAIL or len(lines) > 1:
        return first[:MAX_DETAIL].rstrip() + "…"
    return first
