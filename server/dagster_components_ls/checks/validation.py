"""Component validation by the worker: a file's `validate` request, and its errors as problems."""

from __future__ import annotations

import datetime
import math
from typing import TYPE_CHECKING, Any, Optional

from ..model.context import CheckContext, resolve_type
from ..model.documents import MAP, SEQ, Node, ParsedFile, YamlDocument
from ..model.positions import KeyPath, Span, format_key_path
from ..model.problems import ERROR, Problem
from ..worker import protocol

if TYPE_CHECKING:
    from ..project.worker_client import WorkerProcess

CODE = "component-validation"
# Keystroke-path codes that already say what the worker would say about the same key.
KEYSTROKE_CODES = frozenset({"unknown-attribute", "missing-attribute", "invalid-value"})
# Pydantic error kinds whose message a person wrote (a validator's ValueError or assert): shown as
# written and placed on the key, like a rule about the field rather than about its value's type.
USER_KINDS = frozenset({"value_error", "assertion_error", "validator_raised"})


def validate(
    worker: WorkerProcess, parsed: ParsedFile, ctx: CheckContext, project_root: Optional[str], timeout: float
) -> list[Problem]:
    """The worker's validation of every document it can validate; raises WorkerError if the call fails."""
    documents = validation_requests(parsed, ctx)
    if not documents:
        return []
    result = worker.call(
        protocol.METHOD_VALIDATE, {"project_root": project_root, "documents": documents}, timeout=timeout
    )
    return validation_problems(parsed, result.get("results") or [])


def validation_requests(parsed: ParsedFile, ctx: CheckContext) -> list[dict[str, Any]]:
    """The `documents` param: each parsed document of a known type whose attributes are a mapping or absent."""
    requests = []
    for doc in parsed.documents:
        if doc.root is None or not doc.parsed or not isinstance(doc.value, dict):
            continue
        typename = doc.value.get("type")
        component = resolve_type(typename.strip(), ctx) if isinstance(typename, str) else None
        attributes = doc.value.get("attributes")
        if component is None or not (attributes is None or isinstance(attributes, dict)):
            continue
        try:
            plain = _json_value(attributes)
        except ValueError:  # a YAML value JSON cannot carry (binary, a set): leave it to the load
            continue
        template_vars_module = doc.value.get("template_vars_module")
        requests.append(
            {
                "index": doc.index,
                # The registry's key: the name it imported the class by (aliases and `.X` resolved).
                "type": component.key,
                "attributes": plain,
                "template_vars_module": template_vars_module if isinstance(template_vars_module, str) else None,
                "folder": ctx.folder or ctx.project_root or ".",
            }
        )
    return requests


def validation_problems(parsed: ParsedFile, results: list[dict[str, Any]]) -> list[Problem]:
    """The `results` of a validate call as problems at file offsets; results of other texts are ignored."""
    problems = []
    for result in results:
        index = result.get("index")
        if not isinstance(index, int) or not 0 <= index < len(parsed.documents):
            continue
        doc = parsed.documents[index]
        if doc.root is None or not doc.parsed:
            continue
        typename = result.get("type")
        for error in result.get("errors") or ():
            problems.append(_problem(doc, error, typename).shifted(doc.start))
        if isinstance(result.get("failed"), str):  # a validator that hangs or ends the process
            problems.append(
                Problem(
                    _document_anchor(doc),
                    "worker-error",
                    f"The component's validation of this document {result['failed']}, so it was "
                    f"left out (from {typename})",
                    "warning",
                ).shifted(doc.start)
            )
    return problems


def without_duplicates(validation: list[Problem], keystroke: list[Problem]) -> list[Problem]:
    """Validation problems minus those on a key the keystroke path already reports on.

    Same span or same key path as an unknown-attribute, missing-attribute or invalid-value
    problem (their `data.path` is the parent's path plus `data.key` for the first two).
    """
    spans: set[Span] = set()
    paths: set[KeyPath] = set()
    for problem in keystroke:
        if problem.code in KEYSTROKE_CODES:
            spans.add(problem.span)
            paths.update(_key_paths(problem.data or {}))
    return [
        p
        for p in validation
        if p.code != CODE or not (p.span in spans or tuple((p.data or {}).get("path") or ()) in paths)
    ]


def _key_paths(data: dict[str, Any]) -> set[KeyPath]:
    base = tuple(data.get("path") or ())
    keys = data.get("keys") or ([data["key"]] if data.get("key") is not None else [])
    return {(*base, key) for key in keys} if keys else {base}


# --- one error -> one problem --------------------------------------------------------------------


def _problem(doc: YamlDocument, error: dict[str, Any], typename: Any) -> Problem:
    # [] is the document itself (a model validator that raised): shown at its `type:` key.
    path: KeyPath = tuple(error["path"]) if isinstance(error.get("path"), list) else ("attributes",)
    kind = str(error.get("kind") or "")
    message = str(error.get("message") or "invalid value")
    if kind == "missing" and len(path) > 1:
        text = f"Missing required attribute '{path[-1]}' in {format_key_path(path[:-1])}"
    elif kind in USER_KINDS or len(path) <= 1:
        text = message
    else:
        text = f"{format_key_path(path)}: {message}"
    if typename:
        text += f" (from {typename})"
    data: dict[str, Any] = {"path": list(path), "type": typename}
    suggestions = [s for s in error.get("suggestions") or () if isinstance(s, str)]
    if suggestions:
        data["suggestions"] = suggestions
    return Problem(_span(doc, path, kind), CODE, text, ERROR, data=data)


def _span(doc: YamlDocument, path: KeyPath, kind: str) -> Span:
    """Where an error at a key path shows.

    On the key for a missing key's parent, a validator's own message, an unknown key and a whole
    object or list; on the value for a built-in check of a scalar (enum, type, constraint), like
    invalid-value; on the nearest existing ancestor when the path is not in the text.
    """
    found = _pairs_along(doc, path)
    if not found:
        return _document_anchor(doc)
    key, value = found[-1]
    on_value = (
        len(found) == len(path)
        and kind != "missing"
        and kind not in USER_KINDS
        and kind != "extra_forbidden"
        and value.kind not in (MAP, SEQ)
    )
    if on_value:
        return value.span
    return _anchor(key, value)


def _pairs_along(doc: YamlDocument, path: KeyPath) -> list[tuple[Optional[Node], Node]]:
    """(key node or None for a list item, value node) for each leading part of the path in the text."""
    found: list[tuple[Optional[Node], Node]] = []
    node = doc.root
    for part in path:
        child = node.get(part) if node is not None else None
        if node is None or child is None:
            break
        key = node.key_node(part) if node.kind == MAP and isinstance(part, str) else None
        found.append((key, child))
        node = child
    return found


def _anchor(key: Optional[Node], value: Node) -> Span:
    if key is not None:
        return key.span
    if value.kind == MAP and value.pairs:
        return value.pairs[0][0].span  # a list item that is a mapping: its first key, not all its lines
    return value.span


def _document_anchor(doc: YamlDocument) -> Span:
    root = doc.root
    if root is not None and root.kind == MAP and root.pairs:
        return (root.key_node("type") or root.pairs[0][0]).span
    return Span(0, 0)


def _json_value(value: Any) -> Any:
    """YAML data as JSON data: dates as ISO text (pydantic parses them back); raises ValueError otherwise."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not finite")
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValueError("a key that is not a string")
        return {k: _json_value(v) for k, v in value.items()}
    raise ValueError(f"not JSON: {type(value).__name__}")
