"""The names that tie component files together (component types, asset keys, template variables): what is
under the cursor, and where each one occurs in a file; references and document highlight answer from these."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from lsprotocol import types

from ..model import templates
from ..model.context import CheckContext, resolve_typename
from ..model.documents import MAP, SCALAR, SEQ, Node, ParsedFile, YamlDocument
from ..model.loaded import Loaded
from ..model.positions import KeyPath, LineIndex, Span
from ..model.yaml_edits import unquoted
from .definition import definition, file_uri, template_name_at, user_var_origin
from .lineage import ASSET_KEY_FIELDS, asset_at
from .lsp_ranges import lsp_range

TYPE, ASSET, TEMPLATE_VAR = "type", "asset", "template_var"
# Fields whose value names the asset the document produces (the others name assets it reads).
PRODUCING_FIELDS = frozenset({"asset_key", "key"})
ASSET_FIELDS = ASSET_KEY_FIELDS | PRODUCING_FIELDS
_ASSET_SECTIONS = ("attributes", "post_processing")


@dataclass(frozen=True)
class Name:
    """A name under the cursor: a type (absolute typename), an asset key, or a template variable (with the
    module path or component key that defines it)."""

    kind: str
    name: str
    span: Span
    """In the file, without quotes."""
    origin: Optional[str] = None


@dataclass(frozen=True)
class Occurrence:
    """Where a file names a Name; `write` for the field that produces an asset (`asset_key`)."""

    span: Span
    """In the file, without quotes (a key written as a list of parts: the whole list)."""
    write: bool = False
    quoted: bool = False
    parts: tuple[tuple[Span, Optional[str]], ...] = ()
    """A key written as a list of parts (`asset_key: [research, churn]`): each part's span in the file
    (without quotes) and its quote style."""


@dataclass(frozen=True)
class WorkspaceFile:
    """A component file of the workspace with its parse and its check context."""

    path: Path
    parsed: ParsedFile
    ctx: CheckContext


def name_at(parsed: ParsedFile, offset: int, ctx: CheckContext, loaded: Optional[Loaded] = None) -> Optional[Name]:
    """The type value, asset key (in an asset-key field, or any scalar the load knows as an asset) or template
    variable at the cursor; None elsewhere."""
    doc = parsed.document_at(offset)
    if doc is None or doc.root is None:
        return None
    at = offset - doc.start
    for _, listed in key_lists(doc.root):
        span = list_span(doc, listed)
        if span.contains(at) or span.end == at:
            return Name(ASSET, "/".join(item.text or "" for item in listed.items), span.shifted(doc.start))
    for path, node in scalars(doc.root):
        if not node.span.contains(at):
            continue
        text = (node.text or "").strip()
        span = unquoted(node).shifted(doc.start)
        if path == ("type",) and text and is_string(node):
            typename = resolve_typename(text, ctx)
            return Name(TYPE, typename, span) if typename else None
        if is_asset_position(path) and is_string(node) and is_asset_key(text):
            return Name(ASSET, text, span)
        var = template_name_at(doc, node, at)
        if var is not None and var.owner is None:
            origin = user_var_origin(var.name, doc, ctx)
            return Name(TEMPLATE_VAR, var.name, var.span.shifted(doc.start), origin) if origin else None
        found = asset_at(parsed, offset, loaded) if loaded is not None else None
        return Name(ASSET, found[0], span) if found is not None else None
    return None


def occurrences(parsed: ParsedFile, name: Name, ctx: CheckContext) -> list[Occurrence]:
    """Every place one file names `name`, in file order (documents YAML could not parse are skipped)."""
    if name.kind == TEMPLATE_VAR:
        return template_occurrences(parsed, name, ctx)
    out = []
    for doc in parsed.documents:
        if doc.root is None:
            continue
        for path, node in scalars(doc.root):
            if not is_string(node):
                continue
            text = (node.text or "").strip()
            span = unquoted(node)
            quoted = node.style in ("'", '"')
            if name.kind == TYPE and path == ("type",) and text and resolve_typename(text, ctx) == name.name:
                out.append(Occurrence(span.shifted(doc.start), quoted=quoted))
            elif name.kind == ASSET and text == name.name and is_asset_position(path):
                write = path[-1] in PRODUCING_FIELDS
                out.append(Occurrence(span.shifted(doc.start), write, quoted))
        if name.kind == ASSET:
            out.extend(_listed(doc, name))
    return sorted(out, key=lambda o: o.span.start)


def _listed(doc: YamlDocument, name: Name) -> Iterator[Occurrence]:
    assert doc.root is not None
    for _, listed in key_lists(doc.root):
        if "/".join(item.text or "" for item in listed.items) == name.name:
            parts = tuple((unquoted(item).shifted(doc.start), item.style) for item in listed.items)
            yield Occurrence(list_span(doc, listed).shifted(doc.start), write=True, parts=parts)


def list_span(doc: YamlDocument, listed: Node) -> Span:
    """A flow list from `[` to `]`; a block list from its first `-` to the end of its last item (YAML's
    own span runs on to the next key's indentation)."""
    if doc.text[listed.span.start : listed.span.start + 1] == "[":
        return listed.span
    return Span(listed.span.start, listed.items[-1].span.end)


def key_lists(root: Node, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Node]]:
    """The asset keys a document produces written as lists of parts (`asset_key: [research, churn]`, as
    a component whose key field is a `list[str]` takes them): the list nodes."""
    if root.kind == SEQ:
        if _is_key_list(path, root):
            yield path, root
        return
    for key, value in root.pairs if root.kind == MAP else ():
        if key.kind == SCALAR and key.text is not None and value.span.start >= key.span.end:
            yield from key_lists(value, (*path, key.text))


