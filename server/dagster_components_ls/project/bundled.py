"""The registry snapshot shipped inside the package, served while a project's environment has no Dagster."""

# It is the worker's own `registry` answer in the development venv (the Dagster and integrations that
# pyproject.toml's dev extra pins), kept to Dagster's and the common integrations' types and stripped
# of what belongs to that machine (source paths, the interpreter, its template var modules).
# `./dev snapshot` writes it; tests/e2e/test_bundled_snapshot.py fails when it is stale.

import dataclasses
import functools
import json
from pathlib import Path
from typing import Any, Optional

from ..model.registry import Registry
from ..model.snapshot_shape import snapshot_problem
from .registry import load_registry

SNAPSHOT_FILE = Path(__file__).resolve().parent.parent / "bundled" / "registry-snapshot.json"
PACKAGES = ("dagster", "dagster_dbt", "dagster_sling", "dagster_dlt", "dagster_fivetran", "dagster_airbyte")
"""The top-level modules whose component types the snapshot holds."""


def label(dagster_version: Optional[str]) -> str:
    """The words that mark every answer taken from the snapshot (status, hover)."""
    return f"approximate: Dagster {dagster_version or 'unknown'} built-ins, your project's environment is not set up"


def setup_hint(project_root: Optional[Path], configured: bool) -> str:
    """What sets the project's environment up, for the status of editors that do not offer to (VS Code
    does): "; to set it up, run `uv sync` in /p". Empty outside a project, or when the interpreter is
    a setting's (the user chose it: installing into it is theirs to decide)."""
    if project_root is None or configured:
        return ""
    if (project_root / "uv.lock").is_file():
        command = "`uv sync`"
    elif (project_root / ".venv").exists():
        command = "`uv pip install -e .` (or `.venv/bin/python -m pip install -e .`)"
    else:
        command = (
            "`uv venv && uv pip install -e .` (or `python3 -m venv .venv && .venv/bin/python -m pip install -e .`)"
        )
    return f"; to set it up, run {command} in {project_root}"


@functools.lru_cache(maxsize=1)
def bundled_registry() -> Optional[Registry]:
    """The shipped snapshot as an approximate registry, or None when the file is missing or broken
    (a package built without it): then the project's error stands as it is."""
    try:
        snapshot = json.loads(SNAPSHOT_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if snapshot_problem(snapshot) is not None:
        return None
    registry = Registry.from_snapshot(snapshot)
    return dataclasses.replace(registry, approximate=label(registry.dagster_version))


def bundled_snapshot(live: dict[str, Any]) -> dict[str, Any]:
    """The part of a worker's registry answer that is shipped: PACKAGES' types, nothing of the machine."""
    types = sorted(
        ({**t, "source": None} for t in live["types"] if t["key"].split(".")[0] in PACKAGES), key=lambda t: t["key"]
    )
    keys = {t["key"] for t in types}
    scope = live.get("template_scope") or {}
    return {
        **live,
        "python": {},
        "types": types,
        "template_scope": {
            **scope,
            "user_vars": {k: v for k, v in (scope.get("user_vars") or {}).items() if k in keys},
        },
        "module_errors": {},
    }


def build(python: Path) -> dict[str, Any]:
    """The snapshot the worker builds now in `python` (no project, no cache)."""
    return bundled_snapshot(load_registry(python, None, use_cache=False, timeout=600.0).to_snapshot())


def serialized(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, indent=1, sort_keys=True) + "\n"


def write(python: Path) -> Path:
    SNAPSHOT_FILE.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT_FILE.write_text(serialized(build(python)), encoding="utf-8")
    return SNAPSHOT_FILE
