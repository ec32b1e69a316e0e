"""The `dbt-selection` check: a dbt component's select/exclude/selector as dagster-dbt judged it (worker), with did-you-mean from the manifest."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from ..model.context import CheckContext, component_of, suggest
from ..model.documents import SCALAR, ParsedFile, YamlDocument
from ..model.positions import Span
from ..model.problems import ERROR, WARNING, Problem

CODE = "dbt-selection"
FIELDS = ("select", "exclude", "selector")
DBT_ATTRIBUTES = {"project", "select", "exclude", "selector"}
"""The attributes that make a component type DbtProjectComponent-like (itself and its subclasses)."""
TEMPLATE_MARKERS = ("{{", "{%", "{#")
# A criterion's graph operators around its method and value: `@x`, `2+x`, `x+`, `x+3`.
_CRITERION = re.compile(r"^(?P<before>@|\d*\+)?(?P<body>.*?)(?P<after>\+\d*)?$")
NodeFacts = Mapping[str, Any]
"""One node of the manifest's vocabulary (protocol.DbtNode)."""


def is_dbt_document(doc: YamlDocument, ctx: CheckContext) -> bool:
    """Whether the document's type takes a dbt project and a selection (DbtProjectComponent and subclasses)."""
    component = component_of(doc, ctx)
    properties = (component.schema or {}).get("properties") if component is not None else None
    return isinstance(properties, dict) and DBT_ATTRIBUTES <= set(properties)


def written_selection(doc: YamlDocument) -> dict[str, Optional[str]]:
    """select/exclude/selector as written (None: not written, or templated, so dagster-dbt's default is judged)."""
    attributes = doc.value.get("attributes") if isinstance(doc.value, dict) else None
    found: dict[str, Optional[str]] = {}
    for name in FIELDS:
        value = attributes.get(name) if isinstance(attributes, dict) else None
        plain = isinstance(value, str) and not any(m in value for m in TEMPLATE_MARKERS)
        found[name] = value if plain else None
    return found


def selection_request(parsed: ParsedFile, ctx: CheckContext, assets: Any = None) -> dict[str, Any]:
    """Params of the worker's `dbt_selection` call for one file (no documents outside a project)."""
    documents = []
    if ctx.project_root is not None and ctx.folder is not None:
        for doc in parsed.documents:
            if doc.parsed and is_dbt_document(doc, ctx):
                documents.append({"index": doc.index, **written_selection(doc)})
    path = os.path.join(ctx.folder or "", ctx.file_name)
    return {"project_root": ctx.project_root, "path": path, "documents": documents}


@dataclass(frozen=True)
class Judged:
    """One document's answer, and the vocabulary of the manifest it was judged on (if any)."""

    result: Mapping[str, Any]
    vocabulary: Optional[Mapping[str, Any]]


def judged_documents(answer: Mapping[str, Any]) -> dict[int, Judged]:
    """Document index -> its answer, from a `dbt_selection` answer."""
    manifests = answer.get("manifests") or {}
    found = {}
    for result in answer.get("results") or ():
        manifest = result.get("manifest") or {}
        if isinstance(result.get("index"), int):
            found[result["index"]] = Judged(result, manifests.get(manifest.get("path")))
    return found


def selection_problems(parsed: ParsedFile, answer: dict[str, Any]) -> list[Problem]:
    """A criterion that matches nothing (warning, with did-you-mean), one dbt rejects (error, dbt's message)."""
    problems = []
    judged = judged_documents(answer)
    for doc in parsed.documents:
        one = judged.get(doc.index)
        if one is None or not doc.parsed:
            continue
        written = written_selection(doc)
        fields = one.result.get("fields") or {}
        if any(written.get(name) != field.get("value") for name, field in fields.items()):
            continue  # the text changed since: the next answer judges it
        found = [
            problem.shifted(doc.start)
            for name, field in fields.items()
            if name in FIELDS
            for criterion in field.get("criteria") or ()
            if (problem := _criterion_problem(doc, name, criterion, one.vocabulary)) is not None
        ]
        where = next((n for n in ("selector", "select", "exclude") if written.get(n) is not None), "select")
        span = (value_span(doc, where) or doc.first_line()).shifted(doc.start)
        if one.result.get("error"):
            found.append(Problem(span, CODE, one.result["error"], ERROR))
        elif one.result.get("selected") == [] and not found and fields:
            message = "dagster-dbt selects no node with this selection: the component has no assets"
            found.append(Problem(span, CODE, message, WARNING, {"key_path": ["attributes", where]}))
        problems += found
    return problems


