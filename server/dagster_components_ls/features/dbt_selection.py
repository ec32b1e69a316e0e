"""Hover and completion inside a dbt component's select/exclude/selector, from the last `dbt_selection` answer in memory."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

from lsprotocol import types

from ..checks.dbt_selection import FIELDS, Judged, judged_documents, method_values, written_selection
from ..model.documents import ParsedFile, YamlDocument
from ..model.positions import LineIndex, Span
from .lsp_ranges import lsp_range

SHOWN_NODES = 10
MAX_ITEMS = 200
MAX_WORD = 1000
"""A typed criterion longer than this completes to nothing (a pasted blob, not a name being typed)."""
ASSET_TYPES = ("model", "seed", "snapshot")
# The value of a select/exclude/selector key on the cursor's line, as far as it is typed (tolerant of
# an unclosed quote): `  select: "tag:da`.
_VALUE_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<key>select|exclude|selector)[ \t]*:[ \t]*(?P<quote>['\"]?)")
_GRAPH_PREFIX = re.compile(r"^(@|\d*\+)?")
METHODS = {
    "tag": "Nodes with this dbt tag",
    "path": "Nodes whose file is at or under this path",
    "package": "Nodes of this dbt package",
    "source": "A source (`source_name` or `source_name.table`)",
    "resource_type": "Nodes of this resource type",
    "config.materialized": "Models with this materialization",
    "fqn": "Nodes by fully qualified name",
}
OPERATORS = [
    ("+", "Graph operator: with its ancestors (`+orders`) or descendants (`orders+`)"),
    ("@", "Graph operator: the node, its descendants and their ancestors (`@stg_orders`)"),
    ("1+", "Graph operator: ancestors n levels up (`1+orders`); `orders+1` for descendants"),
    (",", "Set operator: intersection (`tag:daily,config.materialized:table`)"),
    (" ", "Set operator: union (criteria separated by a space)"),
]


@dataclass(frozen=True)
class Cursor:
    """Where the cursor is inside a selection value: which field, its document, and the typed criterion."""

    doc: YamlDocument
    field: str
    criterion: str
    """The criterion typed so far (after the last space), up to the cursor."""
    start: int
    """File offset where the criterion starts."""


def selection_cursor(parsed: ParsedFile, offset: int) -> Optional[Cursor]:
    """The selection value under the cursor (a key of `attributes`, read from the line so that a
    half-typed value works too), or None."""
    doc = parsed.document_at(offset)
    if doc is None:
        return None
    line_start = parsed.text.rfind("\n", 0, offset) + 1
    typed = parsed.text[line_start:offset]
    match = _VALUE_LINE.match(typed)
    if match is None or not match.group("indent"):
        return None
    path = doc.key_path_at(line_start + len(match.group("indent")) - doc.start)
    if list(path[:1]) != ["attributes"]:
        return None
    value = typed[match.end() :]
    criterion = value.rsplit(" ", 1)[-1]
    return Cursor(doc, match.group("key"), criterion, offset - len(criterion))


def dbt_hover(
    parsed: ParsedFile, offset: int, index: LineIndex, answer: Optional[Mapping[str, Any]]
) -> Optional[types.Hover]:
    """What the selection under the cursor selects, as dagster-dbt judged it for this text."""
    if answer is None:
        return None
    doc = parsed.document_at(offset)
    judged = judged_documents(answer).get(doc.index) if doc is not None else None
    if doc is None or judged is None:
        return None
    for name in FIELDS:
        _, node = doc.node_at_path(("attributes", name))
        field = (judged.result.get("fields") or {}).get(name)
        if node is None or not node.span.start <= offset - doc.start <= node.span.end:
            continue
        if field is None and judged.result.get("reason"):
            text = f"**dbt {name}**: not judged, {judged.result['reason']}"
        elif field is None or written_selection(doc).get(name) != field.get("value"):
            return None  # judged on other text: the next answer will say
        else:
            text = _hover_text(name, field, judged)
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
            range=lsp_range(index, node.span.shifted(doc.start)),
        )
    return None


def _hover_text(name: str, field: Mapping[str, Any], judged: Judged) -> str:
    nodes = {n["unique_id"]: n for n in (judged.vocabulary or {}).get("nodes") or ()}
    lines = [f"**dbt {name}** `{field.get('value')}` (judged by dagster-dbt on the manifest)", ""]
    criteria = field.get("criteria") or []
    if len(criteria) > 1 or name == "exclude":
        for c in criteria:
            said = f"error: {c['error']}" if c.get("error") else _count(c.get("count") or 0, "node")
            lines.append(f"- `{c.get('text')}`: {said}")
        lines.append("")
    selected, kinds = judged.result.get("selected"), judged.result.get("kinds") or {}
    if selected is None:
        return "\n".join(lines).rstrip()
    order = {kind: i for i, kind in enumerate(ASSET_TYPES)}
    ranked = sorted(kinds.items(), key=lambda kv: (order.get(kv[0], len(order)), -kv[1], kv[0]))
    parts = ", ".join(_count(n, kind) for kind, n in ranked)
    lines.append(f"Selects {_count(sum(kinds.values()), 'dbt node')}" + (f": {parts}" if parts else ""))
    assets = [u for u in selected if u.split(".", 1)[0] in ASSET_TYPES]
    if assets:
        lines.append("")
        lines += [f"- `{nodes[u]['name'] if u in nodes else u}` ({u.split('.', 1)[0]})" for u in assets[:SHOWN_NODES]]
        more = sum(n for kind, n in kinds.items() if kind in ASSET_TYPES) - SHOWN_NODES
        if more > 0:
            lines.append(f"- … and {more} more")
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def dbt_completions(
    parsed: ParsedFile, offset: int, index: LineIndex, answer: Optional[Mapping[str, Any]]
) -> Optional[types.CompletionList]:
    """Items for the criterion under the cursor from the manifest's vocabulary, ranked (prefix matches,
    then models, seeds and snapshots, sources, methods, operators) and capped at MAX_ITEMS (the list is
    then incomplete, so the client asks again as the word grows); None when the cursor is not in a
    selection value or no manifest has been read for its document."""
    cursor = selection_cursor(parsed, offset)
    if cursor is None or answer is None:
        return None
    judged = judged_documents(answer).get(cursor.doc.index)
    if judged is None or judged.vocabulary is None:
        return None
    if offset - cursor.start > MAX_WORD:
        return types.CompletionList(is_incomplete=False, items=[])  # no name is that long
    ranked, words = [], {}
    for candidate in _candidates(cursor, judged.vocabulary, offset):
        if candidate.start not in words:  # two or three starts: the criterion, its value, the cursor
            words[candidate.start] = parsed.text[candidate.start : offset].lower()
        word, label = words[candidate.start], candidate.label.lower()
        if _subsequence(word, label):
            ranked.append(((not (word and label.startswith(word)), candidate.rank, candidate.label), candidate))
    kept = _unique([candidate for _, candidate in sorted(ranked, key=lambda pair: pair[0])])
    items = [_item(c, index, offset, position) for position, c in enumerate(kept[:MAX_ITEMS])]
    return types.CompletionList(is_incomplete=len(kept) > MAX_ITEMS, items=items)


@dataclass(frozen=True)
class Candidate:
    label: str
    kind: types.CompletionItemKind
    rank: str
    start: int
    """File offset the item replaces from (to the cursor)."""
    doc: str = ""
    node: Optional[Mapping[str, Any]] = None
    """A node, whose description is the item's documentation (built only for the items kept)."""


