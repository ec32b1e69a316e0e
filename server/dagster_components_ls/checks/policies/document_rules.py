"""Document-level policy rules (allowed-types, required-attributes, forbidden-values): one small function each."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Callable, Optional

from ...model.context import CheckContext, resolve_type
from ...model.documents import MAP, SCALAR, SEQ, Node, YamlDocument
from ...model.positions import KeyPath, format_key_path
from ...model.problems import Problem
from .config import PolicyConfig, Scalar, type_matches
from .spans import key_span

PolicyRule = Callable[[YamlDocument, CheckContext, PolicyConfig], Iterator[Problem]]


def policy_problems(doc: YamlDocument, ctx: CheckContext, config: Optional[PolicyConfig]) -> Iterator[Problem]:
    """Every document-level policy problem of one document (spans relative to the document)."""
    if config is None or not config.has_document_rules:
        return
    for rule in POLICIES:
        yield from rule(doc, ctx, config)


def check_allowed_types(doc: YamlDocument, ctx: CheckContext, config: PolicyConfig) -> Iterator[Problem]:
    setting = config.allowed_types
    found = _typed_document(doc, ctx) if setting is not None else None
    if setting is None or found is None:
        return
    key, written, node = found
    if any(type_matches(key, glob) for glob in setting.value):
        return
    shown = f"'{written}'" if written == key else f"'{written}' ({key})"
    allowed = ", ".join(setting.value) or "none"
    yield Problem(
        node.span,
        "policy:allowed-types",
        f"Type {shown} is not allowed by the project's policy (allowed: {allowed})",
        setting.severity,
        data={"type": key, "allowed": list(setting.value)},
    )


def check_required_attributes(doc: YamlDocument, ctx: CheckContext, config: PolicyConfig) -> Iterator[Problem]:
    setting = config.required_attributes
    found = _typed_document(doc, ctx) if setting is not None else None
    if setting is None or found is None:
        return
    key, _, _ = found
    assert doc.root is not None
    attributes = doc.root.get("attributes")
    anchor = doc.root.key_node("attributes") or doc.root.key_node("type")
    for glob, paths in setting.value:
        if not type_matches(key, glob):
            continue
        for parts in paths:
            missing: list[tuple[Optional[Node], KeyPath]]
            if attributes is None:
                missing = [(anchor, ("attributes", *parts))]
            else:
                missing = list(_missing(attributes, doc.value.get("attributes"), parts, ("attributes",), anchor))
            for at, path in missing:
                yield Problem(
                    key_span(at, doc),
                    "policy:required-attributes",
                    f"Missing attribute '{format_key_path(path[1:])}', required by the project's policy for {glob}",
                    setting.severity,
                    data={"path": list(path)},
                )


def check_forbidden_values(doc: YamlDocument, ctx: CheckContext, config: PolicyConfig) -> Iterator[Problem]:
    setting = config.forbidden_values
    found = _typed_document(doc, ctx) if setting is not None else None
    if setting is None or found is None:
        return
    key, _, _ = found
    assert doc.root is not None
    attributes = doc.root.get("attributes")
    if attributes is None:
        return
    for glob, entries in setting.value:
        if not type_matches(key, glob):
            continue
        for parts, forbidden in entries:
            for path, node, value in _values_at(attributes, doc.value.get("attributes"), parts, ("attributes",)):
                if isinstance(value, str) and "{{" in value:
                    continue  # rendered at load time: its value is not known here
                if any(_same(value, f) for f in forbidden):
                    yield Problem(
                        node.span,
                        "policy:forbidden-values",
                        f"Value {_show(value)} for {format_key_path(path[1:])} is forbidden by the "
                        f"project's policy for {glob}",
                        setting.severity,
                        data={"path": list(path), "value": value},
                    )


POLICIES: list[PolicyRule] = [check_allowed_types, check_required_attributes, check_forbidden_values]


def _typed_document(doc: YamlDocument, ctx: CheckContext) -> Optional[tuple[str, str, Node]]:
    """(canonical type key, type as written, its value node) of a mapping document of a known type.

    None for unknown types (already `unknown-type`) and before the registry is ready, when aliases
    and relative types cannot be resolved yet.
    """
    if doc.root is None or doc.root.kind != MAP or not isinstance(doc.value, dict):
        return None
    written, node = doc.value.get("type"), doc.root.get("type")
    if not isinstance(written, str) or node is None:
        return None
    component = resolve_type(written.strip(), ctx)
    return (component.key, written.strip(), node) if component is not None else None


def _missing(
    node: Node, value: Any, parts: tuple[str, ...], path: KeyPath, key: Optional[Node]
) -> Iterator[tuple[Optional[Node], KeyPath]]:
    """(deepest existing key, full path) for each place where `parts` is absent (or null) below `node`.

    A list on the way applies the rest of the path to every item; a templated value is not judged.
    """
    if isinstance(value, str) and "{{" in value:
        return
    if not parts:
        if value is None:
            yield key, path
        return
    if node.kind == SEQ and isinstance(value, list):
        for i, (item, item_value) in enumerate(zip(node.items, value)):
            yield from _missing(item, item_value, parts, (*path, i), item)
        return
    child = node.get(parts[0]) if node.kind == MAP and isinstance(value, dict) else None
    if child is None:
        yield key, (*path, *parts)
        return
    yield from _missing(child, value.get(parts[0]), parts[1:], (*path, parts[0]), node.key_node(parts[0]))


def _values_at(node: Node, value: Any, parts: tuple[str, ...], path: KeyPath) -> Iterator[tuple[KeyPath, Node, Any]]:
    """(path, node, value) of each scalar at `parts` below `node`; lists on the way and at the end are walked."""
    if node.kind == SEQ and isinstance(value, list):
        for i, (item, item_value) in enumerate(zip(node.items, value)):
            yield from _values_at(item, item_value, parts, (*path, i))
    elif not parts:
        if node.kind == SCALAR:
            yield path, node, value
    elif node.kind == MAP and isinstance(value, dict):
        child = node.get(parts[0])
        if child is not None:
            yield from _values_at(child, value.get(parts[0]), parts[1:], (*path, parts[0]))


def _same(value: Any, forbidden: Scalar) -> bool:
    if isinstance(value, bool) or isinstance(forbidden, bool):
        return type(value) is type(forbidden) and value == forbidden
    if isinstance(value, (int, float)) and isinstance(forbidden, (int, float)):
        return value == forbidden
    return isinstance(value, str) and isinstance(forbidden, str) and value == forbidden


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else json.dumps(value, default=str)
