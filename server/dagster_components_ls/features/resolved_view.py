"""The `dagster/resolved` answer: a file's documents as Dagster sees them after templating, as YAML text."""

from __future__ import annotations

from typing import Any, Optional

import yaml

from ..model.documents import ParsedFile
from ..model.positions import LineIndex, Span
from .rendering import rendered_values


def resolved_view(
    parsed: ParsedFile, index: LineIndex, answer: dict[str, Any], document: Optional[int]
) -> dict[str, Any]:
    """`{text, errors: [{message, range}]}` for one document (`document`, its index) or all of them
    (joined with `---`): same key order, comments dropped; a document the worker could not render is
    shown as written, with the reason at its first line; each value's error at the value."""
    results = {r.get("index"): r for r in answer.get("results") or () if isinstance(r, dict)}
    wanted = [d for d in parsed.documents if document is None or d.index == document]
    texts: list[str] = []
    errors: list[dict[str, Any]] = []

    def error(span: Span, message: str) -> None:
        errors.append({"message": message, "range": _range(index, span)})

    for doc in wanted:
        result = results.get(doc.index)
        if not doc.parsed or doc.root is None:
            if doc.problems:
                error(doc.first_line().shifted(doc.start), "This document cannot be parsed: it is left out")
            continue
        if result is None:
            error(doc.first_line().shifted(doc.start), "Not rendered: the component type is not known")
            body = doc.value
        elif isinstance(result.get("skipped") or result.get("failed"), str):
            reason = result.get("skipped") or result.get("failed")
            error(doc.first_line().shifted(doc.start), f"Not rendered: {reason}")
            body = doc.value
        else:
            body = result.get("resolved")
        texts.append(_dump(body))
    for rendered in rendered_values(parsed, {"results": [results[d.index] for d in wanted if d.index in results]}):
        value = rendered.value
        if isinstance(value.get("error"), str):
            error(rendered.span, value["error"])
        for env in value.get("env") or ():
            if isinstance(env, dict) and not env.get("set") and not env.get("default") and not value.get("error"):
                error(rendered.span, f"Environment variable {env.get('name')} is not set and has no default: None")
    errors.sort(key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]))
    return {"text": "---\n".join(texts), "errors": errors}


def _dump(body: Any) -> str:
    if body is None:
        return ""
    return yaml.safe_dump(body, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000)


def _range(index: LineIndex, span: Span) -> dict[str, Any]:
    (start_line, start_character), (end_line, end_character) = index.range_of(span)
    return {
        "start": {"line": start_line, "character": start_character},
        "end": {"line": end_line, "character": end_character},
    }
