"""Rename of an asset key written in YAML, or of a template variable (its uses and its `@template_var`
function's name): the edits for every file, or why the rename is refused."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Optional

from lsprotocol import types

from ..model.loaded import Loaded
from ..model.positions import LineIndex
from ..model.vocabulary import JINJA_GLOBALS
from .definition import display_path, file_uri
from .lsp_ranges import lsp_range
from .references import ASSET, TEMPLATE_VAR, Name, Occurrence, WorkspaceFile, occurrences

_ASSET_KEY = re.compile(r"[A-Za-z0-9_]+(?:/[A-Za-z0-9_]+)*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Plain scalars YAML would read as something else than the string (`true`, `123`, `~`): written quoted.
_NOT_A_PLAIN_STRING = re.compile(r"(?i)[-+0-9._]+|true|false|yes|no|on|off|y|n|null|~")
_RESERVED = frozenset({"context", "env", "true", "false", "none", "and", "or", "not", "in", "is", "if", "else"})


class RenameRefused(ValueError):
    """A rename that cannot be done; the message says why (the editor shows it)."""


def renameable(name: Optional[Name]) -> bool:
    """Asset keys and template variables rename; component types do not (that is a Python refactoring)."""
    return name is not None and name.kind in (ASSET, TEMPLATE_VAR)


def check_new_name(name: Name, new_name: str, files: Iterable[WorkspaceFile], loaded: Optional[Loaded]) -> None:
    """Raise RenameRefused when the new name is invalid or, for an asset key, already taken."""
    if name.kind == TEMPLATE_VAR:
        if not _IDENTIFIER.fullmatch(new_name) or new_name.lower() in _RESERVED or new_name in JINJA_GLOBALS:
            raise RenameRefused(f"`{new_name}` is not a valid template variable name (a Python identifier)")
        if new_name != name.name and new_name in _defined_vars(name.origin, files):
            raise RenameRefused(f"A template variable `{new_name}` is already defined beside `{name.name}`")
        return
    if not _ASSET_KEY.fullmatch(new_name):
        raise RenameRefused(
            f"`{new_name}` is not a valid asset key (parts of letters, digits and underscores, joined by `/`)"
        )
    if new_name == name.name:
        return
    if loaded is not None and new_name in loaded.assets:
        raise RenameRefused(f"An asset with the key `{new_name}` already exists: the rename would merge two assets")
    files = list(files)
    _check_written(name, files, loaded)
    taken = Name(ASSET, new_name, name.span)
    for file in files:
        if occurrences(file.parsed, taken, file.ctx):
            raise RenameRefused(
                f"The asset key `{new_name}` already exists (in {display_path(file.path, file.ctx)}):"
                " the rename would merge two assets"
            )


def _defined_vars(origin: Optional[str], files: Iterable[WorkspaceFile]) -> set[str]:
    """The template variables the registries know where `origin` (a module file, a component key) defines one."""
    found: set[str] = set()
    for file in files:
        user_vars = file.ctx.registry.template_scope.get("user_vars") if file.ctx.registry is not None else None
        for where, names in (user_vars or {}).items():
            if origin is not None and os.path.normpath(where) == os.path.normpath(origin):
                found.update(names or ())
    return found


def check_definitions(name: Name, definitions: list[types.Location]) -> None:
    """A template variable renames only with its function: refused when the function is not found."""
    if name.kind == TEMPLATE_VAR and not definitions:
        raise RenameRefused(f"The `@template_var` function `{name.name}` was not found: it would keep its name")


def _check_written(name: Name, files: list[WorkspaceFile], loaded: Optional[Loaded]) -> None:
    """An asset the load knows whose producer does not write its key (dbt, a key built in Python) would
    lose its references: refused."""
    asset = loaded.assets.get(name.name) if loaded is not None else None
    producer = asset.get("producer") if asset is not None else None
    if not isinstance(producer, Mapping) or not isinstance(producer.get("path"), str):
        return
    if any(o.write for file in files for o in occurrences(file.parsed, name, file.ctx)):
        return
    path = producer["path"]
    shown = next((display_path(f.path, f.ctx) for f in files if str(f.path) == path), path)
    raise RenameRefused(
        f"`{name.name}` is produced by {shown}, which does not write the key as such: rename it where it is built"
    )


def rename_edits(
    name: Name,
    new_name: str,
    files: Iterable[WorkspaceFile],
    encoding: str,
    python_definitions: Iterable[types.Location] = (),
) -> dict[str, list[types.TextEdit]]:
    """URI -> the edits of that file: each occurrence's text (inside its quotes) replaced, a plain scalar
    quoted only when the new name would not read as a string; plus the template variable's function name."""
    out: dict[str, list[types.TextEdit]] = {}
    for file in files:
        found = occurrences(file.parsed, name, file.ctx)
        if not found:
            continue
        index = LineIndex(file.parsed.text, encoding)
        edits = out.setdefault(file_uri(file.path), [])
        for occurrence in found:
            if occurrence.parts:
                edits.extend(_list_edits(occurrence, new_name, index))
                continue
            needs_quotes = name.kind == ASSET and not occurrence.quoted and _NOT_A_PLAIN_STRING.fullmatch(new_name)
            text = f'"{new_name}"' if needs_quotes else new_name
            edits.append(types.TextEdit(range=lsp_range(index, occurrence.span), new_text=text))
    for location in python_definitions if name.kind == TEMPLATE_VAR else ():
        out.setdefault(location.uri, []).append(types.TextEdit(range=location.range, new_text=new_name))
    return out


def _list_edits(occurrence: Occurrence, new_name: str, index: LineIndex) -> list[types.TextEdit]:
    """A key written as a list of parts: as many parts, each rewritten in place (its quotes kept); another
    number, the whole list written again in flow style, quoted as its first part was."""
    parts = new_name.split("/")
    if len(parts) == len(occurrence.parts):
        return [
            types.TextEdit(range=lsp_range(index, span), new_text=_part(part, style))
            for part, (span, style) in zip(parts, occurrence.parts)
        ]
    style = occurrence.parts[0][1]
    written = ", ".join(_quoted(part, style) for part in parts)
    return [types.TextEdit(range=lsp_range(index, occurrence.span), new_text=f"[{written}]")]


def _part(part: str, style: Optional[str]) -> str:
    """A part written inside its old quotes, or plain (quoted when YAML would not read it as a string)."""
    return part if style in ("'", '"') or not _NOT_A_PLAIN_STRING.fullmatch(part) else f'"{part}"'


def _quoted(part: str, style: Optional[str]) -> str:
    return f"{style}{part}{style}" if style in ("'", '"') else _part(part, style)


def workspace_edit(
    edits: Mapping[str, list[types.TextEdit]], versions: Optional[Mapping[str, Optional[int]]]
) -> types.WorkspaceEdit:
    """`documentChanges` with each open document's version when `versions` is given (the client supports
    them), else `changes`."""
    if versions is None:
        return types.WorkspaceEdit(changes=dict(edits))
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=versions.get(uri)),
                edits=list(file_edits),
            )
            for uri, file_edits in edits.items()
        ]
    )
