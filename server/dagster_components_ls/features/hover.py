"""hover(parsed, offset, ctx, index): Markdown for component types, fields, enum values and template variables."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from lsprotocol import types

from ..model.context import CheckContext, resolve_type
from ..model.documents import SCALAR, ParsedFile, YamlDocument
from ..model.positions import KeyPath, LineIndex, Span, format_key_path
from ..model.schemas import (
    UNSET_DEFAULT,
    accepts_templates,
    block_yaml,
    branches,
    def_name,
    deprecation,
    deref,
    inline_yaml,
    schema_at,
    type_label,
)
from ..model.template_scope import template_scope
from ..model.vocabulary import ENVELOPE_DESCRIPTIONS, JINJA_GLOBALS, TEMPLATE_GLOBAL_DESCRIPTIONS
from .definition import (
    TemplateName,
    Token,
    component_of,
    display_path,
    file_uri,
    in_template_expression,
    template_name_at,
    token_at,
    user_var_origin,
)
from .lsp_ranges import lsp_range

if TYPE_CHECKING:
    from ..model.registry import ComponentType

TEMPLATES_NOTE = "Accepts `{{ }}` templates."

CONTEXT_DESCRIPTIONS = {
    "project_root": "the project's root folder, as an absolute path",
    "load_component": "`context.load_component(path)`: the component at a path of the defs folder",
    "build_defs": "`context.build_defs(path)`: the definitions built at a path of the defs folder",
}
# Names a component type adds inside some attributes (the registry's `per_type`).
PER_TYPE_DESCRIPTIONS = {
    "node": "the dbt manifest node of each model",
    "spec": "the `AssetSpec` Dagster built for each asset, before this translation",
    "props": "the properties of each synced table",
    "stream_definition": "the Sling stream definition of each stream",
    "pipeline": "the dlt pipeline",
    "resource": "the dlt resource of each asset",
}

_CODE_BLOCK = re.compile(r"^(?P<indent>[ \t]*)\.\. code-block::[ \t]*(?P<lang>\S*)[ \t]*$")
_RST_LINK = re.compile(r"`([^`<]+?)\s*<([^`>]+)>`_")
_TEMPLATE = re.compile(r"\{\{.*?\}\}")


def hover(parsed: ParsedFile, offset: int, ctx: CheckContext, index: LineIndex) -> Optional[types.Hover]:
    """What the key, value or template variable under the cursor means, in Markdown."""
    doc = parsed.document_at(offset)
    if doc is None:
        return None
    local = offset - doc.start
    token = token_at(doc, local)
    if token is None:
        return None
    found = _token_hover(doc, token, local, ctx)
    if found is None:
        return None
    text, span = found
    if ctx.registry is not None and ctx.registry.approximate:  # the bundled snapshot, not the project's types
        text = f"*{ctx.registry.approximate}*\n\n{text}"
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
        range=lsp_range(index, span.shifted(doc.start)),
    )


def _token_hover(doc: YamlDocument, token: Token, offset: int, ctx: CheckContext) -> Optional[tuple[str, Span]]:
    span = token.node.span
    if token.is_key:
        text = _field_markdown(token.path, doc, ctx)
        return (text, span) if text else None
    if token.path == ("type",):
        component = resolve_type((token.node.text or "").strip(), ctx)
        return (_type_markdown(component), span) if component is not None else None
    name = template_name_at(doc, token.node, offset)
    if name is not None:
        text = _template_markdown(name, token.path, doc, ctx)
        return (text, name.span) if text else None
    if in_template_expression(doc, token.node, offset):
        return None
    if not token.node.text or token.node.kind != SCALAR:
        return None
    text = _enum_markdown(token.path, ctx, doc)
    if text is None and token.path and isinstance(token.path[-1], str):
        text = _field_markdown(token.path, doc, ctx)
    return (text, span) if text else None


# --- component types ---------------------------------------------------------------------------


def _type_markdown(component: ComponentType) -> str:
    parts = [f"**{component.key.rsplit('.', 1)[-1]}** `{component.key}`"]
    summary, description = (component.summary or "").strip(), (component.description or "").strip()
    if description and not description.startswith(summary):
        parts.append(summary)
    if description or summary:
        parts.append(rst_to_markdown(description or summary))
    facts = []
    if component.package:
        facts.append(f"Package `{component.package}`" + (f" {component.version}" if component.version else ""))
    if component.source_path is not None:
        line = component.source_line
        label = component.source_path.name + (f":{line}" if line else "")
        facts.append(f"[{label}]({file_uri(component.source_path)}{f'#L{line}' if line else ''})")
    if facts:
        parts += ["---", " · ".join(facts)]
    return "\n\n".join(parts)


def rst_to_markdown(text: str) -> str:
    """Docstrings mix Markdown with reStructuredText: turn `.. code-block::` and `` `text <url>`_ `` into Markdown."""
    lines = _RST_LINK.sub(r"[\1](\2)", text).split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _CODE_BLOCK.match(lines[i])
        if match is None:
            out.append(lines[i])
            i += 1
            continue
        indent, body = len(match.group("indent").expandtabs()), []
        i += 1
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
            body.append(lines[i])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
        margin = min((len(b) - len(b.lstrip()) for b in body if b.strip()), default=0)
        out += [f"```{match.group('lang')}", *(b[margin:] for b in body), "```", ""]
    return "\n".join(out).strip()


# --- fields ------------------------------------------------------------------------------------


def _field_markdown(path: KeyPath, doc: YamlDocument, ctx: CheckContext) -> Optional[str]:
    """A key's type, description, default, examples and whether it is required."""
    key = path[-1]
    if not isinstance(key, str):
        return None
    registry = ctx.registry
    if len(path) == 1:
        if key not in ENVELOPE_DESCRIPTIONS:
            return None
        envelope = registry.envelope_schema if registry is not None else {}
        component = component_of(doc, ctx)
        if key == "attributes" and component is not None:
            return _attributes_markdown(component)
        return _describe(
            key,
            envelope,
            schema_at(envelope, path),
            key in (envelope.get("required") or ()),
            fallback=ENVELOPE_DESCRIPTIONS[key],
        )
    root = _root_schema(path[0], doc, ctx)
    if root is None:
        return None
    inner = path if path[0] == "requirements" else path[1:]
    alternatives = schema_at(root, inner)
    if not alternatives:
        return None
    return _describe(key, root, alternatives, _required(root, inner), fallback=_builtin_description(path))


