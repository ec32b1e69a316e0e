"""Signature help inside template calls: Dagster's callables (`context.load_component(`, `env(`), the project's
`@template_var` UDFs and Jinja's filters, tests and globals, from their real signatures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Optional

from lsprotocol import types

from ..model.context import CheckContext, component_of
from ..model.documents import ParsedFile, YamlDocument
from ..model.paths import module_files
from ..model.python_signatures import Signature, callable_signature, parameter_name, template_var_signatures
from ..model.template_tokens import OpenCall, open_call
from .hover import rst_to_markdown

MAX_EXPRESSION = 4096
"""How far back from the cursor a template's `{{` is looked for (no real expression is longer)."""
_TEMPLATE_VARS_LINE = re.compile(r"^template_vars_module:[ \t]*['\"]?([\w.]+)", re.MULTILINE)

Read = Callable[[Path], Optional[str]]
"""A file's text, None when it cannot be read (the handler's; tests pass a dict's get)."""


def signature_help(parsed: ParsedFile, offset: int, ctx: CheckContext, read: Read) -> Optional[types.SignatureHelp]:
    doc = parsed.document_at(offset)
    if doc is None:
        return None
    call = _call_at(doc, offset - doc.start)
    if call is None:
        return None
    found = _signature(call, doc, ctx, read)
    if found is None:
        return None
    name, signature, implicit = found
    parameters = signature.parameters
    label = f"{name}({', '.join(parameters)})"
    spans, at = [], len(name) + 1
    for text in parameters:
        spans.append(types.ParameterInformation(label=(at, at + len(text))))
        at += len(text) + 2
    active = _active(call, parameters, implicit)
    documentation = (
        types.MarkupContent(kind=types.MarkupKind.Markdown, value=rst_to_markdown(signature.documentation))
        if signature.documentation
        else None
    )
    information = types.SignatureInformation(
        label=label, documentation=documentation, parameters=spans, active_parameter=active
    )
    return types.SignatureHelp(signatures=[information], active_signature=0, active_parameter=active)


def _call_at(doc: YamlDocument, at: int) -> Optional[OpenCall]:
    """The call open at the cursor inside the `{{` (or `{%`) the cursor is in."""
    start = max(doc.text.rfind("{{", 0, at), doc.text.rfind("{%", 0, at))
    if start == -1 or at - start > MAX_EXPRESSION:
        return None
    before = doc.text[start:at]
    if "}}" in before or "%}" in before:
        return None
    return open_call(before)


def _signature(
    call: OpenCall, doc: YamlDocument, ctx: CheckContext, read: Read
) -> Optional[tuple[str, Signature, int]]:
    """(the name shown, the signature, how many leading parameters the caller does not write)."""
    name = ".".join(call.callee)
    if call.how in ("filter", "test"):
        function = _jinja_callable(call.how, name)
        if function is None:
            return None
        # Jinja passes the environment or context first when the filter asks for it, then the value.
        signature = callable_signature(function, skip_first=getattr(function, "jinja_pass_arg", None) is not None)
        return (name, signature, 1) if signature else None
    dagster = (ctx.registry.template_scope.get("signatures") or {}) if ctx.registry else {}
    if isinstance(dagster.get(name), dict):
        entry = dagster[name]
        return name, Signature(tuple(entry.get("parameters") or ()), entry.get("documentation") or ""), 0
    if len(call.callee) != 1:
        return None
    for path in _template_var_sources(doc, ctx):
        text = read(path)
        if text is not None and name in template_var_signatures(text):
            return name, template_var_signatures(text)[name], 0
    function = _jinja_callable("global", name)
    signature = callable_signature(function) if function is not None else None
    return (name, signature, 0) if signature else None


def _jinja_callable(how: str, name: str) -> Optional[Callable[..., Any]]:
    from jinja2.defaults import DEFAULT_FILTERS, DEFAULT_NAMESPACE, DEFAULT_TESTS

    table = {"filter": DEFAULT_FILTERS, "test": DEFAULT_TESTS, "global": DEFAULT_NAMESPACE}[how]
    value = table.get(name)
    return value if callable(value) else None


def _template_var_sources(doc: YamlDocument, ctx: CheckContext) -> list[Path]:
    """The files whose `@template_var`s this document can call: its `template_vars_module` and its
    component class's file (static template vars)."""
    module = doc.value.get("template_vars_module") if isinstance(doc.value, dict) else None
    if not isinstance(module, str):
        line = _TEMPLATE_VARS_LINE.search(doc.text)  # a document being typed: its line
        module = line.group(1) if line else None
    paths = module_files(module.strip(), ctx) if module and module.strip() else []
    component = component_of(doc, ctx)
    if component is not None and component.source_path is not None:
        paths.append(component.source_path)
    return paths


def _active(call: OpenCall, parameters: tuple[str, ...], implicit: int) -> Optional[int]:
    """The parameter being written: a keyword's own, else by position (a `*args` takes the rest)."""
    names = [parameter_name(p) for p in parameters]
    if call.keyword is not None:
        return names.index(call.keyword) if call.keyword in names else None
    index = call.argument + implicit
    if index < len(parameters) and not parameters[index].startswith("**"):
        return index
    star = next((i for i, p in enumerate(parameters) if p.startswith("*") and not p.startswith("**")), None)
    return star if star is not None and star <= index else None