def _candidates(cursor: Cursor, vocabulary: Mapping[str, Any], offset: int) -> list[Candidate]:
    if cursor.field == "selector":
        kind = types.CompletionItemKind.Function
        return [
            Candidate(s["name"], kind, "0", cursor.start, s.get("description") or "")
            for s in vocabulary.get("selectors") or ()
        ]
    prefix = _GRAPH_PREFIX.match(cursor.criterion).group(0)  # type: ignore[union-attr]
    body = cursor.criterion[len(prefix) :]
    word_start = cursor.start + len(prefix)
    method, colon, _ = body.rpartition(":")
    if colon:
        start, kind = word_start + len(method) + 1, types.CompletionItemKind.Value
        return [
            Candidate(v, kind, "0", start, f"`{method}:{v}`") for v in sorted(set(method_values(method, vocabulary)))
        ]
    found = []
    for node in vocabulary.get("nodes") or ():
        resource = node.get("resource_type")
        if resource in ASSET_TYPES:
            label, rank = node["name"], "0" if resource == "model" else "1"
        elif resource == "source":
            label, rank = f"source:{node['source_name']}.{node['name']}", "2"
        else:
            continue
        kind = types.CompletionItemKind.Class if resource == "model" else types.CompletionItemKind.Field
        found.append(Candidate(label, kind, rank, word_start, node=node))
    found += [Candidate(f"{m}:", types.CompletionItemKind.Keyword, "3", word_start, doc) for m, doc in METHODS.items()]
    # Prefix operators where a criterion starts; after a typed one, its descendants and an intersection.
    operators = OPERATORS[:3] if not cursor.criterion else [("+", OPERATORS[0][1]), OPERATORS[3]] if body else []
    found += [Candidate(op, types.CompletionItemKind.Operator, "4", offset, doc) for op, doc in operators]
    return found


def _subsequence(word: str, label: str) -> bool:
    """Whether the word's characters appear in the label in order (how editors filter items)."""
    remaining = iter(label)
    return all(ch in remaining for ch in word)


def _item(candidate: Candidate, index: LineIndex, offset: int, position: int) -> types.CompletionItem:
    node, doc = candidate.node, candidate.doc
    if node is not None:
        doc = f"**{node['resource_type']}** `{node['unique_id']}`\n\n{node.get('description') or ''}".rstrip()
    return types.CompletionItem(
        label=candidate.label,
        kind=candidate.kind,
        detail=node["resource_type"] if node is not None else None,
        documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=doc) if doc else None,
        sort_text=f"{position:04d}",
        filter_text=candidate.label,
        text_edit=types.TextEdit(range=lsp_range(index, Span(candidate.start, offset)), new_text=candidate.label),
    )


def _unique(candidates: list[Candidate]) -> list[Candidate]:
    seen: set[str] = set()
    kept = []
    for candidate in candidates:
        if candidate.label not in seen:
            seen.add(candidate.label)
            kept.append(candidate)
    return kept
