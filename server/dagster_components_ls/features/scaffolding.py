"""Scaffolding: the actions offering it, the scaffolder's params, and WorkspaceEdits from what it wrote (never overwriting)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional

from lsprotocol import types

from ..model.context import CheckContext, resolve_type
from ..model.documents import ParsedFile
from ..model.positions import LineIndex, Span
from ..model.registry import Registry
from ..model.uris import from_path, to_path
from .lsp_ranges import lsp_range

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
        changes.append(
            types.CreateFile(uri=uri, options=types.CreateFileOptions(overwrite=False, ignore_if_exists=False))
        )
        changes.append(
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=[types.TextEdit(range=_start(), new_text=f.text)],
            )
        )
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
    counts = Counter(c.key for c in map(registry.lookup, used) if c is not None)
    root = folder_module.split(".")[0] if folder_module else None

    def rank(key: str) -> tuple:
        own = root is not None and key.split(".")[0] == root
        return (-counts.get(key, 0), not own, key)

    return sorted(registry.types, key=rank)


def _start() -> types.Range:
    return types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))


def scaffold_actions(
    text: str, parsed: ParsedFile, ctx: CheckContext, uri: str, used: list[str]
) -> list[types.CodeAction]:
    """In a blank defs.yaml: "Scaffold <type>" for each type, most relevant first. On a valid
    document: add another document of the same type."""
    registry = ctx.registry
    if registry is None or registry.approximate:  # the bundled snapshot: no scaffolder can run
        return []
    folder = from_path(to_path(uri).parent)

    def action(title: str, typename: str, append: bool) -> types.CodeAction:
        args = {"type": typename, "folder": folder, "into": uri, "append": append}
        return types.CodeAction(
            title=title,
            kind=types.CodeActionKind.Refactor,
            command=types.Command(title=title, command=SCAFFOLD_COMMAND, arguments=[args]),
        )

    if not text.strip():
        return [action(f"Scaffold {key}", key, False) for key in relevant_types(registry, used, ctx.folder_module)]
    keys = []
    for doc in parsed.documents:
        written = doc.value.get("type") if isinstance(doc.value, dict) else None
        component = resolve_type(written.strip(), ctx) if isinstance(written, str) else None
        if component is not None and component.key not in keys:
            keys.append(component.key)
    return [action(f"Add another {key} document", key, True) for key in keys]


def scaffold_refusal(python_known: bool, trusted: bool, unset_environment: Optional[str]) -> Optional[str]:
    """Why the scaffolder cannot run for this project, or None when it can."""
    if not python_known or not trusted:
        return "Scaffolding runs the component's scaffolder, which needs a trusted workspace"
    if unset_environment is not None:
        return (
            f"Scaffolding runs the component's scaffolder in the project's environment, which is not "
            f"set up: {unset_environment}"
        )
    return None


def scaffold_params(params: dict, root: Optional[Path]) -> dict:
    """The scaffolder's params, with relative values of `*path` keys made absolute under the project root."""
    return {
        k: str(root / v) if isinstance(v, str) and k.endswith("path") and root and not Path(v).is_absolute() else v
        for k, v in params.items()
    }


def scaffold_outcome(
    typename: str, files: list[ScaffoldedFile], applied: bool, failure_reason: Optional[str]
) -> tuple[dict, Optional[str]]:
    """The command's result, and the message to show when the editor did not apply the edit."""
    result: dict = {"applied": applied, "files": [str(f.path) for f in files]}
    if applied:
        return result, None
    why = failure_reason or "it declined"
    result["failureReason"] = message = f"Scaffold {typename}: the editor did not apply the edit ({why})"
    return result, message
