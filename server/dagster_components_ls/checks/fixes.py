"""Fixes as text edits: fixes_for(problem) dispatched on its code and built from its data, and `check --fix`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from ..model import schemas, templates
from ..model.context import CheckContext, resolve_type
from ..model.documents import MAP, SCALAR, SEQ, Node, ParsedFile, YamlDocument, parse_file
from ..model.positions import KeyPath, LineIndex, Span
from ..model.problems import SUPPRESSION_PATTERN, Problem
from ..model.yaml_edits import (
    Edit,
    add_entries,
    append_item,
    content_end,
    escaped,
    exact,
    inline,
    is_null,
    line_bounds,
    newline_of,
    pair_at,
    remove_pair,
    unquoted,
)
from .diagnostics import diagnose

SUPPRESSION = "# dagster-components-ls: ignore"
# The comment model/problems.py honours (SUPPRESSION_PATTERN), at the end of a line or alone on the line above it.
# A deprecation hint such as "use {{ context.project_root }}" names its replacement; "{{ dg.X.* }}" names none.
_REPLACEMENT = re.compile(r"\{\{\s*([A-Za-z_][\w.]*?)\s*\}\}")


@dataclass(frozen=True)
class Fix:
    """One way to fix a problem: the edits to make, all or none."""

    title: str
    edits: tuple[Edit, ...]
    is_preferred: bool = False
    safe: bool = False
    """`check --fix` may apply it unattended: one suggestion with no alternative, or a declaration the
    user already implied (an env var they use). Placeholders for missing attributes are not safe: they
    would invent values (an owner, an asset key) in files nobody reviews."""


# --- entry points --------------------------------------------------------------------------------


def fixes_for(parsed: ParsedFile, problem: Problem, ctx: CheckContext, suppress: bool = True) -> list[Fix]:
    """The fixes for one problem, the preferred first; ignoring the problem on its line comes last
    (unless `suppress` is false: a report's suggested fixes are repairs, not silencing)."""
    span = problem.span
    if not 0 <= span.start <= span.end <= len(parsed.text):
        return []  # a stale diagnostic from a client that has not caught up
    doc = parsed.document_at(span.start)
    fixer = FIXERS.get(str(problem.code))
    fixes = []
    if doc is not None and fixer is not None:
        site = _Site(doc, span.shifted(-doc.start), problem.data if isinstance(problem.data, dict) else {}, ctx)
        fixes = fixer(site)
    return [*fixes, *(_suppress(parsed, problem) if suppress else [])]


def apply_fixes(text: str, fixes: list[Fix]) -> str:
    """The text with the fixes made, in order; a fix overlapping one already taken is skipped whole."""
    edits = sorted(
        (edit for fix in _compatible(fixes) for edit in fix.edits), key=lambda e: (e[0].start, e[0].end), reverse=True
    )
    for span, new_text in edits:  # from the end, so earlier offsets stay valid
        text = text[: span.start] + new_text + text[span.end :]
    return text


def fix_all(
    text: str, ctx: CheckContext, selected: Callable[[Problem], bool] = lambda problem: True, rounds: int = 10
) -> tuple[str, int]:
    """`check --fix`: apply every safe fix of the selected problems until none is left; (new text, fixes applied).

    Fixes that collide in one round (two env vars appended at the same place) land in the next.
    """
    applied = 0
    seen = {text}
    for _ in range(rounds):
        parsed = parse_file(text)
        fixes = []
        for problem in diagnose(parsed, ctx):
            if selected(problem):
                fixes += [fix for fix in fixes_for(parsed, problem, ctx) if fix.safe][:1]
        taken = _compatible(fixes)
        fixed = apply_fixes(text, taken)
        if fixed in seen:
            break
        applied += len(taken)
        text = fixed
        seen.add(text)
    return text, applied


def broken_by_fixes(before: str, after: str) -> Optional[str]:
    """Why fixed text must not be written: a YAML problem it has that the text before had not (a fix
    built on a wrong span, say), as "line L: message"; None when it reads as well as before."""
    old = parse_file(before).documents
    new = parse_file(after).documents
    known = [p.message for doc in old for p in doc.problems]
    index = LineIndex(after)
    for doc in new:
        for problem in doc.problems:
            if problem.message in known:
                known.remove(problem.message)
                continue
            line, column = index.line_col_1based(doc.start + problem.span.start)
            return f"line {line}, column {column}: {problem.message}"
    if len(new) != len(old):
        return f"it would have {len(new)} YAML documents instead of {len(old)}"
    return None


def _compatible(fixes: list[Fix]) -> list[Fix]:
    taken: list[Fix] = []
    spans: list[Span] = []
    for fix in fixes:
        if not fix.edits or any(fix.edits == t.edits for t in taken):
            continue
        if any(_overlap(span, other) for span, _ in fix.edits for other in spans):
            continue
        taken.append(fix)
        spans += [span for span, _ in fix.edits]
    return taken


def _overlap(a: Span, b: Span) -> bool:
    if a.start == a.end == b.start == b.end:
        return True  # two insertions at one place: their order would be a guess
    return a.start < b.end and b.start < a.end


# --- the fixers, one per code --------------------------------------------------------------------


@dataclass(frozen=True)
class _Site:
    """A problem inside its document: spans relative to the document's text."""

    doc: YamlDocument
    span: Span
    data: dict[str, Any]
    ctx: CheckContext

    @property
    def text(self) -> str:
        return self.doc.text

    @property
    def source(self) -> str:
        return self.text[self.span.start : self.span.end]

    def edit(self, span: Span, new_text: str) -> Edit:
        return span.shifted(self.doc.start), new_text

    def string(self, key: str) -> Optional[str]:
        value = self.data.get(key)
        return value if isinstance(value, str) and value else None

    def path(self) -> Optional[KeyPath]:
        path = self.data.get("path")
        if not isinstance(path, list) or not all(isinstance(p, (str, int)) and not isinstance(p, bool) for p in path):
            return None
        return tuple(path)

    def root(self) -> Optional[Node]:
        root = self.doc.root
        return root if root is not None and root.kind == MAP and self.doc.parsed else None


def _fix_type(site: _Site) -> list[Fix]:
    typename = site.string("typename")
    listed = site.data.get("suggestions") or [site.data.get("suggestion")]
    suggestions = list(dict.fromkeys(s for s in listed if isinstance(s, str) and s)) if isinstance(listed, list) else []
    at = site.source.find(typename) if typename else -1
    if at < 0:
        return []
    span = Span(site.span.start + at, site.span.start + at + len(typename or ""))
    out = []
    for n, suggestion in enumerate(suggestions):
        written = _relative_typename(suggestion, typename or "", site.ctx)
        out.append(
            Fix(
                f"Change type to '{written}'",
                (site.edit(span, written),),
                is_preferred=n == 0,
                safe=len(suggestions) == 1,
            )
        )
    return out


def _relative_typename(suggestion: str, typename: str, ctx: CheckContext) -> str:
    """A suggestion for a relative `.X` type stays relative when it lives in the same folder module."""
    prefix = f"{ctx.folder_module}."
    if typename.startswith(".") and ctx.folder_module and suggestion.startswith(prefix):
        return "." + suggestion[len(prefix) :]
    return suggestion


def _fix_unknown_key(site: _Site) -> list[Fix]:
    key = site.string("key")
    found = pair_at(site.doc.root, site.span) if site.doc.root is not None else None
    if key is None or found is None or found[0].pairs[found[1]][0].text != key:
        return []
    mapping, i = found
    out = []
    suggestion = site.string("suggestion")
    if suggestion and mapping.get(suggestion) is None:
        span = unquoted(mapping.pairs[i][0])
        out.append(
            Fix(f"Rename '{key}' to '{suggestion}'", (site.edit(span, suggestion),), is_preferred=True, safe=True)
        )
    removal = remove_pair(site.text, mapping, i)
    if removal is not None:
        out.append(Fix(f"Remove '{key}'", (site.edit(*removal),)))
    return out


def _fix_value(site: _Site) -> list[Fix]:
    allowed = [a for a in site.data.get("allowed") or [] if isinstance(a, str)]
    path = site.path()
    located = exact(site.doc.root, path) if path is not None and site.root() is not None else None
    if not allowed or located is None or located[1].span.start != site.span.start:
        return []
    from rapidfuzz import fuzz  # on use: the server's first answers need no fuzzy matching

    node = located[1]
    current = node.text if node.kind == SCALAR and node.text is not None else ""
    ranked = sorted(enumerate(allowed), key=lambda p: (-fuzz.ratio(current, p[1]), p[0]))
    members = _enum_members(site, path or ())
    span = Span(node.span.start, content_end(site.text, node))
    out = []
    for n, (_, member) in enumerate(ranked):
        written = _written(node, members.get(member, member))
        out.append(
            Fix(
                f"Change to '{member}'",
                (site.edit(span, written),),
                is_preferred=n == 0 and fuzz.ratio(current, member) >= 60,
                safe=len(allowed) == 1,
            )
        )
    return out


def _fix_suggested(site: _Site) -> list[Fix]:
    """A validator's own suggestions (component-validation `data.suggestions`), written over the value."""
    suggestions = [s for s in site.data.get("suggestions") or [] if isinstance(s, str)]
    path = site.path()
    located = exact(site.doc.root, path) if path is not None and site.root() is not None else None
    if not suggestions or located is None or located[1].kind != SCALAR:
        return []
    node = located[1]
    span = Span(node.span.start, content_end(site.text, node))
    out = []
    for n, suggestion in enumerate(suggestions):
        # Never applied unattended (check --fix): a validator's idea of a better value is the user's call.
        out.append(
            Fix(
                f"Change to '{suggestion}'",
                (site.edit(span, _written(node, suggestion)),),
                is_preferred=n == 0,
                safe=False,
            )
        )
    return out


def _written(node: Node, value: Any) -> str:
    """`value` as YAML text in place of `node`'s value: a string keeps the scalar's quotes."""
    if node.kind == SCALAR and node.style in ("'", '"') and isinstance(value, str):
        return node.style + escaped(value, node.style) + node.style
    return inline(value)


def _enum_members(site: _Site, path: KeyPath) -> dict[str, Any]:
    """The schema's own enum values by their text (`allowed` holds strings; an enum of ints stays ints)."""
    root, rest = _schema_for(site, path)
    members: dict[str, Any] = {}
    if root is None:
        return members
    for schema in schemas.schema_at(root, rest):
        for alt in schemas.branches(root, schema):
            for value in [*(alt.get("enum") or []), *([alt["const"]] if "const" in alt else [])]:
                members.setdefault(str(value), value)
    return members


def _fix_template_name(site: _Site) -> list[Fix]:
    name, suggestion = site.string("name"), site.string("suggestion")
    edits = _name_edits(site, name, suggestion)
    return [Fix(f"Change '{name}' to '{suggestion}'", edits, is_preferred=True, safe=True)] if edits else []


def _fix_deprecated(site: _Site) -> list[Fix]:
    name = site.string("name")
    target = site.string("replacement_name") or _replacement_name(site.string("replacement") or "")
    edits = _name_edits(site, name, target)  # the file name (`rename_to`) is not a text edit
    return [Fix(f"Replace '{name}' with '{target}'", edits, is_preferred=True, safe=True)] if edits else []


def _name_edits(site: _Site, name: Optional[str], new_name: Optional[str]) -> tuple[Edit, ...]:
    """The name at the span, or every use of it in the string when the span is the whole (multi-line) string."""
    if name is None or new_name is None:
        return ()
    if site.source == name:
        return (site.edit(site.span, new_name),)
    return tuple(
        site.edit(Span(site.span.start + at, site.span.start + at + len(name)), new_name)
        for at in templates.name_offsets(site.source, name)
    )


def _replacement_name(hint: str) -> Optional[str]:
    """`use {{ context.project_root }}` -> `context.project_root`; None when the hint names no single name."""
    match = _REPLACEMENT.search(hint)
    return match.group(1) if match else None


def _fix_missing(site: _Site) -> list[Fix]:
    key, path, root = site.string("key"), site.path(), site.root()
    if key is None or key == "type" or path is None or root is None:
        return []  # no placeholder can name a component type
    keys = [k for k in site.data.get("keys") or [key] if isinstance(k, str)]
    located = exact(root, path)
    if located is None:
        if path != ("attributes",) or root.get("attributes") is not None:
            return []
        values = {k: _placeholder(site, path + (k,)) for k in keys}
        edits = add_entries(site.text, root, None, {"attributes": values}, after=root.key_node("type"))
        return _missing_fixes(site, keys, edits)
    owner, mapping = located
    present = {k.text for k, _ in mapping.pairs} if mapping.kind == MAP else set()
    if mapping.kind != MAP and not is_null(mapping):
        return []
    keys = [k for k in keys if k not in present]
    fixes = []
    if keys:
        values = {k: _placeholder(site, path + (k,)) for k in keys}
        fixes += _missing_fixes(site, keys, add_entries(site.text, mapping, owner, values))
    siblings = [k for k in _required_at(site, path) if k not in present]
    if len(keys) == 1 and len(siblings) > 1:
        values = {k: _placeholder(site, path + (k,)) for k in siblings}
        fixes += _missing_fixes(site, siblings, add_entries(site.text, mapping, owner, values), preferred=False)
    return fixes


def _missing_fixes(site: _Site, keys: list[str], edits: list[Edit], preferred: bool = True) -> list[Fix]:
    if not edits or not keys:
        return []
    names = ", ".join(f"'{k}'" for k in keys)
    title = f"Add missing attribute {names}" if len(keys) == 1 else f"Add missing attributes {names}"
    return [Fix(title, tuple(site.edit(span, text) for span, text in edits), is_preferred=preferred)]


def _fix_env(site: _Site) -> list[Fix]:
    name, root = site.string("name"), site.root()
    if name is None or root is None:
        return []
    requirements, owner = root.get("requirements"), root.key_node("requirements")
    edits: list[Edit] = []
    if requirements is None:
        edits = add_entries(
            site.text, root, None, {"requirements": {"env": [name]}}, before=root.key_node("attributes")
        )
    elif requirements.kind == MAP or is_null(requirements):
        env = requirements.get("env") if requirements.kind == MAP else None
        if env is None:
            edits = add_entries(site.text, requirements, owner, {"env": [name]})
        elif env.kind == SEQ and name not in {item.text for item in env.items}:
            edits = append_item(site.text, env, name)
        elif is_null(env):
            edits = add_entries(site.text, env, requirements.key_node("env"), {}, items=(name,))
    if not edits:
        return []
    return [
        Fix(
            f"Declare '{name}' in requirements.env",
            tuple(site.edit(s, t) for s, t in edits),
            is_preferred=True,
            safe=True,
        )
    ]


def _fix_dbt_selection(site: _Site) -> list[Fix]:
    """The criterion replaced by the manifest's closest value (`tag:daly` -> `tag:daily`), where the
    problem covers exactly the criterion. Never unattended: it changes what the component selects."""
    criterion, suggestion = site.string("criterion"), site.string("suggestion")
    if criterion is None or suggestion is None or site.source != criterion:
        return []
    return [Fix(f"Change '{criterion}' to '{suggestion}'", (site.edit(site.span, suggestion),), is_preferred=True)]


FIXERS: dict[str, Callable[[_Site], list[Fix]]] = {
    "unknown-type": _fix_type,
    "unknown-attribute": _fix_unknown_key,
    "invalid-value": _fix_value,
    "unknown-template-variable": _fix_template_name,
    "deprecated": _fix_deprecated,
    "missing-attribute": _fix_missing,
    "undeclared-env-var": _fix_env,
    "component-validation": _fix_suggested,
    "dbt-selection": _fix_dbt_selection,
}


# --- suppression comments ------------------------------------------------------------------------


def _suppress(parsed: ParsedFile, problem: Problem) -> list[Fix]:
    """`# dagster-components-ls: ignore[code]` at the end of the problem's line, or the code added to one there.

    The comment goes alone on the line above when the line ends inside a multi-line string. A problem on
    a comment line (an empty document's) gets none: a comment alone on a line aims at the next line, and
    one above would become the document's first comment line, where the problem then moves.
    """
    text, code = parsed.text, str(problem.code)
    start, end = line_bounds(text, problem.span.start)
    line = text[start:end]
    if not code or not line.strip() or line.lstrip().startswith("#") or any(c in code for c in "[],#\n"):
        return []
    title = f"Ignore {code} on this line"
    candidates = [(start, line)]
    if start > 0:
        above_start, above_end = line_bounds(text, start - 1)
        if text[above_start:above_end].lstrip().startswith("#"):
            candidates.append((above_start, text[above_start:above_end]))
    for line_start, candidate in candidates:
        match = SUPPRESSION_PATTERN.search(candidate)
        if match is None:
            continue
        codes = match.group("codes")
        listed = [c.strip() for c in (codes or "").split(",") if c.strip()]
        if not codes or code in listed:
            return []  # already ignored: the client's diagnostics are stale
        at = line_start + match.end("codes")
        return [Fix(title, ((Span(at, at), ", " + code if listed else code),))]
    indent = line[: len(line) - len(line.lstrip())]
    if _inside_flow_scalar(parsed, end):
        if _inside_flow_scalar(parsed, start + len(indent)):
            return []  # the line is inside a string: no comment can reach it
        return [Fix(title, ((Span(start, start), f"{indent}{SUPPRESSION}[{code}]{newline_of(text)}"),))]
    line_end = start + len(line.rstrip())
    return [Fix(title, ((Span(line_end, end), f"  {SUPPRESSION}[{code}]"),))]


def _inside_flow_scalar(parsed: ParsedFile, offset: int) -> bool:
    """True when the offset is inside a quoted or plain scalar that spans lines (block scalars are fine)."""
    doc = parsed.document_at(offset)
    if doc is None or doc.root is None:
        return False
    relative = offset - doc.start
    return any(n.span.start < relative < n.span.end and n.style not in ("|", ">") for n in _scalars(doc.root))


def _scalars(node: Node) -> Iterator[Node]:
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if current.kind == SCALAR:
            yield current
        stack += [n for pair in current.pairs for n in pair] + current.items


# --- placeholders for missing attributes ---------------------------------------------------------


def _schema_for(site: _Site, path: KeyPath) -> tuple[Optional[dict[str, Any]], KeyPath]:
    """The root schema that governs a document path, and the path inside it."""
    registry = site.ctx.registry
    if registry is None or not path:
        return (registry.envelope_schema if registry else None), path
    if path[0] == "attributes":
        typename = site.doc.value.get("type") if isinstance(site.doc.value, dict) else None
        component = resolve_type(typename.strip(), site.ctx) if isinstance(typename, str) else None
        return (component.schema if component else None), path[1:]
    if path[0] == "post_processing":
        return registry.post_processing_schema or None, path[1:]
    return registry.envelope_schema or None, path


def _required_at(site: _Site, path: KeyPath) -> list[str]:
    root, rest = _schema_for(site, path)
    required: list[str] = []
    if root is None:
        return required
    for schema in schemas.schema_at(root, rest):
        for alt in schemas.branches(root, schema):
            required += [r for r in alt.get("required") or [] if isinstance(r, str) and r not in required]
    return required


def _placeholder(site: _Site, path: KeyPath) -> Any:
    root, rest = _schema_for(site, path)
    return _value_for(root, schemas.schema_at(root, rest), _deprecations(site.ctx), 0) if root else ""


def _value_for(root: dict[str, Any], alternatives: list[Any], deprecated: dict[str, str], depth: int) -> Any:
    """A value to start from: the default, the first example, the first allowed member, else an empty one."""
    resolved = [s for s in (schemas.deref(root, s) for s in alternatives) if isinstance(s, dict)]
    for schema in resolved:
        default = schema.get("default")
        if default is not None and schemas.UNSET_DEFAULT not in str(default):
            return default
    for schema in resolved:
        for example in schema.get("examples") or []:
            return _modernised(example, deprecated)
    branches = [alt for schema in resolved for alt in schemas.branches(root, schema)]
    for alt in branches:
        if alt.get("enum"):
            return alt["enum"][0]
        if "const" in alt:
            return alt["const"]
    for alt in branches:
        written = alt.get("type")
        kinds = written if isinstance(written, list) else [written]
        if "object" in kinds or "properties" in alt:
            props = alt.get("properties") or {}
            required = [r for r in alt.get("required") or [] if r in props] if depth < 3 else []
            return {r: _value_for(root, [props[r]], deprecated, depth + 1) for r in required}
        if "array" in kinds:
            return []
        if "string" in kinds:
            return ""
        if "boolean" in kinds:
            return False
        if "integer" in kinds or "number" in kinds:
            low = alt.get("minimum")
            return low if isinstance(low, (int, float)) and not isinstance(low, bool) else 0
    return ""


def _deprecations(ctx: CheckContext) -> dict[str, str]:
    raw = ((ctx.registry.template_scope if ctx.registry else None) or {}).get("deprecated") or {}
    out = {}
    for name, hint in raw.items():
        target = _replacement_name(hint) if isinstance(hint, str) else None
        if target:
            out[name] = target
    return out


def _modernised(example: Any, deprecated: dict[str, str]) -> Any:
    """An example's templates with deprecated names replaced (`{{ project_root }}` -> `{{ context.project_root }}`)."""
    if not isinstance(example, str) or "{{" not in example:
        return example

    def expression(match: re.Match[str]) -> str:
        text = match.group(0)
        for name, target in deprecated.items():
            text = re.sub(rf"(?<![\w.]){re.escape(name)}(?!\w)", target, text)
        return text

    return re.sub(r"\{\{.*?\}\}", expression, example)
