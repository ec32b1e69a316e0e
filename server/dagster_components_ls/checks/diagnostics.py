"""diagnose(file, ctx): syntax, envelope, type, schema and template checks, one small rule each."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, cast

from ..model import schemas, templates
from ..model.context import CheckContext, component_of, rank_typenames, resolve_type, resolve_typename, suggest
from ..model.documents import MAP, SCALAR, Node, ParsedFile, YamlDocument, parse_file
from ..model.paths import path_targets, path_values, unquoted_span
from ..model.positions import KeyPath, Span, format_key_path
from ..model.problems import ERROR, WARNING, Problem, without_suppressed
from ..model.template_scope import TemplateScope, template_scope
from ..model.vocabulary import CONTEXT_BEFORE_1_13, DEPRECATED_FILE_NAMES, ENVELOPE_KEYS, JINJA_GLOBALS
from .policies.config import PolicyConfig
from .policies.document_rules import policy_problems

Rule = Callable[[YamlDocument, CheckContext], Iterator[Problem]]


def diagnose_text(text: str, ctx: CheckContext) -> list[Problem]:
    return diagnose(parse_file(text), ctx)


def diagnose(parsed: ParsedFile, ctx: CheckContext) -> list[Problem]:
    """Every problem in a file, sorted by position, with suppression comments applied."""
    problems: list[Problem] = []
    for rule in FILE_RULES:
        problems.extend(rule(parsed, ctx))
    for doc in parsed.documents:
        problems.extend(p.shifted(doc.start) for p in _diagnose_document(doc.text, doc.index, ctx))
    problems = without_suppressed(parsed.text, problems)
    return sorted(problems, key=lambda p: (p.span.start, p.span.end, p.code))


@functools.lru_cache(maxsize=1024)
def _diagnose_document(text: str, index: int, ctx: CheckContext) -> tuple[Problem, ...]:
    # Cached by the document's own text: typing in one document leaves the others' results alone.
    doc = parse_file(text).documents[0]
    doc.index = index
    out: list[Problem] = []
    for rule in DOCUMENT_RULES:
        out.extend(rule(doc, ctx))
    return tuple(out)


# --- rules ---------------------------------------------------------------------------------------


def check_syntax(doc: YamlDocument, ctx: CheckContext) -> Iterator[Problem]:
    for problem in doc.problems:
        yield Problem(problem.span, "yaml-syntax", problem.message)


def check_shape(doc: YamlDocument, ctx: CheckContext) -> Iterator[Problem]:
    if not doc.parsed or ctx.registry is None:
        return
    if doc.root is None:
        span = doc.first_line()
        yield Problem(
            span,
            "missing-attribute",
            "Empty document: a component document needs at least `type:`",
            data={"key": "type", "path": []},
        )
    elif doc.root.kind != MAP:
        kind = "a list" if doc.root.kind == "seq" else "a single value"
        yield Problem(
            doc.first_line(),
            "invalid-value",
            f"A component document must be a mapping with `type:` and `attributes:`, not {kind}",
        )


def check_envelope(doc: YamlDocument, ctx: CheckContext) -> Iterator[Problem]:
    root = _mapping_root(doc, ctx)
    if root is None or ctx.registry is None:
        return
    envelope = ctx.registry.envelope_schema or {}
    allowed = tuple(envelope.get("properties") or ENVELOPE_KEYS)
    for key, _ in root.pairs:
        if key.text not in allowed:
            best = suggest(str(key.text), allowed)
            hint = f". Did you mean '{best}'?" if best else f". Allowed: {', '.join(allowed)}"
            yield Problem(
                key.span,
                "unknown-attribute",
                f"Unknown top-level key '{key.text}'{hint}",
                data={"path": [], "key": key.text, "suggestion": best},
            )
    if root.get("type") is None:
        yield Problem(
            _first_key_span(doc),
            "missing-attribute",
            "Missing `type:`: every component document names its component type",
            data={"key": "type", "path": []},
        )
    # The envelope's own value shapes (requirements, template_vars_module); other rules own the rest.
    value = {k: v for k, v in doc.value.items() if k in ("requirements", "template_vars_module")}
    for error in schemas.validate(envelope, value) if envelope else ():
        if error.key != "type":
            yield from _schema_problem(doc, (), error, owner="the document")


def check_type(doc: YamlDocument, ctx: CheckContext) -> Iterator[Problem]:
    root = _mapping_root(doc, ctx)
    node = root.get("type") if root is not None else None
    if node is None or ctx.registry is None:
        return
    if node.kind != SCALAR or not isinstance(doc.value.get("type"), str) or not doc.value["type"].strip():
        yield Problem(
            node.span,
            "invalid-value",
            "`type:` must be a component type name such as `dagster_dbt.DbtProjectComponent`",
        )
        return
    typename = doc.value["type"].strip()
    if resolve_type(typename, ctx) is not None or ctx.registry.approximate:
        return  # the bundled snapshot knows Dagster's own types only: any other may well exist
    yield _unknown_type(typename, node.span, ctx)


def check_attributes(doc: YamlDocument, ctx: CheckContext) -> Iterator[Problem]:
    root = _mapping_root(doc, ctx)
    component = component_of(doc, ctx)
    if root is None or component is None:
        return
    schema = component.schema or {}
    attributes = doc.value.get("attributes")
    if "attributes" not in doc.value or attributes is None:
        required = [r for r in schema.get("required", [])]
        if required:
            anchor = root.key_node("attributes") or root.key_node("type")
            names = ", ".join(f"'{r}'" for r in required)
            yield Problem(
                anchor.span if anchor is not None else root.span,
                "missing-attribute",
                f"{component.key} requires attributes: {names}",
                data={"key": required[0], "keys": required, "path": ["attributes"]},
            )
        return
    for error in schemas.validate(schema, attributes):
        yield from _schema_problem(doc, ("attributes",), error, owner=component.key)


def check_deprecated_fields(doc: YamlDocument, ctx: CheckContext) -> Iterator[Problem]:
    """A `deprecated` warning on each key whose field the component's code deprecates (see `schemas.deprecation`)."""
    root = _mapping_root(doc, ctx)
    component = component_of(doc, ctx)
    attributes = root.get("attributes") if root is not None and component is not None else None
    if component is None or attributes is None or not component.schema:
        return
    yield from _deprecated_keys(component.schema, attributes, [component.schema], ("attributes",))


