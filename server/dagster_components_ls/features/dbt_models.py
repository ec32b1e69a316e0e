"""dbt models you can follow: hover and definition on a model's asset key, `node.` completion in a translation, from the project's manifests."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from lsprotocol import types

from ..model.documents import SCALAR, ParsedFile, YamlDocument
from ..model.loaded import Loaded
from ..model.positions import LineIndex, Span
from ..model.uris import from_path
from .dbt_selection import selection_cursor
from .lineage import asset_at
from .lsp_ranges import lsp_range

Vocabulary = Mapping[str, Any]
"""One manifest's vocabulary (protocol.DbtVocabulary): nodes, selectors, node_fields, project_dir."""
ReadText = Callable[[str], Optional[str]]
"""A file's text by absolute path, None when it cannot be read (the lsp layer's, from disk or the editor)."""
FOLLOWED = ("model", "seed", "snapshot")
"""The nodes that become assets, whose names a `deps` can hold."""
SHOWN_COLUMNS = 20
_GRAPH_OPERATORS = re.compile(r"^(?:@|\d*\+)?(?P<name>.*?)(?:\+\d*)?$")
# A schema file's top-level key (`models:`) and an entry of its lists (`  - name: customers`).
_TOP_KEY = re.compile(r"^([A-Za-z_]\w*)\s*:")
_ENTRY = re.compile(r"^(?P<lead>(?P<indent>[ \t]*)-[ \t]+name[ \t]*:[ \t]*['\"]?)(?P<name>[^'\"#\s]+)")
# `node.` up to the cursor, in the line's last `{{` expression, still open: `key: "main/{{ node.na`
_NODE_MEMBER = re.compile(r"\bnode\.(?P<partial>\w*)$")


@dataclass(frozen=True)
class Manifests:
    """A project's manifests' vocabularies, and its models indexed by name (built once per answer, not per request)."""

    vocabularies: tuple[Vocabulary, ...] = ()
    models: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Model (seed, snapshot) name -> its node, with its vocabulary's `project_dir`."""

    @classmethod
    def of(cls, vocabularies: Iterable[Vocabulary]) -> Manifests:
        kept = tuple(vocabularies)
        return cls(kept, followed_nodes(kept))

    def node_fields(self) -> list[str]:
        return sorted({f for v in self.vocabularies for f in v.get("node_fields") or ()})


NO_MANIFESTS = Manifests()
"""Before any dbt document's answer: nothing is followed."""


def followed_nodes(vocabularies: Iterable[Vocabulary]) -> dict[str, Mapping[str, Any]]:
    """Model (seed, snapshot) name -> its node and the vocabulary's project_dir, first manifest wins."""
    found: dict[str, Mapping[str, Any]] = {}
    for vocabulary in vocabularies:
        for node in vocabulary.get("nodes") or ():
            if node.get("resource_type") in FOLLOWED and isinstance(node.get("name"), str):
                found.setdefault(node["name"], {**node, "project_dir": vocabulary.get("project_dir") or ""})
    return found


def node_for_key(key: str, nodes: Mapping[str, Mapping[str, Any]], loaded: Optional[Loaded]) -> Optional[Mapping]:
    """The node an asset key names: by default a dbt asset's key is the model's name; under a key
    template (`target/main/{{ node.name }}`) its last part, when the load says the asset is dbt's."""
    if key in nodes:
        return nodes[key]
    last = key.rsplit("/", 1)[-1]
    asset = loaded.assets.get(key) if loaded is not None else None
    if last in nodes and asset is not None and "dbt" in (asset.get("kinds") or ()):
        return nodes[last]
    return None


def model_at(
    parsed: ParsedFile, offset: int, nodes: Mapping[str, Mapping[str, Any]], loaded: Optional[Loaded]
) -> Optional[tuple[Mapping[str, Any], Span]]:
    """The node named at the cursor and the file span naming it: a `deps` item (of any component), any
    string the load knows as a dbt asset's key, or a criterion of a dbt `select`/`exclude` (graph
    operators aside)."""
    doc = parsed.document_at(offset)
    if doc is None or not nodes:
        return None
    item = _deps_item_at(doc, offset - doc.start)
    if item is not None and item.text is not None:
        node = node_for_key(item.text, nodes, loaded)
        return (node, item.span.shifted(doc.start)) if node is not None else None
    known = asset_at(parsed, offset, loaded) if loaded is not None else None
    if loaded is not None and known is not None and "dbt" in (loaded.assets[known[0]].get("kinds") or ()):
        node = node_for_key(known[0], nodes, loaded)  # another field naming a dbt asset (a metric's `table`)
        if node is not None:
            return node, known[1]
    cursor = selection_cursor(parsed, offset)
    if cursor is None or cursor.field == "selector":
        return None
    end = offset
    while end < len(parsed.text) and parsed.text[end] not in " \n\r\"'":
        end += 1
    criterion = parsed.text[cursor.start : end]
    match = _GRAPH_OPERATORS.match(criterion)
    name = match.group("name") if match else ""
    if name not in nodes:
        return None
    start = cursor.start + criterion.index(name)
    return nodes[name], Span(start, start + len(name))


def _deps_item_at(doc: YamlDocument, offset: int) -> Optional[Any]:
    """The string scalar under the cursor that is an item of a `deps` list, anywhere in the document."""
    if doc.root is None:
        return None
    stack = [doc.root]
    while stack:
        node = stack.pop()
        for key, value in node.pairs:
            if key.text == "deps" and value.items:
                for item in value.items:
                    if item.kind == SCALAR and item.span.start <= offset <= item.span.end:
                        return item
            stack.append(value)
        stack.extend(node.items)
    return None


