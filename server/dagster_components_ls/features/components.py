"""The `dagster/components` list: every installed component type as plain JSON."""

from __future__ import annotations

from ..model.registry import Registry
from ..model.uris import from_path


def component_list(registry: Registry) -> list[dict]:
    """`[{key, aliases, summary, description, package, version, schema, scaffold_params_schema, source}]`, sorted by key."""
    items = []
    for component in sorted(registry.types.values(), key=lambda c: c.key):
        source = None
        if component.source_path:
            line = max((component.source_line or 1) - 1, 0)
            position = {"line": line, "character": 0}
            source = {"uri": from_path(component.source_path), "range": {"start": position, "end": position}}
        items.append(
            {
                "key": component.key,
                "aliases": list(component.aliases),
                "summary": component.summary,
                "description": component.description,
                "package": component.package,
                "version": component.version,
                "schema": component.schema,
                "scaffold_params_schema": component.scaffold_params_schema,
                "source": source,
            }
        )
    return items