def _deprecated_keys(root: dict[str, Any], node: Node, here: list[dict[str, Any]], path: KeyPath) -> Iterator[Problem]:
    for key, value in node.pairs:
        if not isinstance(key.text, str):
            continue
        below = schemas.step(root, here, key.text)
        reason = schemas.deprecation(root, below)
        if reason is not None:
            yield Problem(
                key.span,
                "deprecated",
                deprecated_field_message(key.text, reason),
                severity=WARNING,
                data={"path": list(path), "key": key.text, "reason": reason},
            )
        if below:
            yield from _deprecated_keys(root, value, below, (*path, key.text))
    for i, item in enumerate(node.items):
        below = schemas.step(root, here, i)
        if below:
            yield from _deprecated_keys(root, item, below, (*path, i))


def deprecated_field_message(key: str, reason: str) -> str:
    """The library's own words when they name the field (dagster-sling's do), else ours around them."""
    if f"`{key}`" in reason:
        return reason
    return f"`{key}` is deprecated" + (f": {reason}" if reason else "")


def check_post_processing(doc: YamlDocument, ctx: CheckContext) -> Iterator[Problem]:
    root = _mapping_root(doc, ctx)
    if root is None or ctx.registry is None or not ctx.registry.post_processing_schema:
        return
    value = doc.value.get("post_processing")
    if value is None:
        return
    for error in schemas.validate(ctx.registry.post_processing_schema, value):
        yield from _schema_problem(doc, ("post_processing",), error, owner="post_processing")