def _builtin_description(path: KeyPath) -> str:
    return ENVELOPE_DESCRIPTIONS.get(format_key_path(tuple(p for p in path if isinstance(p, str))), "")


def _root_schema(top: Any, doc: YamlDocument, ctx: CheckContext) -> Optional[dict]:
    if ctx.registry is None:
        return None
    if top == "attributes":
        component = component_of(doc, ctx)
        return component.schema if component is not None and isinstance(component.schema, dict) else None
    if top == "post_processing":
        return ctx.registry.post_processing_schema or None
    if top == "requirements":
        return ctx.registry.envelope_schema or None
    return None


def _attributes_markdown(component: ComponentType) -> str:
    schema = component.schema if isinstance(component.schema, dict) else {}
    parts = [f"`attributes: {component.key.rsplit('.', 1)[-1]}`", f"The attributes of `{component.key}`."]
    required = [r for r in schema.get("required") or () if isinstance(r, str)]
    if required:
        parts.append("Required: " + ", ".join(f"`{r}`" for r in required) + ".")
    return "\n\n".join(parts)


def _describe(key: str, root: dict, alternatives: list, required: bool, fallback: str = "") -> str:
    schema = alternatives[0] if len(alternatives) == 1 else {"anyOf": alternatives}
    header = f"`{key}: {type_label(root, schema)}`" if alternatives else f"`{key}`"
    parts = [header]
    reason = deprecation(root, alternatives)
    if reason is not None:
        parts.append(f"**Deprecated**: {reason}" if reason else "**Deprecated**.")
    description = _first(root, alternatives, "description") or fallback
    if description:
        parts.append(str(description).strip())
    facts = "Required." if required else "Optional."
    default = _raw(alternatives, "default")
    if not required and default is not None and default != UNSET_DEFAULT:
        facts = f"Optional, default `{inline_yaml(default)}`."
    if alternatives and accepts_templates(root, schema):
        facts += " " + TEMPLATES_NOTE
    parts.append(facts)
    examples = _raw(alternatives, "examples")
    if isinstance(examples, list) and examples:
        parts.append("Example:" if len(examples) == 1 else "Examples:")
        parts += [f"```yaml\n{block_yaml({key: example})}\n```" for example in examples]
    return "\n\n".join(parts)


def _raw(alternatives: list, name: str) -> Any:
    """A keyword written on the field itself (not on the type it refers to)."""
    return next((alt[name] for alt in alternatives if isinstance(alt, dict) and name in alt), None)


