"""The names a template may use: Dagster's globals and their members, and template vars."""

# Dagster is imported inside the functions, never at module level; the releases supported and the
# rule for renames are in adapter.py.

import inspect
import re
from types import ModuleType
from typing import Any

import adapter


def template_globals() -> tuple[list[str], dict[str, str]]:
    """Names every template may use, and the deprecated ones with their replacement hint."""
    from dagster.components.resolved.context import ResolutionContext

    names: list[str] = []
    deprecated: dict[str, str] = {}
    for name, value in ResolutionContext.default().scope.items():
        names.append(name)
        if type(value).__name__ == "DeprecatedScope":
            deprecated[name] = _hint(getattr(value, "_new_name", None))
    # Component.load adds these to the scope of every Resolvable component; it builds them inline,
    # so they cannot be read from a default scope. `context` (LoadContextScope) replaced the rest.
    try:
        from dagster.components.resolved.scopes import LoadContextScope  # noqa: F401
    except ImportError:
        # 1.11.0 to 1.11.3 have project_root only; `Component.load` adds the two context methods
        # from 1.11.4 (the context has them earlier, but not the scope).
        names.append("project_root")
        names += [n for n in ("load_component_at_path", "build_defs_at_path") if _load_puts_in_scope(n)]
    else:
        replacements = {
            "project_root": "context.project_root",
            "load_component_at_path": "context.load_component",
            "build_defs_at_path": "context.build_defs",
        }
        names += ["context", *replacements]
        deprecated.update({old: _hint(new) for old, new in replacements.items()})
    return names, deprecated


def _load_puts_in_scope(name: str) -> bool:
    """Whether this Dagster's `Component.load` adds `name` to the rendering scope (read from its code:
    the scope is built inline, from the load context)."""
    from dagster import Component

    try:
        return f'"{name}"' in inspect.getsource(Component.load)
    except (OSError, TypeError):  # no source (a zipped install): the context's own methods decide
        from dagster.components.core.context import ComponentLoadContext

        return hasattr(ComponentLoadContext, name)


def template_members() -> dict[str, list[str]]:
    """The attributes a template may read of each scope object that whitelists them (`context.`, `dg.`,
    `datetime.`): Dagster's WrappedObjectScope raises for any other. {} before 1.13, which has none."""
    try:
        from dagster.components.resolved import scopes
    except ImportError:
        return {}
    members: dict[str, list[str]] = {}
    for name, scope in (("context", "LoadContextScope"), ("dg", "DgScope"), ("datetime", "DatetimeScope")):
        cls = getattr(scopes, scope, None)
        if cls is None:
            continue
        try:  # LoadContextScope only keeps its context; None stands in for it here
            instance = cls(None) if scope == "LoadContextScope" else cls()
            allowed = getattr(instance, "_accessible_attributes", None)
        except Exception:  # noqa: BLE001 - another Dagster's scope: its members stay unknown
            continue
        if isinstance(allowed, (set, frozenset, list, tuple)):
            members[name] = sorted(str(a) for a in allowed)
    return members


def template_signatures() -> dict[str, dict[str, Any]]:
    """The callables of Dagster's scope as templates call them, by dotted name (`context.load_component`,
    `env`): `{"parameters": ["defs_path: ResolvableToComponentPath", ...], "documentation": "..."}`, read
    with inspect from the objects Dagster renders with (LoadContextScope hands its calls to the load
    context; EnvScope is called itself). {} for what this Dagster does not have."""
    from dagster.components.resolved.context import ResolutionContext

    callables: dict[str, Any] = {}
    env = ResolutionContext.default().scope.get("env")
    if env is not None and callable(env):
        callables["env"] = type(env).__call__
    try:
        from dagster.components.core.context import ComponentLoadContext
    except ImportError:
        ComponentLoadContext = None  # noqa: N806 - an older Dagster: the names below stay unknown
    for name in template_members().get("context", []):
        value = getattr(ComponentLoadContext, name, None)
        if callable(value) and not isinstance(value, type):
            callables[f"context.{name}"] = value
    for old, new in (("load_component_at_path", "load_component"), ("build_defs_at_path", "build_defs")):
        value = getattr(ComponentLoadContext, old, None) or getattr(ComponentLoadContext, new, None)
        if callable(value):
            callables[old] = value
    out: dict[str, dict[str, Any]] = {}
    for name, value in callables.items():
        try:
            parameters = list(inspect.signature(value).parameters.values())
        except (TypeError, ValueError):
            continue
        if parameters and parameters[0].name == "self":
            parameters = parameters[1:]
        doc = inspect.getdoc(value) or ""
        if name == "env" or doc.startswith("Call self as a function"):  # object.__call__'s words
            doc = inspect.getdoc(type(env)) or ""
        out[name] = {"parameters": [_parameter_text(p) for p in parameters], "documentation": doc}
    return out


def _parameter_text(parameter: inspect.Parameter) -> str:
    """`defs_path: ResolvableToComponentPath`, `default: str | None = ...`: as written, without the quotes
    of a string annotation or typing's module prefix."""
    prefixes: dict[Any, str] = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}
    prefix = prefixes.get(parameter.kind, "")
    text = prefix + parameter.name
    if parameter.annotation is not inspect.Parameter.empty:
        annotation = parameter.annotation
        shown = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
        shown = re.sub(r"ForwardRef\('([^']*)'\)", r"\1", shown)
        text += ": " + shown.replace("typing.", "").replace("~", "").replace("NoneType", "None")
    if parameter.default is not inspect.Parameter.empty:
        equals = " = " if parameter.annotation is not inspect.Parameter.empty else "="  # PEP 8's spacing
        text += equals + ("..." if parameter.default is Ellipsis else repr(parameter.default))
    return text


def _hint(replacement: str | None) -> str:
    return f"use {{{{ {replacement} }}}}" if replacement else "deprecated"


def template_var_names_in_module(module: ModuleType) -> list[str]:
    """`@template_var` functions of a template_vars_module."""
    return sorted(name for name, value in inspect.getmembers(module) if _is_template_var(value))


def static_template_var_names(cls: type) -> list[str]:
    """`@staticmethod @template_var` methods the class itself defines (Dagster reads only __dict__)."""
    return sorted(
        name
        for name, value in vars(cls).items()
        if isinstance(value, staticmethod) and _is_template_var(value.__func__)
    )


def additional_scope_names(cls: Any) -> list[str] | None:  # a Component subclass
    """Names from an overridden `get_additional_scope()` (pre template_var API); calls user code.

    Dagster calls it on the class when it loads the component (defs_module.py
    `context_with_injected_scope`), so it is called the same way here. None when it cannot be
    evaluated without an instance or more than the class (it raised, or returned no mapping): the
    document's scope is then incomplete. [] when the class does not override it.
    """
    base = adapter.component_base()
    owner = next((c for c in cls.__mro__ if "get_additional_scope" in vars(c)), base)
    if owner is base or issubclass(base, owner):
        return []
    try:
        scope = cls.get_additional_scope()
        return sorted(str(name) for name in scope.keys())
    except Exception:  # the same error breaks loading the component, which reports it there
        return None


def _is_template_var(value: object) -> bool:
    try:
        from dagster.components.component.template_vars import is_template_var
    except ImportError:
        return bool(getattr(value, "__dagster_template_var", False))
    return is_template_var(value)