def check_templates(doc: YamlDocument, ctx: CheckContext) -> Iterator[Problem]:
    if doc.root is None or not doc.parsed:
        return
    scope = template_scope(doc, ctx)
    for path, node in _string_scalars(doc.root):
        text = node.text or ""
        if not templates.has_template(text):
            continue
        error = templates.syntax_error(text)
        if error is not None:
            yield Problem(_inner_span(doc, node, error.offset, error.length), "template-syntax", error.message)
            continue
        if scope is None or scope.untemplated_at(path):
            continue
        # A resolver that renders this string with names of its own: no unknown name can be judged.
        own = scope.own_scope_at(path) is not None
        allowed = scope.names_at(path)
        if not own:
            yield from _unknown_attributes(doc, node, text, scope, allowed)
        for name in sorted(templates.names_used(text)):
            spans = [_inner_span(doc, node, o, len(name)) for o in templates.name_offsets(text, name)] or [node.span]
            if name == "context" and name not in allowed and _before_context(text, allowed):
                continue  # Dagster before 1.13: each `context.X` is reported with the name it had then
            if name in scope.deprecated:
                for span in spans:
                    yield Problem(
                        span,
                        "deprecated",
                        f"`{name}` is deprecated in templates: {scope.deprecated[name]}",
                        severity=WARNING,
                        data={"name": name, "replacement": scope.deprecated[name]},
                    )
            elif name not in allowed and scope.complete and not own:
                best = suggest(name, sorted(allowed - JINJA_GLOBALS))
                hint = f". Did you mean '{best}'?" if best else ""
                for span in spans:
                    yield Problem(
                        span,
                        "unknown-template-variable",
                        f"Unknown template variable '{name}'{hint}",
                        data={"name": name, "suggestion": best},
                    )


def _unknown_attributes(
    doc: YamlDocument, node: Node, text: str, scope: TemplateScope, allowed: frozenset[str]
) -> Iterator[Problem]:
    """`{{ context.projct_root }}`: an attribute that a Dagster scope object does not let templates
    read (Dagster renders nothing, or raises, at load). On a Dagster without `context`, `context.X`
    is named by what X was then (`{{ project_root }}`)."""
    for owner, attribute in sorted(templates.attributes_used(text)):
        if owner == "context" and owner not in allowed and CONTEXT_BEFORE_1_13.get(attribute) in allowed:
            if not scope.complete:
                continue  # an unknown type's own scope might name it
            old = CONTEXT_BEFORE_1_13[attribute]
            for offset, length in templates.attribute_spans(text, owner, attribute):
                yield Problem(
                    _inner_span(doc, node, offset, length),
                    "unknown-template-variable",
                    f"Unknown template variable 'context': this Dagster has no `context` in templates. "
                    f"Did you mean '{old}'?",
                    data={"name": f"{owner}.{attribute}", "suggestion": old},
                )
            continue
        members = scope.members.get(owner)
        if members is None or attribute in members or owner not in scope.globals or owner not in allowed:
            continue
        best = suggest(attribute, sorted(members))
        hint = f". Did you mean '{best}'?" if best else f". It has: {', '.join(sorted(members))}"
        for offset, length in templates.attribute_spans(text, owner, attribute):
            span = _inner_span(doc, node, offset + length - len(attribute), len(attribute))
            yield Problem(
                span,
                "unknown-template-variable",
                f"Unknown attribute '{attribute}' of `{owner}` in templates{hint}",
                data={"name": attribute, "suggestion": best},
            )


def _before_context(text: str, allowed: frozenset[str]) -> bool:
    """True when every use of `context` in the text is `context.X` with a pre-1.13 name for X."""
    pairs = [attr for owner, attr in templates.attributes_used(text) if owner == "context"]
    return bool(pairs) and all(CONTEXT_BEFORE_1_13.get(attr) in allowed for attr in pairs)