def _first(root: dict, alternatives: list, name: str) -> Any:
    """A keyword on the field, else on the type it refers to."""
    found = _raw(alternatives, name)
    if found is None:
        found = _raw([deref(root, alt) for alt in alternatives], name)
    return found


def _required(root: dict, path: KeyPath) -> bool:
    key = path[-1]
    for schema in schema_at(root, path[:-1]):
        for alt in branches(root, schema):
            if key in (alt.get("properties") or {}) and key in (alt.get("required") or ()):
                return True
    return False


# --- enum values -------------------------------------------------------------------------------


def _enum_markdown(path: KeyPath, ctx: CheckContext, doc: YamlDocument) -> Optional[str]:
    if len(path) < 2:
        return None
    root = _root_schema(path[0], doc, ctx)
    if root is None:
        return None
    inner = path if path[0] == "requirements" else path[1:]
    field = inner
    while field and isinstance(field[-1], int):  # a list item: the field is the list's key
        field = field[:-1]
    for schema in schema_at(root, inner):
        for alt in branches(root, schema):
            if not isinstance(alt.get("enum"), list):
                continue
            name = def_name(root, alt) or next((p for p in reversed(path) if isinstance(p, str)), "")
            description = (
                alt.get("description")
                or _first(root, schema_at(root, field), "description")
                or _builtin_description(path)
            )
            parts = [f"`{name}`"]
            if description:
                parts.append(str(description).strip())
            parts.append("Allowed values: " + ", ".join(f"`{inline_yaml(v)}`" for v in alt["enum"]))
            return "\n\n".join(parts)
    return None


# --- template variables ------------------------------------------------------------------------


def _template_markdown(name: TemplateName, path: KeyPath, doc: YamlDocument, ctx: CheckContext) -> Optional[str]:
    if name.owner is not None:
        return _attribute_markdown(name, doc)
    scope = template_scope(doc, ctx)
    keys = tuple(p for p in path if isinstance(p, str))
    component = component_of(doc, ctx)
    what, origin = None, None
    for prefix, names in scope.per_path.items() if scope else ():
        if name.name in names and keys[: len(prefix)] == prefix and component is not None:
            what = PER_TYPE_DESCRIPTIONS.get(name.name)
            origin = f"From `{component.key}`, inside `{format_key_path(prefix)}`."
            break
    if origin is None and scope is not None and name.name in scope.additional and component is not None:
        origin = f"From `{component.key}`'s additional scope (its `get_additional_scope()`)."
    if origin is None:
        source = user_var_origin(name.name, doc, ctx)
        if source is not None and component is not None and source == component.key:
            origin = f"A `@template_var` of `{component.key}`."
        elif source is not None:
            origin = f"A `@template_var` from [`{display_path(Path(source), ctx)}`]({file_uri(Path(source))})."
    if origin is None and name.name in JINJA_GLOBALS:
        origin = "A Jinja built-in."
    elif origin is None and (name.name in scope.globals if scope else name.name in TEMPLATE_GLOBAL_DESCRIPTIONS):
        what, origin = TEMPLATE_GLOBAL_DESCRIPTIONS.get(name.name), "From Dagster's template scope."
    own = scope.own_scope_at(path) if scope is not None else None
    if origin is None and own is not None and component is not None:
        where = f"`{format_key_path(own)}` is" if own else "this document's templates are"
        origin = (
            f"Not in Dagster's template scope: {where} rendered by `{component.key}`'s own code, "
            "with names of its own that cannot be read from here."
        )
    if origin is None:
        return None
    parts = [f"`{name.name}`: {what}" if what else f"`{name.name}`", origin]
    deprecated = scope.deprecated.get(name.name) if scope else None
    if deprecated:
        parts.append(f"**Deprecated**: {_TEMPLATE.sub(lambda m: f'`{m.group()}`', str(deprecated))}.")
    return "\n\n".join(parts)


def _attribute_markdown(name: TemplateName, doc: YamlDocument) -> Optional[str]:
    if name.owner == "context" and name.name in CONTEXT_DESCRIPTIONS:
        return f"`context.{name.name}`: {CONTEXT_DESCRIPTIONS[name.name]}"
    if name.owner != "env":
        return None
    requirements = doc.value.get("requirements") if isinstance(doc.value, dict) else None
    declared = requirements.get("env") if isinstance(requirements, dict) else None
    listed = isinstance(declared, list) and name.name in [str(v) for v in declared]
    where = "Declared in `requirements.env`." if listed else "Not declared in `requirements.env`."
    return f"`env.{name.name}`: the environment variable `{name.name}`\n\n{where}"
