"""complete(file, offset, ctx): keys, values, component types and template names at a cursor in a defs.yaml."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import count
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple, Optional

import yaml
from lsprotocol import types

from ..model import templates
from ..model.context import CheckContext, resolve_type
from ..model.cursor import ENTRY, KEY, VALUE, Cursor, cursor_at
from ..model.documents import DagsterLoader, ParsedFile, YamlDocument
from ..model.positions import KeyPath, LineIndex, Span
from ..model.schemas import UNSET_DEFAULT, branches, deprecation, deref, inline_yaml, schema_at, type_label
from ..model.template_scope import TemplateScope, template_scope
from ..model.vocabulary import ENVELOPE_DESCRIPTIONS, ENVELOPE_KEYS, JINJA_GLOBALS, TEMPLATE_GLOBAL_DESCRIPTIONS
from .lsp_ranges import lsp_range

if TYPE_CHECKING:
    from ..model.registry import ComponentType, Registry

OBJECT, LIST, SCALAR = "object", "list", "scalar"

Kind = types.CompletionItemKind

# Envelope keys before the first registry is ready: a copy of Dagster's `ComponentFileModel` schema,
# which the worker reports as `envelope_schema` once it is.
FALLBACK_ENVELOPE_SCHEMA: dict[str, Any] = {
    "$defs": {
        "ComponentRequirementsModel": {
            "title": "ComponentRequirementsModel",
            "type": "object",
            "properties": {
                "env": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}], "default": None}
            },
        },
    },
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"type": "string"},
        "attributes": {"anyOf": [{"type": "object", "additionalProperties": True}, {"type": "null"}], "default": None},
        "template_vars_module": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "requirements": {"anyOf": [{"$ref": "#/$defs/ComponentRequirementsModel"}, {"type": "null"}], "default": None},
        "post_processing": {
            "anyOf": [{"type": "object", "additionalProperties": True}, {"type": "null"}],
            "default": None,
        },
    },
}

# The attributes Dagster's scope objects let templates read (LoadContextScope, DgScope and DatetimeScope
# whitelist them in dagster/components/resolved/scopes.py); the worker reports only top-level names.
SCOPE_MEMBERS: dict[str, tuple[tuple[str, types.CompletionItemKind, str], ...]] = {
    "context": (
        ("project_root", Kind.Property, "str: the dg project's root folder"),
        ("load_component", Kind.Function, "load_component(path): the component defined at a path"),
        ("build_defs", Kind.Function, "build_defs(path): the definitions built from a path"),
    ),
    "dg": tuple(
        (name, Kind.Class, f"dagster.{name}")
        for name in (
            "AutomationCondition",
            "FreshnessPolicy",
            "DailyPartitionsDefinition",
            "WeeklyPartitionsDefinition",
            "MonthlyPartitionsDefinition",
            "HourlyPartitionsDefinition",
            "StaticPartitionsDefinition",
            "TimeWindowPartitionsDefinition",
        )
    ),
    "datetime": (("datetime", Kind.Class, "datetime.datetime"), ("timedelta", Kind.Class, "datetime.timedelta")),
}


_TOP_LEVEL_BLOCK = re.compile(r"\n(?=[^\s#-])")
_ENV_CALL = re.compile(r"""\benv\s*\(\s*['"](?P<partial>[^'"]*)$""")
_NO_WRAP = 1 << 30


def complete(
    parsed: ParsedFile, offset: int, ctx: CheckContext, index: LineIndex, environ: Mapping[str, str]
) -> list[types.CompletionItem]:
    """What may be typed at a code-point offset of the file, best first (`sort_text` keeps the order)."""
    doc = parsed.document_at(offset)
    if doc is None:
        return []
    text = doc.text.replace("\r", " ")  # same length: a CRLF file reads like an LF one, offsets unchanged
    cursor = cursor_at(text, offset - doc.start)
    if cursor is None:
        return []
    envelope = envelope_of(doc)
    typename = envelope.get("type")
    component = resolve_type(typename.strip(), ctx) if isinstance(typename, str) else None
    request = _Request(doc, text, cursor, ctx, index, environ, envelope, component)
    items = _items(request)
    crlf = "\r\n" in doc.text
    for i, item in enumerate(items):
        item.sort_text = f"{i:04d}"
        if crlf and isinstance(item.text_edit, types.TextEdit):  # keep the file's line endings
            item.text_edit.new_text = item.text_edit.new_text.replace("\n", "\r\n")
    return items


def _items(request: _Request) -> list[types.CompletionItem]:
    cursor = request.cursor
    kind = cursor.kind
    if kind == ENTRY:  # a word on a line of its own: a key where the schema has fields, else a value
        kind = KEY if _fields(request.schemas_at(cursor.path)) else VALUE
    if kind == KEY:
        return _key_items(request)
    expression = _open_expression(cursor.partial)
    if expression is not None:
        return _template_items(request, expression)
    if cursor.path == ("type",):
        return _type_items(request)
    if cursor.path[:2] == ("requirements", "env") and len(cursor.path) == 3:
        return _requirement_items(request)
    return _value_items(request)


class _Place(NamedTuple):
    """The schema alternatives at a key path, with the root their `$ref`s point into."""

    root: dict[str, Any]
    alternatives: list[Any]
    envelope: bool = False


@dataclass(frozen=True)
class _Request:
    """One completion request: the document, its cursor, and what the document's top level says."""

    doc: YamlDocument
    text: str
    cursor: Cursor
    ctx: CheckContext
    index: LineIndex
    environ: Mapping[str, str]
    envelope: dict[str, Any]
    """The document's top-level values, read block by block when the whole does not parse."""
    component: Optional[ComponentType]

    def edit(self, new_text: str, start: Optional[int] = None, end: Optional[int] = None) -> types.TextEdit:
        """Replace the cursor's span (or start..end, document offsets) with new_text."""
        span = Span(self.cursor.start if start is None else start, self.cursor.end if end is None else end)
        return types.TextEdit(range=lsp_range(self.index, span.shifted(self.doc.start)), new_text=new_text)

    def word_edit(self, new_text: str, partial: str, word: str = r"\w*") -> types.TextEdit:
        """Replace the word around the cursor: `partial` before it, and what matches `word` after it."""
        offset = self.cursor.offset
        rest = re.match(word, self.text[offset:])
        return self.edit(new_text, offset - len(partial), offset + (rest.end() if rest else 0))

    def schemas_at(self, path: KeyPath) -> _Place:
        registry = self.ctx.registry
        if path[:1] == ("attributes",):
            schema = self.component.schema if self.component is not None else None
            return _Place(schema, schema_at(schema, path[1:])) if schema else _Place({}, [])
        if path[:1] == ("post_processing",) and registry is not None and registry.post_processing_schema:
            return _Place(registry.post_processing_schema, schema_at(registry.post_processing_schema, path[1:]))
        envelope = (registry.envelope_schema if registry is not None else None) or FALLBACK_ENVELOPE_SCHEMA
        return _Place(envelope, schema_at(envelope, path), envelope=True)

    def scope(self) -> Optional[TemplateScope]:
        """The template scope by diagnostics' own lookup; the envelope stands in for an unparsable document."""
        return template_scope(dataclasses.replace(self.doc, value=self.envelope), self.ctx)

    def declared_env(self) -> list[str]:
        requirements = self.envelope.get("requirements")
        declared = requirements.get("env") if isinstance(requirements, dict) else None
        return [v for v in declared if isinstance(v, str)] if isinstance(declared, list) else []

    def alone(self) -> bool:
        """Nothing but the cursor's line has content: a new document."""
        line_start = self.text.rfind("\n", 0, self.cursor.start) + 1
        line_end = self.text.find("\n", self.cursor.end)
        others = self.text[:line_start] + (self.text[line_end:] if line_end != -1 else "")
        return all(not line.strip() or line.lstrip().startswith(("#", "---")) for line in others.split("\n"))


def envelope_of(doc: YamlDocument) -> dict[str, Any]:
    """The document's top-level mapping; when it does not parse, each top-level block read on its own."""
    if isinstance(doc.value, dict):
        return doc.value
    envelope: dict[str, Any] = {}
    for block in _TOP_LEVEL_BLOCK.split(doc.text):
        try:
            value = yaml.load(block, Loader=DagsterLoader)
        except Exception:  # noqa: BLE001 - a half-typed block is expected here, and must never fail completion
            continue
        if isinstance(value, dict):
            envelope.update(value)
    return envelope


# --- keys ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    name: str
    schema: Any
    required: bool
    description: Optional[str]
    deprecation: Optional[str] = None
    """Why the field is deprecated ("" without a reason), None when it is not."""


def _key_items(request: _Request) -> list[types.CompletionItem]:
    cursor = request.cursor
    place = request.schemas_at(cursor.path)
    items = [
        types.CompletionItem(
            label=f.name,
            kind=Kind.Property,
            detail=type_label(place.root, f.schema),
            documentation=_markdown(_with_deprecation(f.description, f.deprecation)),
            text_edit=request.edit(text := _key_text(place.root, f, cursor)),
            insert_text_mode=types.InsertTextMode.AsIs if "\n" in text else None,
            tags=[types.CompletionItemTag.Deprecated] if f.deprecation is not None else None,
        )
        for f in _fields(place)
        if f.name not in cursor.present
    ]
    if cursor.path == () and not cursor.flow and request.alone():
        items += _new_document_items(request)
    return items


def _key_text(root: dict, f: _Field, cursor: Cursor) -> str:
    """`key: ` for a scalar; for a block, the key and the next line indented under it (absolute indentation)."""
    if cursor.key_follows:
        return f.name
    if cursor.flow:
        return f"{f.name}: "
    indent = " " * (cursor.column + 2)
    shape = _shape(root, f.schema)
    if shape == OBJECT:
        return f"{f.name}:\n{indent}"
    if shape == LIST:
        return f"{f.name}:\n{indent}- "
    return f"{f.name}: "


def _fields(place: _Place) -> list[_Field]:
    """The keys an object allows: required ones first, then in `ui:order`, then as declared."""
    props: dict[str, Any] = {}
    order: list[str] = []
    required_sets: list[set[str]] = []
    for schema in place.alternatives:
        for alt in branches(place.root, schema):
            if not isinstance(alt.get("properties"), dict):
                continue
            for name, sub in alt["properties"].items():
                props.setdefault(name, sub)
            order += [n for n in alt.get("ui:order") or () if isinstance(n, str)]
            required_sets.append(set(alt.get("required") or ()))
    # A key is required only when every object shape requires it (`start_date` of one partitions
    # definition is not required of the others).
    required = set.intersection(*required_sets) if required_sets else set()
    if place.envelope:
        order += ENVELOPE_KEYS
    names = list(dict.fromkeys([*(n for n in order if n in props), *props]))
    deprecations = {name: deprecation(place.root, [props[name]]) for name in names}
    names.sort(key=lambda n: (deprecations[n] is not None, n not in required))  # deprecated ones last
    out = []
    for name in names:
        description = props[name].get("description") if isinstance(props[name], dict) else None
        if description is None and place.envelope:
            description = ENVELOPE_DESCRIPTIONS.get(name)
        out.append(_Field(name, props[name], name in required, description, deprecations[name]))
    return out


def _with_deprecation(description: Optional[str], reason: Optional[str]) -> Optional[str]:
    if reason is None:
        return description
    note = f"**Deprecated**: {reason}" if reason else "**Deprecated**."
    return f"{note}\n\n{description}" if description else note


def _shape(root: dict, schema: Any) -> str:
    """How a field is written: its first alternative that is not null decides."""
    for alt in branches(root, schema):
        kind = alt.get("type")
        if kind == "null":
            continue
        if kind == "array" or "items" in alt:
            return LIST
        if kind == "object" or "properties" in alt or "additionalProperties" in alt:
            return OBJECT
        return SCALAR
    return SCALAR


# --- values --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Value:
    value: Any
    kind: types.CompletionItemKind
    detail: Optional[str] = None


def _value_items(request: _Request) -> list[types.CompletionItem]:
    path, quote = request.cursor.path, request.cursor.quote
    # A list item's candidates include the members of the list's own examples (`deps: [customers, orders]`).
    parent = _examples(request.schemas_at(path[:-1])) if path and isinstance(path[-1], int) else []
    items = []
    for v in _values(request.schemas_at(path), [x for example in parent if isinstance(example, list) for x in example]):
        if quote and not isinstance(v.value, str):
            continue
        text = _in_quotes(v.value, quote) if quote else _inline_yaml(v.value)
        if text is None:
            continue  # a multi-line string is not offered inline
        items.append(
            types.CompletionItem(
                label=v.value if quote else text,
                kind=v.kind,
                detail=v.detail,
                text_edit=request.edit(text),
                preselect=True if v.detail == "default" else None,
            )
        )
    return items


def _examples(place: _Place) -> list[Any]:
    out: list[Any] = []
    for schema in place.alternatives:
        schema = deref(place.root, schema)
        if isinstance(schema, dict) and isinstance(schema.get("examples"), list):
            out += schema["examples"]
    return out


def _values(place: _Place, more_examples: Sequence[Any] = ()) -> list[_Value]:
    """Members of enums and Literals, booleans, null, the default, then the examples; each once."""
    members: list[Any] = []
    defaults: list[Any] = []
    kinds: set[Optional[str]] = set()
    for schema in place.alternatives:
        schema = deref(place.root, schema)
        if not isinstance(schema, dict):
            continue
        if "default" in schema:
            defaults.append(schema["default"])
        for alt in branches(place.root, schema):
            members += alt["enum"] if isinstance(alt.get("enum"), list) else []
            members += [alt["const"]] if "const" in alt else []
            kinds.update(alt["type"] if isinstance(alt.get("type"), list) else [alt.get("type")])
    found: dict[str, _Value] = {}

    def add(value: Any, kind: types.CompletionItemKind, detail: Optional[str] = None) -> None:
        text = _inline_yaml(value)
        if text is None or UNSET_DEFAULT in text:
            return
        if text not in found:
            found[text] = _Value(value, kind, detail)
        elif detail == "default":
            found[text] = dataclasses.replace(found[text], detail=detail)

    for member in members:
        add(member, Kind.EnumMember)
    if "boolean" in kinds:
        add(True, Kind.Keyword)
        add(False, Kind.Keyword)
    if "null" in kinds:
        add(None, Kind.Keyword)
    for default in defaults:
        if default is not None or "null" in kinds:  # Dagster writes `default: null` on fields that reject null
            add(default, Kind.Value, "default")
    for example in [*_examples(place), *more_examples]:
        add(example, Kind.Value, "example")
    return list(found.values())


def _inline_yaml(value: Any) -> Optional[str]:
    """A value as YAML on one line, None if it needs several (a multi-line string)."""
    text = inline_yaml(value)
    return None if "\n" in text or (isinstance(value, str) and "\n" in value) else text


def _in_quotes(value: str, quote: str) -> str:
    """A string as it is written between the given quotes ('' for none)."""
    if not quote:
        return value
    if quote == "'":
        return value.replace("'", "''")
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _requirement_items(request: _Request) -> list[types.CompletionItem]:
    """`requirements.env` items: environment variable names not listed yet."""
    declared = set(request.declared_env()) - {request.cursor.partial}
    return [
        types.CompletionItem(label=name, kind=Kind.Variable, detail="environment", text_edit=request.edit(name))
        for name in sorted(request.environ)
        if name not in declared
    ]


# --- component types -----------------------------------------------------------------------------


def _type_items(request: _Request) -> list[types.CompletionItem]:
    """Type names; in a document with only `type:`, choosing one also writes its required attributes."""
    registry = request.ctx.registry
    if registry is None:
        return []
    with_skeleton = not request.cursor.quote and not request.cursor.flow and request.alone()
    items = []
    for name, component in _typenames(registry, request.ctx.folder_module):
        skeleton = _attributes_skeleton(component) if with_skeleton else ""
        text = _escape(name) + skeleton if skeleton else _in_quotes(name, request.cursor.quote)
        items.append(_type_item(request, name, Kind.Class, component, text, snippet=bool(skeleton)))
    return items


def _new_document_items(request: _Request) -> list[types.CompletionItem]:
    """In an empty document: one snippet per type, `type:` with the type's required attributes."""
    registry = request.ctx.registry
    if registry is None:
        return []
    items = []
    for name, component in _typenames(registry, request.ctx.folder_module):
        skeleton = _attributes_skeleton(component)
        text = f"type: {_escape(name)}{skeleton}" if skeleton else f"type: {name}"
        items.append(_type_item(request, f"type: {name}", Kind.Snippet, component, text, snippet=bool(skeleton)))
    return items


def _type_item(
    request: _Request, label: str, kind: types.CompletionItemKind, component: ComponentType, text: str, snippet: bool
) -> types.CompletionItem:
    return types.CompletionItem(
        label=label,
        kind=kind,
        detail=component.summary,
        documentation=_markdown(component.description),
        text_edit=request.edit(text),
        insert_text_format=types.InsertTextFormat.Snippet if snippet else None,
        insert_text_mode=types.InsertTextMode.AsIs if snippet else None,
    )


def _typenames(registry: Registry, folder_module: Optional[str]) -> list[tuple[str, ComponentType]]:
    """Each type by key (`.Name` when it lives under the folder's module) and by any shorter alias;
    the folder's own types first."""
    local, other = [], []
    prefix = f"{folder_module}." if folder_module else None
    for component in registry.types.values():
        if prefix and component.key.startswith(prefix):
            local.append(("." + component.key[len(prefix) :], component))
        else:
            other.append((component.key, component))
        other += [(alias, component) for alias in component.aliases if len(alias) < len(component.key)]
    return sorted(local, key=lambda p: p[0]) + sorted(other, key=lambda p: p[0])


def _attributes_skeleton(component: ComponentType) -> str:
    """`\\nattributes:` and the required attributes as snippet tab stops, '' when none is required."""
    schema = component.schema or {}
    lines = _required_lines(schema, [schema], 2, count(1), 0)
    return "\nattributes:\n" + "\n".join(lines) if lines else ""


def _required_lines(root: dict, alternatives: list[Any], indent: int, tabstops: Iterator[int], depth: int) -> list[str]:
    """One line per required field (nested objects' own required fields under them), each with a tab stop."""
    pad = " " * indent
    lines = []
    for f in _fields(_Place(root, alternatives)):
        if not f.required:
            continue
        shape = _shape(root, f.schema)
        nested = shape == OBJECT and depth < 3
        inner = _required_lines(root, [f.schema], indent + 2, tabstops, depth + 1) if nested else []
        if inner:
            lines += [f"{pad}{f.name}:", *inner]
        elif shape == OBJECT:
            lines += [f"{pad}{f.name}:", f"{pad}  ${{{next(tabstops)}}}"]
        elif shape == LIST:
            lines += [f"{pad}{f.name}:", f"{pad}  - ${{{next(tabstops)}}}"]
        else:
            hint = _placeholder(root, f.schema)
            lines.append(f"{pad}{f.name}: ${{{next(tabstops)}{':' + _escape(hint) if hint else ''}}}")
    return lines


def _placeholder(root: dict, schema: Any) -> str:
    """What a tab stop shows: the default, else the first example, else the first allowed member."""
    rank = {"default": 0, "example": 1}
    for v in sorted(_values(_Place(root, [schema])), key=lambda v: rank.get(v.detail or "", 2)):
        if v.value is not None:
            return _inline_yaml(v.value) or ""
    return ""


def _escape(text: str) -> str:
    """Snippet syntax treats `$`, `}` and `\\` as special."""
    return re.sub(r"([$}\\])", r"\\\1", text)


# --- templates -----------------------------------------------------------------------------------


def _open_expression(value: str) -> Optional[str]:
    """The text of a `{{` expression still open at the end of `value`, else None."""
    start = value.rfind("{{")
    if start == -1 or "}}" in value[start:]:
        return None
    return value[start + 2 :]


def _template_items(request: _Request, expression: str) -> list[types.CompletionItem]:
    call = _ENV_CALL.search(expression)
    if call is not None:
        return _env_items(request, call.group("partial"), identifiers_only=False)
    owners, partial = templates.trailing_dotted(expression)
    if not owners:
        return _scope_items(request, partial)
    if owners == ["env"]:
        return _env_items(request, partial, identifiers_only=True)
    if len(owners) == 1:
        return _member_items(request, owners[0], partial)
    return []


def _scope_items(request: _Request, partial: str) -> list[types.CompletionItem]:
    """Template names valid at the cursor's key path; deprecated ones last, tagged, with their replacement."""
    registry, scope = request.ctx.registry, request.scope()
    if scope is None or registry is None:
        return []
    dagster_names = set(registry.template_scope.get("globals") or ())
    items = []
    for name in sorted(scope.names_at(request.cursor.path) - JINJA_GLOBALS, key=lambda n: (n in scope.deprecated, n)):
        if name in scope.deprecated:
            detail = scope.deprecated[name]
        elif name in dagster_names:
            # Hover's words for the name; a detail is plain text, so without its Markdown backticks.
            detail = TEMPLATE_GLOBAL_DESCRIPTIONS.get(name, "Dagster template scope").replace("`", "")
        elif name in scope.globals or request.component is None:
            detail = "template var"
        else:
            detail = f"from {request.component.key}"  # a per-type extra such as dbt's `node`
        items.append(
            types.CompletionItem(
                label=name,
                kind=Kind.Variable,
                detail=detail,
                text_edit=request.word_edit(name, partial),
                tags=[types.CompletionItemTag.Deprecated] if name in scope.deprecated else None,
            )
        )
    return items


def _member_items(request: _Request, owner: str, partial: str) -> list[types.CompletionItem]:
    scope = request.scope()
    if scope is None or owner not in scope.names_at(request.cursor.path):
        return []
    return [
        types.CompletionItem(label=name, kind=kind, detail=detail, text_edit=request.word_edit(name, partial))
        for name, kind, detail in SCOPE_MEMBERS.get(owner, ())
    ]


def _env_items(request: _Request, partial: str, identifiers_only: bool) -> list[types.CompletionItem]:
    """Environment variable names: the document's `requirements.env` first, then the environment's."""
    declared = request.declared_env()
    names = dict.fromkeys([*declared, *sorted(request.environ)])
    return [
        types.CompletionItem(
            label=name,
            kind=Kind.Variable,
            detail="requirements.env" if name in declared else "environment",
            text_edit=request.word_edit(name, partial, r"\w*" if identifiers_only else r"[^\s'\")]*"),
        )
        for name in names
        if name.isidentifier() or not identifiers_only
    ]


def _markdown(text: Optional[str]) -> Optional[types.MarkupContent]:
    return types.MarkupContent(kind=types.MarkupKind.Markdown, value=text) if text else None