def check_env_requirements(doc: YamlDocument, ctx: CheckContext) -> Iterator[Problem]:
    root = _mapping_root(doc, ctx)
    if root is None:
        return
    requirements = doc.value.get("requirements")
    declared = requirements.get("env") if isinstance(requirements, dict) else None
    if not isinstance(declared, list):
        return
    declared_names = {str(v) for v in declared}
    for _, node in _string_scalars(root):
        for ref in templates.env_references(node.text or ""):
            if ref.name not in declared_names:
                yield Problem(
                    _inner_span(doc, node, ref.offset, ref.length),
                    "undeclared-env-var",
                    f"Environment variable '{ref.name}' is used but not declared in `requirements.env`",
                    severity=WARNING,
                    data={"name": ref.name},
                )


def check_missing_files(doc: YamlDocument, ctx: CheckContext) -> Iterator[Problem]:
    """Paths the document names (a script, a notebook, a dbt project, `template_vars_module`) that do not exist."""
    root = _mapping_root(doc, ctx)
    if root is None:
        return
    component = component_of(doc, ctx)
    for key, value in path_values(root):
        candidates = path_targets(key, value, ctx)
        if not candidates or any(ctx.exists(path) for path in candidates):
            continue
        shown = _shown_path(candidates[0], ctx)
        if key == "template_vars_module":
            message = f"Module '{value.text}' not found: there is no {shown}"
        elif shown == (value.text or "").strip():
            message = f"'{value.text}' does not exist next to this file"
        else:
            message = f"'{value.text}' does not exist ({shown})"
        # Outside a dg project nothing is loaded (a lone file, a copy out of its repository): a warning.
        read_at_load = bool(ctx.project_root) and key in _LOAD_NEEDS.get(
            component.key if component else "", _ANY_TYPE_LOAD_NEEDS
        )
        yield Problem(
            unquoted_span(doc, value),
            "missing-file",
            message,
            severity=ERROR if read_at_load else WARNING,
            data={"key": key, "path": str(candidates[0])},
        )


# Paths Dagster reads while it loads the definitions: without them the load fails, so a missing one
# is an error (a script or notebook is only read when the asset runs: a warning).
_ANY_TYPE_LOAD_NEEDS = frozenset({"template_vars_module"})
_LOAD_NEEDS = {
    "dagster_dbt.DbtProjectComponent": _ANY_TYPE_LOAD_NEEDS | {"project"},  # DbtProject(project_dir) at load
    "dagster_sling.SlingReplicationCollectionComponent": _ANY_TYPE_LOAD_NEEDS | {"path"},  # sling_assets reads it
}


def _shown_path(path: Path, ctx: CheckContext) -> str:
    for base in (ctx.folder, ctx.project_root):
        if base:
            try:
                return path.relative_to(base).as_posix()
            except ValueError:
                continue
    return str(path)


def check_policies(doc: YamlDocument, ctx: CheckContext) -> Iterator[Problem]:
    """The project's document-level policy rules (allowed-types, required-attributes, forbidden-values)."""
    # The context holds a PolicyConfig typed by what model/ may know of it (model.context.PolicyRules).
    yield from policy_problems(doc, ctx, cast(Optional[PolicyConfig], ctx.policies))


def check_file_name(parsed: ParsedFile, ctx: CheckContext) -> Iterator[Problem]:
    replacement = DEPRECATED_FILE_NAMES.get(ctx.file_name)
    if replacement is None or not parsed.documents:
        return
    first_line = parsed.text.split("\n", 1)[0]
    span = Span(0, len(first_line))
    yield Problem(
        span,
        "deprecated",
        f"`{ctx.file_name}` is deprecated: rename the file to `{replacement}`",
        severity=WARNING,
        data={"rename_to": replacement},
    )


