"""`dagster-components-ls components` and `schema export`: the registry of a project, listed or written as schemas."""

from __future__ import annotations

import json
import sys
from typing import Optional


def registry_or_exit(path: str, python: Optional[str], command: str):
    """The registry for the project at `path` (or the interpreter's types), or None after saying why."""
    from pathlib import Path

    from ..project.discovery import ProjectConfigError, find_project
    from .check import CheckFailed, registry_for

    try:
        return registry_for(find_project(Path(path).resolve()), python)
    except (CheckFailed, ProjectConfigError) as exc:
        print(f"dagster-components-ls {command}: {exc}", file=sys.stderr)
        return None


def run_schema_export(folder: str, project: str, python: Optional[str]) -> int:
    from pathlib import Path

    from .schema_export import export_schemas

    registry = registry_or_exit(project, python, "schema export")
    if registry is None:
        return 2
    written = export_schemas(registry, Path(folder))
    print(f"Wrote {len(written)} schemas to {folder}", file=sys.stderr)
    return 0


def run_components(path: str, fmt: str, python: Optional[str]) -> int:
    from ..features.components import component_list

    registry = registry_or_exit(path, python, "components")
    if registry is None:
        return 2
    items = component_list(registry)
    if fmt == "json":
        json.dump(items, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        width = max((len(item["key"]) for item in items), default=0)
        for item in items:
            summary = " ".join((item["summary"] or "").split())  # some packages' summaries span lines
            print(f"{item['key']:<{width}}  {summary}".rstrip())
    return 0
