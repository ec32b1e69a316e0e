"""`schema export`: whole-document JSON Schemas per component type, for any schema-driven YAML editor."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from ..model.registry import ComponentType, Registry

DRAFT = "https://json-schema.org/draft/2020-12/schema"
COMBINED = "defs.schema.json"


def document_schema(component: ComponentType, registry: Registry) -> dict[str, Any]:
    """The schema of one `defs.yaml` document of this type: the envelope with its attributes filled in.

    Unlike `dg utils inspect-component --defs-yaml-json-schema`, nested `$defs` are lifted to the root
    (prefixed by owner) so every `$ref` resolves, and `post_processing` gets its real schema.
    """
    defs: dict[str, Any] = {}
    envelope = _embed(registry.envelope_schema or {}, "Envelope", defs)
    properties = dict(envelope.get("properties") or {})
    properties["type"] = {"enum": [component.key, *component.aliases], "description": component.summary or ""}
    attributes = _embed(component.schema or {"type": "object"}, _name(component.key), defs)
    properties["attributes"] = {**attributes, "description": component.summary or attributes.get("description", "")}
    if registry.post_processing_schema:
        properties["post_processing"] = _embed(registry.post_processing_schema, "PostProcessing", defs)
    required = ["type"] + (["attributes"] if attributes.get("required") else [])
    return {
        "$schema": DRAFT,
        "$id": f"{component.key}.json",
        "title": component.key,
        "description": component.description or component.summary or "",
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
        "$defs": defs,
    }


def combined_schema(registry: Registry) -> dict[str, Any]:
    """Every type in one schema: `type` picks the document schema (if/then, so errors stay specific)."""
    defs: dict[str, Any] = {}
    rules = []
    names = []
    for key in sorted(registry.types):
        component = registry.types[key]
        single = document_schema(component, registry)
        name = _name(key)
        defs.update(single.pop("$defs"))
        defs[name] = {k: v for k, v in single.items() if not k.startswith("$")}
        names.extend([component.key, *component.aliases])
        rules.append(
            {
                "if": {"properties": {"type": {"enum": [component.key, *component.aliases]}}, "required": ["type"]},
                "then": {"$ref": f"#/$defs/{name}"},
            }
        )
    return {
        "$schema": DRAFT,
        "$id": COMBINED,
        "title": "Dagster component file (defs.yaml)",
        "type": "object",
        "required": ["type"],
        # A relative `.Name` type depends on the file's folder, which a static schema cannot know.
        "properties": {
            "type": {
                "anyOf": [{"enum": names}, {"type": "string", "pattern": "^\\."}],
                "description": "The component type",
            }
        },
        "allOf": rules,
        "$defs": defs,
    }


def export_schemas(registry: Registry, folder: Path) -> list[Path]:
    """Writes `<type key>.json` per type and `defs.schema.json`; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key in sorted(registry.types):
        path = folder / f"{key}.json"
        path.write_text(json.dumps(document_schema(registry.types[key], registry), indent=2) + "\n")
        written.append(path)
    path = folder / COMBINED
    path.write_text(json.dumps(combined_schema(registry), indent=2) + "\n")
    return [*written, path]


def _name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", key)


def _embed(schema: dict[str, Any], prefix: str, defs: dict[str, Any]) -> dict[str, Any]:
    """The schema without its own `$defs`, which move into `defs` as `<prefix>__<name>`."""
    schema = copy.deepcopy(schema)
    local = schema.pop("$defs", {})
    renamed = {name: f"{prefix}__{name}" for name in local}

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in renamed:
                node = {**node, "$ref": f"#/$defs/{renamed[ref[8:]]}"}
            return {k: rewrite(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    for name, sub in local.items():
        defs[renamed[name]] = rewrite(sub)
    return rewrite(schema)