FILE_RULES: list[Callable[[ParsedFile, CheckContext], Iterator[Problem]]] = [check_file_name]
DOCUMENT_RULES: list[Rule] = [
    check_syntax,
    check_shape,
    check_envelope,
    check_type,
    check_attributes,
    check_deprecated_fields,
    check_post_processing,
    check_templates,
    check_env_requirements,
    check_missing_files,
    check_policies,
]


# --- types ---------------------------------------------------------------------------------------


def _unknown_type(typename: str, span: Span, ctx: CheckContext) -> Problem:
    assert ctx.registry is not None
    absolute = resolve_typename(typename, ctx)
    if absolute is None:
        return Problem(
            span,
            "unknown-type",
            f"Relative type '{typename}' can only be resolved inside a dg project's defs folder",
            data={"typename": typename},
        )
    failure = _import_failure(absolute, ctx.registry.module_errors)
    if failure is not None and not _module_is_missing(*failure):
        module, error = failure
        fix = import_fix(error, module)
        return Problem(
            span,
            "type-import-error",
            f"Component type '{typename}' could not be loaded: importing "
            f"'{module}' failed: {error}" + (f" ({fix})" if fix else ""),
            data={"typename": typename, "module": module, "error": error, "fix": fix},
        )
    suggestions = rank_typenames(absolute, ctx.registry.all_typenames())
    best = suggestions[0] if suggestions else None
    hint = f". Did you mean '{best}'?" if best else ""
    return Problem(
        span,
        "unknown-type",
        f"Unknown component type '{typename}'{hint}",
        data={"typename": typename, "suggestion": best, "suggestions": suggestions},
    )


# Why a module that exists fails to import, and what fixes it: (pattern over the error, the fix).
_IMPORT_FIXES = (
    (
        re.compile(r"No module named '(?P<name>[\w.]+)'"),
        "install the package that provides '{name}' in the project's environment",
    ),
    (
        re.compile(r"Could not locate or download sling binary"),
        "sling downloads its binary when imported: install the sling-linux-amd64 (or sling-mac-arm64) wheel "
        "and set SLING_BINARY to the binary it ships",
    ),
    (
        re.compile(r"dbt executable .*does not exist|No such file or directory: 'dbt'"),
        "install dbt-core beside the project's interpreter, so that its bin/ holds `dbt`",
    ),
    (
        re.compile(r"did not finish within"),
        "it hangs when imported: run `python -c 'import {module}'` with the project's interpreter to see where",
    ),
)


def _module_is_missing(module: str, error: str) -> bool:
    """The type's own module (or a package above it) does not exist: the type is unknown, not broken."""
    match = re.search(r"No module named '([\w.]+)'", error)
    return match is not None and (module == match.group(1) or module.startswith(match.group(1) + "."))


def import_fix(error: str, module: str) -> Optional[str]:
    """The known fix for a module's import failure, from its message, if any."""
    for pattern, fix in _IMPORT_FIXES:
        match = pattern.search(error)
        if match:
            return fix.format(module=module, **match.groupdict())
    return None


def _import_failure(typename: str, module_errors: dict[str, str]) -> Optional[tuple[str, str]]:
    parts = typename.split(".")
    for end in range(len(parts), 0, -1):
        module = ".".join(parts[:end])
        if module in module_errors:
            return module, module_errors[module]
    return None


# --- schema errors -> problems -------------------------------------------------------------------


