"""What `dg scaffold defs <type> <path>` would write, as text, without touching the project."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import adapter_scaffold
import protocol
import registry

# A scaffolder writes through the file system, so it runs in a temporary folder named like the
# target (some scaffolders use the folder's name) and its files are read back.


def scaffold(
    project_root: str | None, typename: str, folder_name: str, params: dict[str, Any] | None, append: bool
) -> protocol.ScaffoldResult:
    """`{"files": [{"path": "defs.yaml", "text": "..."}]}`, paths relative to the target folder."""
    project = registry.read_project(Path(project_root)) if project_root else None
    if project is not None:
        registry.make_importable(project)
    with tempfile.TemporaryDirectory(prefix="dagster-components-ls-scaffold-") as tmp:
        target = Path(tmp) / (folder_name or "component")
        adapter_scaffold.scaffold_object(
            target,
            typename,
            json.dumps(params) if params else None,
            Path(project_root) if project_root else None,
            append,
        )
        files = sorted(p for p in target.rglob("*") if p.is_file())
        return {
            "files": [{"path": p.relative_to(target).as_posix(), "text": p.read_text(errors="replace")} for p in files]
        }