def _is_key_list(path: KeyPath, node: Node) -> bool:
    return (
        bool(path)
        and path[-1] in PRODUCING_FIELDS
        and is_asset_position(path)
        and bool(node.items)
        and all(is_string(i) and is_asset_key(i.text or "") and "/" not in (i.text or "") for i in node.items)
    )


def _template_uses(doc: YamlDocument, node: Node, name: Name) -> Iterator[Occurrence]:
    if "{{" not in (node.text or "") or name.name not in templates.names_used(node.text or ""):
        return
    source = doc.text[node.span.start : node.span.end]
    for at in templates.name_offsets(source, name.name):
        start = doc.start + node.span.start + at
        yield Occurrence(Span(start, start + len(name.name)))


def scalars(root: Node, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Node]]:
    """Every scalar value under a node with its key path (not keys; an alias's anchored value is skipped)."""
    if root.kind == SCALAR:
        yield path, root
        return
    if root.kind == MAP:
        for key, value in root.pairs:
            if key.kind == SCALAR and key.text is not None and value.span.start >= key.span.end:
                yield from scalars(value, (*path, key.text))
    for i, item in enumerate(root.items):
        yield from scalars(item, (*path, i))


def is_asset_position(path: KeyPath) -> bool:
    """`attributes.asset_key`, a `deps` item, a translation's `key`, a post-processing `target`... (not a
    part of a key written as a list: `asset_key: [research, churn]` is one key, see key_lists)."""
    names = [p for p in path if isinstance(p, str)]
    if len(path) >= 2 and isinstance(path[-1], int) and path[-2] in PRODUCING_FIELDS:
        return False
    return len(names) >= 2 and names[0] in _ASSET_SECTIONS and names[-1] in ASSET_FIELDS


def is_asset_key(text: str) -> bool:
    """A literal key (not a selection such as `*`, nor a template)."""
    return bool(text) and "{" not in text and not any(c in text for c in "*+ :,")


def is_string(node: Node) -> bool:
    return node.kind == SCALAR and node.tag.endswith(":str")


def references(
    name: Name,
    files: Iterable[WorkspaceFile],
    encoding: str,
    declarations: Iterable[types.Location] = (),
    include_writes: bool = True,
) -> list[types.Location]:
    """Every occurrence of `name` across the files, in file order, after the declarations; without
    `include_writes`, the fields producing an asset (its declaration) are left out."""
    out = list(declarations)
    seen = {(loc.uri, loc.range.start.line, loc.range.start.character) for loc in out}
    for file in files:
        found = occurrences(file.parsed, name, file.ctx)
        if not found:
            continue
        index, uri = LineIndex(file.parsed.text, encoding), file_uri(file.path)
        for occurrence in found:
            if occurrence.write and not include_writes:
                continue
            location = types.Location(uri=uri, range=lsp_range(index, occurrence.span))
            if (uri, location.range.start.line, location.range.start.character) not in seen:
                out.append(location)
    return out


def template_occurrences(parsed: ParsedFile, name: Name, ctx: CheckContext) -> list[Occurrence]:
    """The uses of a template variable defined where `name.origin` says (a module file, a component key)."""
    out: list[Occurrence] = []
    for doc in parsed.documents:
        if doc.root is None or user_var_origin(name.name, doc, ctx) != name.origin:
            continue
        for _, node in scalars(doc.root):
            if is_string(node):
                out.extend(_template_uses(doc, node, name))
    return out


def declaration(parsed: ParsedFile, name: Name, ctx: CheckContext, index: LineIndex) -> list[types.Location]:
    """A type's Python class or a template variable's `@template_var` function (what go-to-definition gives)."""
    if name.kind == ASSET:
        return []
    return definition(parsed, name.span.start, ctx, index)


def highlights(
    parsed: ParsedFile, offset: int, ctx: CheckContext, index: LineIndex, loaded: Optional[Loaded] = None
) -> list[types.DocumentHighlight]:
    """The name at the cursor wherever this file names it; the producing `asset_key` as Write."""
    name = name_at(parsed, offset, ctx, loaded)
    if name is None:
        return []
    return [
        types.DocumentHighlight(range=lsp_range(index, o.span), kind=_highlight_kind(name.kind, o))
        for o in occurrences(parsed, name, ctx)
    ]


def _highlight_kind(kind: str, occurrence: Occurrence) -> types.DocumentHighlightKind:
    if kind == ASSET:
        return types.DocumentHighlightKind.Write if occurrence.write else types.DocumentHighlightKind.Read
    return types.DocumentHighlightKind.Read if kind == TEMPLATE_VAR else types.DocumentHighlightKind.Text


def instance_count(files: Iterable[WorkspaceFile], typename: str) -> int:
    """How many documents of the workspace's component files have this (absolute) type."""
    name = Name(TYPE, typename, Span(0, 0))
    return sum(len(occurrences(f.parsed, name, f.ctx)) for f in files)


def counted_hover(hover: types.Hover, count: int, footer: str = "\n\n---\n\n") -> types.Hover:
    """A type's hover with "N instances in the workspace", before its last `---` section (package, source)."""
    if not isinstance(hover.contents, types.MarkupContent):
        return hover
    line = f"{count} instance{'' if count == 1 else 's'} in the workspace"
    body, found, tail = hover.contents.value.rpartition(footer)
    value = f"{body}\n\n{line}{found}{tail}" if found else f"{hover.contents.value}\n\n{line}"
    return types.Hover(contents=types.MarkupContent(kind=hover.contents.kind, value=value), range=hover.range)