def _schema_problem(doc: YamlDocument, prefix: KeyPath, error: schemas.SchemaError, owner: str) -> Iterator[Problem]:
    path = prefix + error.path
    where = format_key_path(path) or "the document"
    if error.kind == schemas.UNKNOWN:
        key_node, _ = doc.node_at_path(path + (error.key or "",))
        best = suggest(error.key or "", error.allowed)
        hint = (
            f". Did you mean '{best}'?" if best else (f". Allowed: {', '.join(error.allowed)}" if error.allowed else "")
        )
        subject = f"for {owner}" if path == ("attributes",) else f"in {where}"
        yield Problem(
            key_node.span if key_node else doc.first_line(),
            "unknown-attribute",
            f"Unknown attribute '{error.key}' {subject}{hint}{_judged_as(error)}",
            data={"path": list(path), "key": error.key, "suggestion": best},
        )
    elif error.kind == schemas.MISSING:
        key_node, value_node = doc.node_at_path(path)
        anchor = key_node or value_node
        if anchor is not None and anchor.kind == MAP and anchor.pairs:
            anchor = anchor.pairs[0][0]  # a list item: its first key, not all its lines
        span = anchor.span if anchor is not None else doc.first_line()
        yield Problem(
            span,
            "missing-attribute",
            f"Missing required attribute '{error.key}' in {where}{_judged_as(error)}",
            data={"path": list(path), "key": error.key},
        )
    else:
        _, value_node = doc.node_at_path(path)
        span = value_node.span if value_node is not None else doc.first_line()
        data: dict[str, Any] = {"path": list(path)}
        if error.allowed:
            data["allowed"] = list(error.allowed)
        if error.branch:
            data["branch"] = error.branch
        yield Problem(
            span,
            "invalid-value",
            f"{where}: {error.message}{_unquoted_hint(value_node, error.message)}{_judged_as(error)}",
            data=data,
        )


def _judged_as(error: schemas.SchemaError) -> str:
    """Names the union alternative a value was judged as when nothing in the value chose it."""
    return f" (judged as {error.branch}, the closest alternative)" if error.branch else ""


# --- helpers -------------------------------------------------------------------------------------


def _mapping_root(doc: YamlDocument, ctx: CheckContext) -> Optional[Node]:
    if doc.root is None or doc.root.kind != MAP or not doc.parsed or not isinstance(doc.value, dict):
        return None
    return doc.root


def _string_scalars(node: Node, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Node]]:
    """Every string value with its key path."""
    if node.kind == SCALAR and node.tag.endswith(":str"):
        yield path, node
    for key, value in node.pairs:
        yield from _string_scalars(value, (*path, key.text or ""))
    for i, item in enumerate(node.items):
        yield from _string_scalars(item, (*path, i))


def _unquoted_hint(node: Optional[Node], message: str) -> str:
    """Why a plain scalar is not text where text is expected, when YAML 1.1 read it as something its
    author may not have meant: `yes`/`off` as booleans, `017`/`0x1F`/`1_000`/`12:30` as numbers."""
    if node is None or node.kind != SCALAR or node.style is not None or " a string" not in message or not node.text:
        return ""
    kind, text = node.tag.rsplit(":", 1)[-1], node.text
    if kind == "bool" and text.lower() not in ("true", "false"):
        return f" (YAML reads the unquoted `{text}` as a boolean: write '{text}' to keep it text)"
    if kind == "int" and not re.fullmatch(r"[-+]?(0|[1-9][0-9]*)", text):
        return f" (YAML reads the unquoted `{text}` as a number: write '{text}' to keep it text)"
    return ""


def _inner_span(doc: YamlDocument, node: Node, offset: int, length: int) -> Span:
    """A span inside a scalar's value, when its source text maps 1:1 to its value (plain or simple quotes)."""
    source = doc.text[node.span.start : node.span.end]
    text = node.text or ""
    quote = 1 if node.style in ("'", '"') else 0
    if source[quote : quote + len(text)] == text:
        start = node.span.start + quote + offset
        return Span(start, start + max(length, 1))
    return node.span


def _first_key_span(doc: YamlDocument) -> Span:
    if doc.root is not None and doc.root.kind == MAP and doc.root.pairs:
        return doc.root.pairs[0][0].span
    return doc.first_line()