def model_hover_text(node: Mapping[str, Any]) -> str:
    """A model's description, materialization, columns and files (relative to its dbt project)."""
    lines = [f"**dbt {node.get('resource_type')}** `{node.get('name')}` (`{node.get('unique_id')}`)"]
    if node.get("description"):
        lines += ["", str(node["description"])]
    schema = schema_file(node)
    facts = [
        ("Materialized", node.get("materialized")),
        ("File", f"`{node['original_file_path']}`" if node.get("original_file_path") else None),
        ("Documented in", f"`{schema}`" if schema else None),
    ]
    lines += [""] + [f"- {name}: {value}" for name, value in facts if value]
    columns = list(node.get("columns") or ())
    if columns:
        lines += ["", f"Columns ({len(columns)}):", ""]
        for column in columns[:SHOWN_COLUMNS]:
            said = f": {column['description']}" if column.get("description") else ""
            lines.append(f"- `{column.get('name')}`{said}")
        if len(columns) > SHOWN_COLUMNS:
            lines.append(f"- … and {len(columns) - SHOWN_COLUMNS} more")
    return "\n".join(lines)


def model_hover(
    parsed: ParsedFile, offset: int, index: LineIndex, manifests: Manifests, loaded: Optional[Loaded]
) -> Optional[types.Hover]:
    found = model_at(parsed, offset, manifests.models, loaded)
    if found is None:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=model_hover_text(found[0])),
        range=lsp_range(index, found[1]),
    )


def schema_file(node: Mapping[str, Any]) -> Optional[str]:
    """The schema file documenting a node, relative to its project: `jaffle_shop://models/schema.yml` -> `models/schema.yml`."""
    patch = node.get("patch_path")
    if not isinstance(patch, str) or not patch:
        return None
    return patch.split("://", 1)[1] if "://" in patch else patch


def schema_entry(text: str, node: Mapping[str, Any]) -> Optional[tuple[int, int]]:
    """(line, character) of the node's name in its `- name: <name>` entry of a schema file's `models:`
    (or `seeds:`, `snapshots:`) section."""
    section, current, items = f"{node.get('resource_type')}s", None, None
    for number, line in enumerate(text.splitlines()):
        top = _TOP_KEY.match(line)
        if top is not None:
            current, items = top.group(1), None
            continue
        match = _ENTRY.match(line) if current == section else None
        if match is None:
            continue
        items = len(match.group("indent")) if items is None else items  # the section's own items, not columns
        if len(match.group("indent")) == items and match.group("name") == node.get("name"):
            return number, len(match.group("lead"))
    return None


def model_definition(
    parsed: ParsedFile, offset: int, manifests: Manifests, loaded: Optional[Loaded], read: ReadText
) -> Optional[list[types.Location]]:
    """A model's file (at its first line), then its entry in the schema file that documents it; None
    when the cursor names no model or its files cannot be read."""
    found = model_at(parsed, offset, manifests.models, loaded)
    if found is None:
        return None
    node = found[0]
    project_dir = str(node.get("project_dir") or "")
    locations = []
    sql = node.get("original_file_path")
    if project_dir and isinstance(sql, str) and read(os.path.join(project_dir, sql)) is not None:
        locations.append(_location(os.path.join(project_dir, sql), 0, 0, 0))
    schema = schema_file(node)
    text = read(os.path.join(project_dir, schema)) if project_dir and schema else None
    where = schema_entry(text, node) if text is not None else None
    if where is not None and schema is not None:
        locations.append(_location(os.path.join(project_dir, schema), *where, len(str(node["name"]))))
    return locations or None


def _location(path: str, line: int, character: int, length: int) -> types.Location:
    start, end = types.Position(line, character), types.Position(line, character + length)
    return types.Location(uri=from_path(path), range=types.Range(start=start, end=end))


def node_field_completions(
    parsed: ParsedFile, offset: int, index: LineIndex, manifests: Manifests, has_node: Callable
) -> Optional[types.CompletionList]:
    """The manifest nodes' own fields after `{{ node.` in a template where `node` is in scope
    (`has_node(doc, key_path)`: a dbt translation); None elsewhere or with no manifest read yet."""
    doc = parsed.document_at(offset)
    if doc is None or not manifests.vocabularies:
        return None
    line_start = parsed.text.rfind("\n", 0, offset) + 1
    opened = parsed.text.rfind("{{", line_start, offset)
    expression = parsed.text[opened:offset] if opened != -1 else "}}"
    match = _NODE_MEMBER.search(expression) if "}}" not in expression else None
    fields = manifests.node_fields() if match is not None else []
    if match is None or not fields or not has_node(doc, doc.key_path_at(offset - doc.start)):
        return None
    partial = match.group("partial")
    rest = re.match(r"\w*", parsed.text[offset:])
    span = Span(offset - len(partial), offset + (rest.end() if rest else 0))
    items = [
        types.CompletionItem(
            label=name,
            kind=types.CompletionItemKind.Field,
            detail="dbt manifest node field",
            sort_text=f"{position:04d}",
            text_edit=types.TextEdit(range=lsp_range(index, span), new_text=name),
        )
        for position, name in enumerate(fields)
    ]
    return types.CompletionList(is_incomplete=False, items=items)