def _criterion_problem(
    doc: YamlDocument, name: str, criterion: Mapping[str, Any], vocabulary: Optional[Mapping[str, Any]]
) -> Optional[Problem]:
    text = criterion.get("text") or ""
    span = criterion_span(doc, name, criterion) or value_span(doc, name)
    if span is None:
        return None
    data: dict[str, Any] = {"key_path": ["attributes", name], "criterion": text}
    error = criterion.get("error")
    if name == "selector" and error is not None:
        best = suggest(text, [s["name"] for s in (vocabulary or {}).get("selectors") or ()])
        message = error + (f" Did you mean '{best}'?" if best else "")
        return Problem(span, CODE, message, ERROR, {**data, "suggestion": best} if best else data)
    if error is not None:
        return Problem(span, CODE, f"Invalid dbt selection '{text}': {error}", ERROR, data)
    if criterion.get("count"):
        return None
    best = suggest_criterion(text, vocabulary) if vocabulary is not None else None
    if name == "selector":
        message = f"The selector '{text}' does not match any enabled nodes"
    elif name == "exclude":
        message = f"The exclude criterion '{text}' does not match any enabled nodes, so it excludes nothing"
    else:
        message = f"The selection criterion '{text}' does not match any enabled nodes"
    if best is not None:
        message += f". Did you mean '{best}'?"
        data["suggestion"] = best
    return Problem(span, CODE, message, WARNING, data)


def value_span(doc: YamlDocument, name: str) -> Optional[Span]:
    """The scalar value of `attributes.<name>` (relative to the document)."""
    _, node = doc.node_at_path(("attributes", name))
    if node is None or node.kind != SCALAR or node.span.end <= node.span.start:
        return None
    return node.span


def criterion_span(doc: YamlDocument, name: str, criterion: Mapping[str, Any]) -> Optional[Span]:
    """The criterion's own characters inside the value, when the value is written as it reads
    (plain or quoted without escapes); else None (the whole value stands for it)."""
    span = value_span(doc, name)
    _, node = doc.node_at_path(("attributes", name))
    if span is None or node is None or node.text is None:
        return None
    raw = doc.text[span.start : span.end]
    inner = 1 if raw[:1] in ("'", '"') else 0
    if raw[inner : inner + len(node.text)] != node.text:
        return None
    start = span.start + inner + int(criterion.get("start") or 0)
    return Span(start, start + len(criterion.get("text") or ""))


def suggest_criterion(text: str, vocabulary: Mapping[str, Any]) -> Optional[str]:
    """The criterion with its value replaced by the closest one the manifest knows for its method
    (`tag:daly` -> `tag:daily`), graph operators kept; None when nothing is close."""
    match = _CRITERION.match(text)
    if match is None:
        return None
    body = match.group("body")
    method, _, value = body.rpartition(":")
    choices = sorted(set(method_values(method, vocabulary)))
    best = suggest(value, choices) if value and choices else None
    if best is None or best == value:
        return None
    return f"{match.group('before') or ''}{method + ':' if method else ''}{best}{match.group('after') or ''}"


def method_values(method: str, vocabulary: Mapping[str, Any]) -> Iterator[str]:
    """The values a selection method can match in this manifest (`tag` -> its tags)."""
    nodes: list[NodeFacts] = vocabulary.get("nodes") or []
    if method == "tag":
        yield from (t for n in nodes for t in n.get("tags") or ())
    elif method == "path":
        for n in nodes:
            path = n.get("path") or ""
            yield path
            while "/" in path:
                path = path.rsplit("/", 1)[0]
                yield path
    elif method == "package":
        yield from (n["package"] for n in nodes if n.get("package"))
    elif method == "source":
        for n in nodes:
            if n.get("resource_type") == "source" and n.get("source_name"):
                yield n["source_name"]
                yield f"{n['source_name']}.{n['name']}"
    elif method == "resource_type":
        yield from (n["resource_type"] for n in nodes)
    elif method == "config.materialized":
        yield from (n["materialized"] for n in nodes if n.get("materialized"))
    elif method in ("", "fqn"):
        yield from (n["name"] for n in nodes if n.get("resource_type") in SELECTABLE_BY_NAME)
        if not method:
            yield from (n["package"] for n in nodes if n.get("package"))


SELECTABLE_BY_NAME = ("model", "seed", "snapshot", "source", "exposure", "metric", "semantic_model", "saved_query")
