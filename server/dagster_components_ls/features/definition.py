"""Where a type, template var or module named in defs.yaml is defined, and links for the paths it names."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from lsprotocol import types

from ..model import templates
from ..model.context import CheckContext, resolve_type
from ..model.documents import MAP, SCALAR, Node, ParsedFile, YamlDocument
from ..model.paths import module_files, path_targets, path_values, unquoted_span
from ..model.positions import KeyPath, LineIndex, Span
from ..model.uris import from_path
from ..model.vocabulary import JINJA_GLOBALS
from ..project.files import read_text
from .lsp_ranges import lsp_range

if TYPE_CHECKING:
    from ..model.registry import ComponentType

_TYPE_LINE = re.compile(r"""^type:[ \t]*["']?([\w.]+)["']?[ \t]*(?:#.*)?$""", re.MULTILINE)
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
# The `key:` of a `key: value` line of a document YAML could not parse, for the tolerant fallback
# (the value is cut by hand: a lazy value before `[ \t]*(#.*)?$` backtracked quadratically on spaces).
_LINE_KEY = re.compile(r"[ \t]*(?:-[ \t]+)*(?P<key>[A-Za-z_][\w.-]*)[ \t]*:")


@dataclass(frozen=True)
class Token:
    """The scalar under the cursor: a key or a value, with its key path and span (relative to its document)."""

    path: KeyPath
    node: Node
    is_key: bool


@dataclass(frozen=True)
class TemplateName:
    """A name read inside `{{ }}`: `context`, or `project_root` of `context.project_root` (owner `context`)."""

    name: str
    span: Span
    """Relative to the document."""
    owner: Optional[str] = None


def read_text_or_none(path: Path) -> Optional[str]:
    try:
        return read_text(path)
    except (OSError, ValueError):
        return None


def definition(
    parsed: ParsedFile,
    offset: int,
    ctx: CheckContext,
    index: LineIndex,
    read_text: Callable[[Path], Optional[str]] = read_text_or_none,
) -> list[types.Location]:
    """Where the thing under the cursor is defined: a `type`'s class, a template var's function, a module."""
    doc = parsed.document_at(offset)
    if doc is None:
        return []
    token = token_at(doc, offset - doc.start)
    if token is None or token.is_key or token.node.kind != SCALAR:
        return []
    text = (token.node.text or "").strip()
    if token.path == ("type",) and text:
        return _type_definition(text, ctx, index.encoding, read_text)
    if token.path == ("template_vars_module",) and text:
        module_file = next((p for p in module_files(text, ctx) if read_text(p) is not None), None)
        return (
            [
                _location(
                    module_file,
                    types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
                )
            ]
            if module_file
            else []
        )
    name = template_name_at(doc, token.node, offset - doc.start)
    origin = user_var_origin(name.name, doc, ctx) if name is not None and name.owner is None else None
    if name is None or origin is None:
        return []
    component = component_of(doc, ctx)
    path = component.source_path if component is not None and origin == component.key else Path(origin)
    source = read_text(path) if path is not None else None
    found = _find(source, rf"^[ \t]*(?:async[ \t]+)?def[ \t]+({re.escape(name.name)})\b")
    if path is None or source is None or found is None:
        return []
    return [_location(path, _range_in(source, found, index.encoding))]


def document_links(
    parsed: ParsedFile, ctx: CheckContext, index: LineIndex, exists: Callable[[Path], bool]
) -> list[types.DocumentLink]:
    """Links for the files and folders the YAML names (`script`, `project`, `template_vars_module`, ...)."""
    links = []
    for doc in parsed.documents:
        if doc.root is None or doc.root.kind != MAP:
            continue
        for key, value in path_values(doc.root):
            targets = path_targets(key, value, ctx)
            target = next((p for p in targets or () if exists(p)), None)
            if target is None:
                continue
            links.append(
                types.DocumentLink(
                    range=lsp_range(index, unquoted_span(doc, value).shifted(doc.start)),
                    target=file_uri(target),
                    tooltip=f"Open {display_path(target, ctx)}",
                )
            )
    return links


# --- what is under the cursor ------------------------------------------------------------------


def token_at(doc: YamlDocument, offset: int) -> Optional[Token]:
    """The key or scalar value at an offset relative to the document; read line by line when YAML failed."""
    if doc.root is not None:
        return _tree_token(doc.root, offset, ())
    if doc.problems:
        return _line_token(doc, offset)
    return None


def _tree_token(node: Node, offset: int, path: KeyPath) -> Optional[Token]:
    if node.kind == SCALAR:
        return Token(path, node, False) if node.span.contains(offset) else None
    if node.kind == MAP:
        # Keys first: a block collection's span runs up to the next key, which then starts where it ends.
        for key, _ in node.pairs:
            if key.kind == SCALAR and key.text is not None and key.span.contains(offset):
                return Token((*path, key.text), key, True)
        for key, value in node.pairs:
            if key.kind != SCALAR or key.text is None or value.span.start < key.span.end:
                continue  # an alias's span is its anchor's, elsewhere in the document
            if value.span.contains(offset):
                found = _tree_token(value, offset, (*path, key.text))
                if found is not None:
                    return found
    for i, item in enumerate(node.items):
        if item.span.contains(offset):
            found = _tree_token(item, offset, (*path, i))
            if found is not None:
                return found
    return None


def _line_token(doc: YamlDocument, offset: int) -> Optional[Token]:
    text = doc.text
    offset = min(max(offset, 0), len(text))
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line = text[line_start : line_end if line_end != -1 else len(text)]
    match = _LINE_KEY.match(line)
    value = _line_value(line, match.end()) if match is not None else None
    if match is None or value is None:
        return None
    key_start = line_start + match.start("key")
    path = (*doc.key_path_at(key_start), match.group("key"))
    key_span = Span(key_start, line_start + match.end("key"))
    if key_span.contains(offset):
        return Token(path, Node(SCALAR, key_span, "tag:yaml.org,2002:str", text=match.group("key")), True)
    raw = line[value.start : value.end]
    if not raw:
        return None
    span = value.shifted(line_start)
    if not span.contains(offset):
        return None
    quoted = len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\""
    node = Node(
        SCALAR, span, "tag:yaml.org,2002:str", text=raw[1:-1] if quoted else raw, style=raw[0] if quoted else None
    )
    return Token(path, node, False)


def _line_value(line: str, start: int) -> Optional[Span]:
    """The value after a line's `key:` (from `start`), before any comment and without the blanks
    around it; None when the line is no `key: value` (`key:x`, a stray carriage return)."""
    rest = line[start:]
    hash_at = rest.find("#")
    body = rest if hash_at == -1 else rest[:hash_at]
    if "\r" in body or (body and body[0] not in " \t"):
        return None
    value_start = start + len(body) - len(body.lstrip(" \t"))
    return Span(value_start, max(value_start, start + len(body.rstrip(" \t"))))


def template_name_at(doc: YamlDocument, node: Node, offset: int) -> Optional[TemplateName]:
    """The template variable (or its attribute) at an offset inside a string scalar, read from the source text."""
    value = node.text or ""
    if node.kind != SCALAR or not node.tag.endswith(":str") or ("{{" not in value and "{%" not in value):
        return None
    source = doc.text[node.span.start : node.span.end]
    at = offset - node.span.start
    if not 0 <= at <= len(source):
        return None
    start = at
    while start > 0 and (source[start - 1].isalnum() or source[start - 1] == "_"):
        start -= 1
    match = _IDENTIFIER.match(source, start)
    if match is None or match.end() < at or not in_template_expression(doc, node, offset):
        return None
    span = Span(node.span.start + match.start(), node.span.start + match.end())
    before = source[:start].rstrip()
    if before.endswith("."):
        owners, _ = templates.trailing_dotted(before)  # linear: a regex searched here was quadratic
        if len(owners) != 1 or owners[0] not in templates.names_used(value):
            return None  # none, or `a.b.c`: only first-level attributes are described
        return TemplateName(match.group(), span, owner=owners[0])
    if match.group() not in templates.names_used(value) and match.group() not in JINJA_GLOBALS:
        return None  # a loop variable, a keyword argument or a string literal
    return TemplateName(match.group(), span)


def in_template_expression(doc: YamlDocument, node: Node, offset: int) -> bool:
    """True inside the `{{ }}` or `{% %}` of a scalar (offsets relative to the document)."""
    source = doc.text[node.span.start : offset]
    opened = max(source.rfind("{{"), source.rfind("{%"))
    if opened == -1:
        return False
    return max(source.rfind("}}", opened), source.rfind("%}", opened)) == -1


# --- modules, template vars and paths ----------------------------------------------------------


def user_var_origin(name: str, doc: YamlDocument, ctx: CheckContext) -> Optional[str]:
    """Where a user template var comes from: a module file path, or the component type key for a class var."""
    if ctx.registry is None or not isinstance(doc.value, dict):
        return None
    user_vars = {os.path.normpath(k): v for k, v in (ctx.registry.template_scope.get("user_vars") or {}).items()}
    module = doc.value.get("template_vars_module")
    if isinstance(module, str) and module.strip():
        for path in module_files(module.strip(), ctx):
            if name in (user_vars.get(os.path.normpath(path)) or ()):
                return os.path.normpath(path)
    component = component_of(doc, ctx)
    if component is not None and name in (user_vars.get(component.key) or ()):
        return component.key
    return None


def component_of(doc: YamlDocument, ctx: CheckContext) -> Optional[ComponentType]:
    """The document's component type, read line by line when the YAML did not parse."""
    typename = typename_of(doc)
    return resolve_type(typename, ctx) if typename else None


def typename_of(doc: YamlDocument) -> Optional[str]:
    """The `type:` value as written, from the `type:` line when the YAML did not parse."""
    if isinstance(doc.value, dict):
        typename = doc.value.get("type")
        return typename.strip() if isinstance(typename, str) else None
    if doc.root is None and doc.problems:
        match = _TYPE_LINE.search(doc.text)
        return match.group(1) if match else None
    return None


def file_uri(path: Path) -> str:
    return from_path(path)


def display_path(path: Path, ctx: CheckContext) -> str:
    """A path relative to the project root when it is inside it, else absolute."""
    if ctx.project_root:
        try:
            return Path(path).relative_to(ctx.project_root).as_posix()
        except ValueError:
            pass
    return str(path)


# --- locations ---------------------------------------------------------------------------------


def _type_definition(
    typename: str, ctx: CheckContext, encoding: str, read_text: Callable[[Path], Optional[str]]
) -> list[types.Location]:
    class_name = typename.rsplit(".", 1)[-1]
    pattern = rf"^[ \t]*class[ \t]+({re.escape(class_name)})\b"
    component = resolve_type(typename, ctx)
    if component is not None and component.source_path is not None:
        source = read_text(component.source_path)
        line = max((component.source_line or 1) - 1, 0)
        found = None
        if source is not None:
            # The registry's line first; the file may have changed since, so then anywhere.
            lines = source.split("\n")
            on_line = _find(lines[line], pattern) if line < len(lines) else None
            start = sum(len(text) + 1 for text in lines[:line])
            found = on_line.shifted(start) if on_line else _find(source, pattern)
        if found is not None and source is not None:
            return [_location(component.source_path, _range_in(source, found, encoding))]
        line_start = types.Position(line=line, character=0)
        return [_location(component.source_path, types.Range(start=line_start, end=line_start))]
    # Not described by the worker (not loaded yet, or its module failed): look in the module's file.
    if "." not in typename:
        return []
    module = typename.rsplit(".", 1)[0] or "."
    for path in module_files(module, ctx):
        source = read_text(path)
        found = _find(source, pattern) if source is not None else None
        if found is not None:
            return [_location(path, _range_in(source or "", found, encoding))]
    return []


def _find(text: Optional[str], pattern: str) -> Optional[Span]:
    match = re.search(pattern, text or "", re.MULTILINE)
    return Span(match.start(1), match.end(1)) if match else None


def _range_in(text: str, span: Span, encoding: str) -> types.Range:
    return lsp_range(LineIndex(text, encoding), span)


def _location(path: Path, range_: types.Range) -> types.Location:
    return types.Location(uri=file_uri(path), range=range_)
