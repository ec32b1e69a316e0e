"""New component files: WorkspaceEdits from what the worker's scaffolder wrote, never overwriting."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional

from lsprotocol import types

from .lsp_ranges import lsp_range
from ..model.positions import LineIndex, Span
from ..model.registry import Registry
from ..model.uris import from_path

SCAFFOLD_COMMAND = "dagster.scaffold"


class ScaffoldConflict(Exception):
    """The scaffold would overwrite files that exist."""


@dataclass(frozen=True)
class ScaffoldedFile:
    path: Path
    """Absolute: the target folder joined with the worker's relative path."""
    text: str


def scaffolded_files(folder: Path, result: dict) -> list[ScaffoldedFile]:
    """The worker's `scaffold` result (`{"files": [{"path": "defs.yaml", "text": ...}]}`) under `folder`."""
    files = []
    for item in result.get("files") or []:
        relative = Path(str(item.get("path", "")))
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            continue  # a scaffolder writing outside its folder is not followed
        files.append(ScaffoldedFile(folder / relative, str(item.get("text", ""))))
    return files


def creation_edit(files: Iterable[ScaffoldedFile], exists: Callable[[Path], bool]) -> types.WorkspaceEdit:
    """Create each file with its text; refuse (ScaffoldConflict) when any of them exists."""
    files = list(files)
    taken = [str(f.path) for f in files if exists(f.path)]
    if taken:
        raise ScaffoldConflict("Not scaffolding: these files exist and would be overwritten: " + ", ".join(taken))
    changes: list = []
    for f in files:
        uri = from_path(f.path)
        changes.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(overwrite=False, ignore_if_exists=False)))
        changes.append(types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
            edits=[types.TextEdit(range=_start(), new_text=f.text)],
        ))
    return types.WorkspaceEdit(document_changes=changes)


def fill_edit(uri: str, index: LineIndex, text: str, append: bool) -> types.WorkspaceEdit:
    """Write the scaffold into an open document: replace it when it is blank, else add a `---` document."""
    current = index.text
    end = len(current)
    if append and current.strip():
        separator = ("" if current.endswith("\n") else "\n") + "---\n"
        edit = types.TextEdit(range=lsp_range(index, Span(end, end)), new_text=separator + text)
    else:
        edit = types.TextEdit(range=lsp_range(index, Span(0, end)), new_text=text)
    return types.WorkspaceEdit(changes={uri: [edit]})


def relevant_types(registry: Registry, used: Iterable[str], folder_module: Optional[str]) -> list[str]:
    """Types to offer for a new file, most relevant first: those the project already uses (most used
    first), then the project's own, then the rest by key."""
    counts = Counter(registry.lookup(t).key for t in used if registry.lookup(t) is not None)
    root = folder_module.split(".")[0] if folder_module else None

    def rank(key: str) -> tuple:
        own = root is not None and key.split(".")[0] == root
        return (-counts.get(key, 0), not own, key)

    return sorted(registry.types, key=rank)


def _start() -> types.Range:
    return types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
