"""Templates rendered as Dagster's loader renders them: the component's resolution context and scope, per value."""

# Dagster is imported inside the functions, never at module level; the releases supported and the
# rule for renames are in adapter.py.

import os
from dataclasses import dataclass, field
from typing import Any

import adapter_validate


@dataclass
class EnvUse:
    """One environment variable a template read: whether it is set, and whether a default was given."""

    name: str
    set: bool
    default: bool


@dataclass
class EnvRecorder:
    """The variables read while rendering one value (reset before each)."""

    used: list[EnvUse] = field(default_factory=list)


def rendering_context(
    cls: type, folder: str, project_root: str | None, defs: tuple[str, str] | None, template_vars_module: str | None
) -> Any:  # Dagster's ResolutionContext at the document's root
    """The scope `Component.load` renders a document's attributes with: Dagster's defaults (`env`, `dg`,
    `datetime`), the class's static template vars and `get_additional_scope()`, the
    template_vars_module's vars (Dagster's own `context_with_injected_scope` calls them with the load
    context), and `context` with the deprecated names `Component.load` adds. Raises what user code raises."""
    context = adapter_validate.load_context(folder, project_root, defs)
    try:
        from dagster.components.core.defs_module import context_with_injected_scope
    except ImportError:  # before 1.11.4 the loader injected the vars inline
        context_with_injected_scope = None
    if context_with_injected_scope is not None:
        context = context_with_injected_scope(context, cls, template_vars_module)
    return context.with_rendering_scope(_load_scope(context)).resolution_context


def _load_scope(context: Any) -> dict[str, Any]:
    """What `Component.load` adds to the scope of a Resolvable component (it builds it inline)."""
    try:
        from dagster.components.resolved.scopes import DeprecatedScope, LoadContextScope
    except ImportError:  # 1.11, 1.12: plain names (`with_rendering_scope` adds `project_root` itself)
        return {
            "load_component_at_path": context.load_component_at_path,
            "build_defs_at_path": context.build_defs_at_path,
        }
    scope = LoadContextScope(context)
    return {
        "context": scope,
        "project_root": DeprecatedScope("project_root", "context.project_root", scope.project_root),
        "load_component_at_path": DeprecatedScope(
            "load_component_at_path", "context.load_component", context.load_component
        ),
        "build_defs_at_path": DeprecatedScope("build_defs_at_path", "context.build_defs", context.build_defs),
    }


def with_env(resolution: Any, recorder: EnvRecorder, values: bool) -> Any:
    """The context with an `env` that records what it reads; with `values` False a set variable reads
    as `${NAME}` (its value never leaves the worker), an unset one as Dagster reads it (None, the
    default, or Dagster's error for `env('X')` without one)."""
    env_scope: type = type(resolution.scope["env"])  # Dagster's EnvScope, whichever module holds it (it moved in 1.13)

    class RecordingEnv(env_scope):
        def __call__(self, key: str, default: Any = ...) -> Any:
            recorder.used.append(EnvUse(str(key), key in os.environ, default is not ...))
            if key in os.environ and not values:
                return f"${{{key}}}"
            return super().__call__(key, default)

        def __getattr__(self, key: str) -> Any:
            if key.startswith("jinja"):
                raise AttributeError(f"{key} not found")
            recorder.used.append(EnvUse(key, key in os.environ, False))
            if key in os.environ and not values:
                return f"${{{key}}}"
            return os.environ.get(key)

    return resolution.with_scope(env=RecordingEnv())


def render(resolution: Any, path: list[Any], text: str) -> Any:
    """One string value rendered by the function Dagster's resolvers use (`ResolutionContext.resolve_value`),
    at its key path. Raises Dagster's ResolutionException (or what a template var raised)."""
    at = resolution
    for part in path:
        at = at.at_path(part)
    return at.resolve_value(text)


def undefined_name(message: str) -> str | None:
    """The name of Dagster's "UndefinedError: 'node' not found in scope, ..." message, if it is one."""
    marker = "UndefinedError: "
    start = message.find(marker)
    if start < 0:
        return None
    rest = message[start + len(marker) :]
    if rest.startswith("'") and "'" in rest[1:]:
        return rest[1 : rest.index("'", 1)]
    return None
