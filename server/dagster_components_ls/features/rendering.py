"""What the worker's `render` call is asked for a file, and its answer located in the file's YAML."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

from ..model.context import CheckContext, component_of
from ..model.documents import Node, ParsedFile, YamlDocument
from ..model.positions import Span
from ..model.template_scope import template_scope


def render_request(parsed: ParsedFile, ctx: CheckContext, env_values: bool) -> dict[str, Any]:
    """The params of one `render` call for a whole file (one call per document version): every parsed
    document of a known type. Paths a resolver renders later with names of its own (dbt's `node` under
    `translation`) are `late`; strings Dagster never renders at load are `untemplated`."""
    documents = []
    for doc in parsed.documents:
        component = component_of(doc, ctx) if doc.root is not None and doc.parsed else None
        scope = template_scope(doc, ctx) if component is not None else None
        if component is None or scope is None:
            continue
        try:
            plain = json.loads(json.dumps(doc.value, default=str))  # YAML dates as their text
        except ValueError:
            continue
        late = {*scope.per_path, *scope.own_scope}
        documents.append(
            {
                "index": doc.index,
                "type": component.key,
                "document": plain,
                "folder": ctx.folder or ctx.project_root or ".",
                "late": [list(p) for p in sorted(late)],
                "untemplated": [list(p) for p in scope.untemplated],
            }
        )
    return {"project_root": ctx.project_root, "env_values": env_values, "documents": documents}


@dataclass(frozen=True)
class Rendered:
    """One rendered value of the worker's answer, with the span (in the file) of the YAML it came from."""

    span: Span
    value: dict[str, Any]
    """The worker's RenderedValue: path, text, value, env, error, runtime."""


def rendered_values(parsed: ParsedFile, answer: dict[str, Any]) -> list[Rendered]:
    """Every rendered value of an answer whose path still names a scalar of the file, in file order."""
    found = []
    for result in answer.get("results") or ():
        doc = _document(parsed, result)
        if doc is None:
            continue
        for value in result.get("values") or ():
            node = _scalar_at(doc, value.get("path") or [])
            if node is not None:
                found.append(Rendered(node.span.shifted(doc.start), value))
    found.sort(key=lambda r: r.span.start)
    return found


def _document(parsed: ParsedFile, result: dict[str, Any]) -> Optional[YamlDocument]:
    index = result.get("index")
    if not isinstance(index, int) or not 0 <= index < len(parsed.documents):
        return None
    doc = parsed.documents[index]
    return doc if doc.root is not None and doc.parsed else None


def _scalar_at(doc: YamlDocument, path: list[Any]) -> Optional[Node]:
    node = doc.root
    for part in path:
        node = node.get(part) if node is not None else None
    return node if node is not None and node.text is not None else None


def unrendered_documents(parsed: ParsedFile, answer: dict[str, Any]) -> list[tuple[Span, str]]:
    """(first line's span in the file, why) of each document the worker could not render at all (its
    type did not import, its template vars raised, it overran its budget)."""
    found = []
    for result in answer.get("results") or ():
        doc = _document(parsed, result)
        reason = result.get("skipped") or result.get("failed")
        if doc is not None and isinstance(reason, str):
            found.append((doc.first_line().shifted(doc.start), reason))
    return found
