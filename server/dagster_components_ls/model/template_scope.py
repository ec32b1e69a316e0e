"""The names a document's templates may use: TemplateScope, built from the registry's scope and the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from .context import CheckContext, component_of
from .paths import module_files
from .positions import KeyPath
from .vocabulary import JINJA_GLOBALS

if TYPE_CHECKING:
    from .documents import YamlDocument


@dataclass(frozen=True)
class TemplateScope:
    """The names a document's templates may use, from the registry's scope."""

    globals: frozenset[str]
    deprecated: dict[str, str]
    per_path: dict[tuple[str, ...], frozenset[str]]
    """Extra names inside a key path (list indices dropped), e.g. dbt's `node` under `attributes.translation`."""
    complete: bool
    """False when some source of names could not be read: unknown names are then not reported."""
    untemplated: tuple[tuple[str, ...], ...] = ()
    """Key paths whose strings Dagster does not render at load (e.g. `attributes.sql_template`)."""
    members: dict[str, frozenset[str]] = field(default_factory=dict)
    """What templates may read of each scope object that whitelists it (`context`: `project_root`, ...)."""
    own_scope: dict[tuple[str, ...], str] = field(default_factory=dict)
    """Key paths whose strings a resolver renders with names of its own: "all" (every string there) or
    "inside" (strings nested in the value; a string value itself gets the component's scope first).
    `("attributes",)`... or `()`: the whole document (its `get_additional_scope()` could not be read)."""
    additional: frozenset[str] = frozenset()
    """The names the component's `get_additional_scope()` adds (also in `globals`)."""

    def untemplated_at(self, path: KeyPath) -> bool:
        keys = tuple(p for p in path if isinstance(p, str))
        return any(keys[: len(prefix)] == prefix for prefix in self.untemplated)

    def own_scope_at(self, path: KeyPath) -> Optional[tuple[str, ...]]:
        """The field (key path) whose resolver has a scope of its own for the string at `path`, if any."""
        keys = tuple(p for p in path if isinstance(p, str))
        for prefix, how in self.own_scope.items():
            if keys[: len(prefix)] != prefix:
                continue
            # "inside": not the field's own string value (same keys, and not a list item of it)
            if how == "all" or len(keys) > len(prefix) or (path and isinstance(path[-1], int)):
                return prefix
        return None

    def names_at(self, path: KeyPath) -> frozenset[str]:
        keys = tuple(p for p in path if isinstance(p, str))
        names = set(self.globals)
        for prefix, extra in self.per_path.items():
            if keys[: len(prefix)] == prefix:
                names |= extra
        return frozenset(names)


def template_scope(doc: YamlDocument, ctx: CheckContext) -> Optional[TemplateScope]:
    """The scope for one document, or None before the registry is ready."""
    if ctx.registry is None or not isinstance(doc.value, dict):
        return None
    raw = ctx.registry.template_scope or {}
    names = set(raw.get("globals") or ()) | JINJA_GLOBALS
    complete = bool(raw.get("globals"))
    user_vars: dict[str, list[str]] = raw.get("user_vars") or {}
    module = doc.value.get("template_vars_module")
    if isinstance(module, str) and module.strip():
        found = _template_vars_for(module.strip(), ctx, user_vars)
        complete = complete and found is not None
        names |= set(found or ())
    per_path: dict[tuple[str, ...], frozenset[str]] = {}
    untemplated: tuple[tuple[str, ...], ...] = ()
    own_scope: dict[tuple[str, ...], str] = {}
    additional: frozenset[str] = frozenset()
    component = component_of(doc, ctx)
    if component is not None:
        names |= set(user_vars.get(component.key) or ())
        additional = frozenset((raw.get("additional") or {}).get(component.key) or ())
        for dotted, how in ((raw.get("own_scope") or {}).get(component.key) or {}).items():
            own_scope[("attributes", *dotted.split(".")) if dotted else ()] = how
        untemplated = tuple(
            ("attributes", *dotted.split(".")) for dotted in (raw.get("untemplated") or {}).get(component.key) or ()
        )
        for dotted, extra in ((raw.get("per_type") or {}).get(component.key) or {}).items():
            per_path[("attributes", *dotted.split("."))] = frozenset(extra)
    elif isinstance(doc.value.get("type"), str):
        complete = False  # an unknown type's own template vars cannot be known
    members = {
        owner: frozenset(attrs) for owner, attrs in (raw.get("members") or {}).items() if isinstance(attrs, list)
    }
    return TemplateScope(
        frozenset(names),
        dict(raw.get("deprecated") or {}),
        per_path,
        complete,
        untemplated,
        members,
        own_scope,
        additional,
    )


def _template_vars_for(module: str, ctx: CheckContext, user_vars: dict[str, list[str]]) -> Optional[list[str]]:
    """The `@template_var` names of a `template_vars_module`, None if the worker could not read it."""
    # The worker keys them by the module's file, as Python imported it.
    for candidate in module_files(module, ctx):
        if str(candidate) in user_vars:
            return user_vars[str(candidate)]
    return None
