"""A file's CheckContext in its project, and the typenames its documents name for the worker to import."""

from collections.abc import Iterable
from pathlib import Path
from typing import Optional

from ..model.context import CheckContext, PolicyRules
from ..model.documents import ParsedFile
from ..model.registry import Registry
from . import discovery as projects


def referenced_types(files: Iterable[ParsedFile]) -> list[str]:
    """Absolute typenames the documents name: the worker imports them (re-exports, lone files)."""
    names = set()
    for parsed in files:
        for doc in parsed.documents:
            typename = doc.value.get("type") if isinstance(doc.value, dict) else None
            if isinstance(typename, str) and "." in typename.strip() and not typename.startswith("."):
                names.add(typename.strip())
    return sorted(names)


def context_for(
    file: Path, owner: Optional[projects.Project], registry: Optional[Registry], config: Optional[PolicyRules] = None
) -> CheckContext:
    folder_module = None
    if owner is not None:
        try:
            folder_module = projects.module_for_folder(owner, file.parent)
        except ValueError:  # not under the defs folder: relative types cannot resolve
            folder_module = None
    return CheckContext(
        registry=registry,
        file_name=file.name,
        folder=str(file.parent),
        folder_module=folder_module,
        project_root=str(owner.root) if owner else None,
        policies=config,
    )
