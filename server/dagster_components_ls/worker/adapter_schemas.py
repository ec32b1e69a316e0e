"""Every Dagster import the worker makes: the one place that follows Dagster's internal renames."""

# Supported: every release of Dagster 1.11, 1.12 and 1.13 (`__main__._check_dagster` refuses older
# ones before anything here runs). Each function tries today's (1.13) name first and falls back to an
# older name or to a plain re-implementation, so a rename costs one edit here and nowhere else.
# Dagster is imported inside the functions, never at module level, so `ping` works (and fails
# clearly later) in an interpreter without Dagster.

import ast
import dataclasses
import importlib
import importlib.metadata
import inspect
import os
import re
import signal
import sys
import time
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable, Any

# Groups dg reads for component registries: the current one first, then back-compat names
# (dagster/components/core/package_entry.py).
ENTRY_POINT_GROUPS = (
    "dagster_dg_cli.registry_modules",
    "dagster_dg.library",
    "dagster_dg.plugin",
    "dagster_dg_cli.plugin",
)
# The marker attribute a registry object carries: 1.11+ name, then the 1.10 name.
PACKAGE_ENTRY_ATTRS = ("__dg_package_entry__", "__dg_library_object__")

# Used only when probing a TranslationFnResolver's lambda fails; `spec` is always added.
KNOWN_TRANSLATION_VARS = {
    "dagster_dbt.DbtProjectComponent": {"translation": ["node"]},
    "dagster_dbt.DbtCloudComponent": {"translation": ["node"]},
    "dagster_sling.SlingReplicationCollectionComponent": {"replications.translation": ["stream_definition"]},
    "dagster_fivetran.FivetranAccountComponent": {"translation": ["props"]},
    "dagster_airbyte.AirbyteWorkspaceComponent": {"translation": ["props"]},
    "dagster_dlt.DltLoadCollectionComponent": {"loads.translation": ["pipeline", "resource"]},
}


def dagster_version() -> str:
    return importlib.metadata.version("dagster")


def preload(typenames: tuple[str, ...] = ()) -> None:
    """Imports Dagster itself, and the installed packages of these types, so forked calls start warm.

    Only modules found in site-packages are imported here: an installed package changes only with a
    reinstall, which changes the registry fingerprint and restarts the worker. A project's own
    modules (which the user edits) are imported in each call's fork, never here.
    """
    import importlib.util

    import dagster  # noqa: F401

    installed = site_dirs()
    for typename in typenames:
        top = typename.split(".")[0]
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            continue
        origin = getattr(spec, "origin", None) or ""
        if spec is not None and any(origin.startswith(p) for p in installed):
            try:
                importlib.import_module(typename.rpartition(".")[0])
            except BaseException:  # noqa: BLE001 - the fork reports it; the worker itself must live
                continue


# Folders never scanned for a project's imports (generated, vendored or hidden).
_UNSCANNED = {"__pycache__", "node_modules", "target", "dbt_packages", "logs", "site-packages"}
MAX_SCANNED_FILES = 2000
_PRELOAD_TRIED: set[str] = set()
"""Modules preload_imports_of tried in this worker, whatever the outcome: each is tried once."""
_SCANNED: dict[Path, set[str]] = {}
"""The imports read from each package folder, once per worker (the server starts a new worker when a
.py file is saved, since the registry is rebuilt then): a validate call per edit does not read them again."""


def preload_imports_of(package_dir: Path, own: set[str], seconds: float) -> None:
    """Imports, in the worker itself, the installed modules that the project's own modules import at
    their top level (`import dagster_dbt`, `from dagster_snowflake import ...`), found by reading
    the files, never by importing them: the forked call that imports the project's modules then
    finds them imported, so a cold `check` imports them once rather than in every call's child.

    Installed modules only (see preload), never a package of the project (`own`). All of it within
    `seconds` (SIGALRM): what is left, or fails, is imported by the call's child, which reports it.
    """
    if package_dir not in _SCANNED:
        _SCANNED[package_dir] = _top_level_imports(package_dir)
    names = sorted(name for name in _SCANNED[package_dir] if name not in _PRELOAD_TRIED
                   and name.split(".")[0] not in own and name not in sys.modules and _installed(name.split(".")[0]))
    if not names or not hasattr(signal, "setitimer"):
        return
    deadline = time.monotonic() + seconds

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"preloading took over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    try:
        for name in names:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            _PRELOAD_TRIED.add(name)
            signal.setitimer(signal.ITIMER_REAL, left)
            try:
                importlib.import_module(name)
            except BaseException:  # noqa: BLE001 - the call's child imports it again and reports it
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def _top_level_imports(package_dir: Path) -> set[str]:
    """Absolute module names imported at module level (also under if/try/with) by the .py files of a folder."""
    names: set[str] = set()
    files = 0
    for folder, subfolders, filenames in os.walk(package_dir):
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d not in _UNSCANNED]
        for filename in filenames:
            if not filename.endswith(".py"):
                continue
            files += 1
            if files > MAX_SCANNED_FILES:
                return names
            try:
                tree = ast.parse(Path(folder, filename).read_bytes())
            except (OSError, SyntaxError, ValueError):
                continue
            pending = list(tree.body)
            while pending:
                node = pending.pop()
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module)
                elif isinstance(node, (ast.If, ast.Try, ast.With)):
                    pending.extend(ast.iter_child_nodes(node))
                elif isinstance(node, (ast.ExceptHandler,)):
                    pending.extend(node.body)
    return names


def _installed(top: str) -> bool:
    import importlib.util

    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return False
    origin = getattr(spec, "origin", None) or ""
    return spec is not None and any(origin.startswith(p) for p in site_dirs())


def site_dirs() -> tuple[str, ...]:
    """Where installed packages live (a package changes there only with a reinstall)."""
    import sysconfig

    return tuple({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})


def installed_since(before: set[str], own: str | None) -> list[str]:
    """Installed modules imported since `before` (a copy of sys.modules' names), for import_installed:
    never the project's own package `own`, even when it is installed, so each call sees its edits."""
    site = site_dirs()
    return sorted(name for name in set(sys.modules) - before
                  if name.split(".")[0] != own and (getattr(sys.modules.get(name), "__file__", None) or "").startswith(site))


def import_installed(names: list[str]) -> None:
    """Imports installed modules a forked call imported, so the next fork starts with them.

    Only names the child found in site-packages arrive here (see load._learned); any failure is the
    next call's to report, in its own child.
    """
    for name in names:
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - the worker itself must live
            continue


def component_base() -> type:
    from dagster.components.component.component import Component

    return Component


def registry_entry_points() -> list[importlib.metadata.EntryPoint]:
    try:
        from dagster.components.core.package_entry import get_plugin_entry_points
    except ImportError:
        return [ep for group in ENTRY_POINT_GROUPS for ep in importlib.metadata.entry_points(group=group)]
    return list(get_plugin_entry_points())


def component_classes_in_module(module: ModuleType) -> Iterator[tuple[str, type]]:
    """(attribute name, class) for each concrete Component registered in the module.

    Like dg's `get_package_objects_in_module`, but keeps only components: plain scaffold targets
    (`dagster.asset`, `job`, ...) carry the same marker.
    """
    base = component_base()
    for attr in dir(module):
        value = getattr(module, attr, None)
        if is_component_class(value, base) and any(hasattr(value, a) for a in PACKAGE_ENTRY_ATTRS):
            yield attr, value


def is_component_class(value: object, base: type | None = None) -> bool:
    base = base or component_base()
    return isinstance(value, type) and issubclass(value, base) and not inspect.isabstract(value)


def describe_component(typename: str, cls: type) -> dict[str, Any]:
    """summary, description, aliases, schema and scaffold_params_schema, as dg's snapshot has them."""
    try:
        from dagster.components.core.snapshot import get_package_entry_snap
        from dagster_shared.serdes import objects
    except ImportError:
        return _describe_component_fallback(typename, cls)
    key_cls = getattr(objects, "EnvRegistryKey", None) or getattr(objects, "PluginObjectKey", None)  # ≤1.10
    if key_cls is None:
        return _describe_component_fallback(typename, cls)
    snap = get_package_entry_snap(key_cls.from_typename(typename), cls)
    aliases = getattr(snap, "aliases", None)  # ≤1.10 snaps have none
    return {
        "summary": snap.summary,
        "description": snap.description,
        "aliases": [a.to_typename() for a in aliases] if aliases is not None else _defining_module_alias(typename, cls),
        "schema": snap.component_schema,
        "scaffold_params_schema": snap.scaffolder_schema,
    }


def _describe_component_fallback(typename: str, cls: type) -> dict[str, Any]:
    doc = inspect.cleandoc(cls.__doc__) if cls.__doc__ else None
    model = cls.get_model_cls()
    return {
        "summary": doc.split("\n\n")[0] if doc else None,
        "description": doc,
        "aliases": _defining_module_alias(typename, cls),
        "schema": model.model_json_schema() if model else None,
        "scaffold_params_schema": _scaffold_params_schema(cls),
    }


def _defining_module_alias(typename: str, cls: type) -> list[str]:
    """`<defining module>.<Class>` when the key names another module (a re-export), as dg does."""
    return [f"{cls.__module__}.{cls.__name__}"] if cls.__module__ != typename.rpartition(".")[0] else []


def _scaffold_params_schema(cls: type) -> dict[str, Any] | None:
    try:
        from dagster.components.scaffold.scaffold import Scaffolder, get_scaffolder
    except ImportError:
        return None
    scaffolder = get_scaffolder(cls)
    params = scaffolder.get_scaffold_params() if isinstance(scaffolder, Scaffolder) else None
    return params.model_json_schema() if params else None


def envelope_schema() -> dict[str, Any]:
    from dagster.components.core.defs_module import ComponentFileModel

    return ComponentFileModel.model_json_schema()


def post_processing_schema() -> dict[str, Any] | None:
    """None before 1.11, whose defs.yaml had no `post_processing` (nor `template_vars_module`)."""
    try:
        from dagster.components.core.defs_module import ComponentPostProcessingModel
    except ImportError:
        return None
    return ComponentPostProcessingModel.model().model_json_schema()


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


def additional_scope_names(cls: type) -> list[str] | None:
    """Names from an overridden `get_additional_scope()` (pre template_var API); calls user code.

    Dagster calls it on the class when it loads the component (defs_module.py
    `context_with_injected_scope`), so it is called the same way here. None when it cannot be
    evaluated without an instance or more than the class (it raised, or returned no mapping): the
    document's scope is then incomplete. [] when the class does not override it.
    """
    base = component_base()
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


def translation_vars(typename: str, cls: type) -> dict[str, list[str]]:
    """Extra template names inside each `TranslationFnResolver` field, by dotted field path.

    Dagster renders `translation` once per asset with `spec` plus what the resolver's lambda
    returns (`{"node": data}` for dbt), so the names exist only inside that lambda: call it with a
    stand-in object that answers every attribute and item access.
    """
    try:
        from dagster.components.resolved.base import Resolvable
        from dagster.components.utils.translation import TranslationFnResolver
    except ImportError:
        return _with_spec(KNOWN_TRANSLATION_VARS.get(typename, {}))
    found: dict[str, list[str]] = {}
    _walk_translation_fields(cls, "", Resolvable, TranslationFnResolver, found, set())
    known = KNOWN_TRANSLATION_VARS.get(typename, {})
    return {path: names if names is not None else sorted({*known.get(path, []), "spec"})
            for path, names in found.items()}


def _with_spec(table: dict[str, list[str]]) -> dict[str, list[str]]:
    return {path: sorted({*names, "spec"}) for path, names in table.items()}


def _walk_translation_fields(cls: type, prefix: str, resolvable: type, resolver_cls: type,
                             found: dict[str, Any], seen: set[type]) -> None:
    if cls in seen or not issubclass(cls, resolvable):
        return
    seen.add(cls)
    for name, annotation in _resolvable_fields(cls).items():
        path = f"{prefix}{name}"
        for item in _annotation_parts(annotation):
            if isinstance(item, resolver_cls):
                found[path] = _probe_translation_resolver(item)
            elif isinstance(item, type):
                _walk_translation_fields(item, f"{path}.", resolvable, resolver_cls, found, seen)


def untemplated_fields(cls: type) -> list[str]:
    """Dotted paths of fields whose strings Dagster does not render at load.

    A `Resolver` with `inject_before_resolve=False` and a function of its own (passthrough, or
    TemplatedSqlComponent's `sql_template`, which the component renders later with its own
    variables). `Resolver.default()` also sets the flag but renders inside its function, so it
    counts as templated. A custom function may render too: the server then only skips
    unknown-name checks there, which can hide a mistake but never invents one.
    """
    try:
        from dagster.components.resolved.base import Resolvable
        from dagster.components.resolved.model import Resolver, _default_fn
        from dagster.components.utils.translation import TranslationFnResolver
    except ImportError:
        return []
    found: list[str] = []

    def walk(owner: type, prefix: str, seen: set[type]) -> None:
        if owner in seen or not issubclass(owner, Resolvable):
            return
        seen.add(owner)
        for name, annotation in _resolvable_fields(owner).items():
            for item in _annotation_parts(annotation):
                if isinstance(item, TranslationFnResolver):
                    continue
                if isinstance(item, Resolver):
                    if not item.inject_before_resolve and getattr(item.fn, "callable", None) is not _default_fn.callable:
                        found.append(f"{prefix}{name}")
                elif isinstance(item, type):
                    walk(item, f"{prefix}{name}.", seen)

    try:
        walk(cls, "", set())
    except Exception:
        return []
    return sorted(set(found))


def deprecated_fields(cls: type) -> dict[str, str]:
    """Dotted YAML paths of the fields the component's code deprecates, each with the code's own words.

    Read from what the code declares, never from a list of ours: a pydantic field's `deprecated=`,
    a `@deprecated_param` on the class, and a field `Resolver` whose function calls
    `deprecation_warning` (dagster-sling's `sling`, whose resolver warns "The `sling` field is
    deprecated, use `connections` instead. ..."). An empty text means deprecated, reason unknown.
    """
    try:
        from dagster.components.resolved.base import Resolvable, _get_annotations
        from dagster.components.resolved.model import Resolver
    except ImportError:
        return {}
    found: dict[str, str] = {}

    def walk(owner: type, prefix: str, seen: set[type]) -> None:
        if owner in seen or not issubclass(owner, Resolvable):
            return
        seen.add(owner)
        params = _deprecated_params(owner)
        try:
            annotations = _get_annotations(owner)
        except Exception:  # a nested type Dagster cannot read: the others' fields still count
            return
        for name, info in annotations.items():
            parts = list(_annotation_parts(info.type))
            resolver = next((p for p in parts if isinstance(p, Resolver)), None)
            yaml_name = getattr(resolver, "model_field_name", None) or name
            reason = _field_deprecation(info.field_info) if info.field_info is not None else None
            if reason is None and name in params:
                reason = params[name]
            if reason is None and resolver is not None:
                reason = _warning_text(getattr(resolver.fn, "callable", resolver.fn))
            if reason is not None:
                found[f"{prefix}{yaml_name}"] = reason
            for item in parts:
                if isinstance(item, type):
                    walk(item, f"{prefix}{yaml_name}.", seen)

    try:
        walk(cls, "", set())
    except Exception:
        return {}
    return found


def declared_str_fields(cls: type) -> list[str]:
    """Dotted YAML paths of the fields whose own model type takes a plain string besides other shapes
    (FunctionComponent's `execution: FunctionSpec | <a callable's "module.fn">`). Their schema's
    `{"type": "string"}` alternative looks like the `| str` Dagster adds to every non-str field for
    templates, which the server leaves out when it judges a plain value: registry marks these."""
    try:
        from dagster.components.resolved.base import Resolvable, _get_annotations, _get_resolver
    except ImportError:
        return []
    found: list[str] = []

    def walk(owner: type, prefix: str, seen: set[type]) -> None:
        if owner in seen or not issubclass(owner, Resolvable):
            return
        seen.add(owner)
        for name, info in _get_annotations(owner).items():
            resolver = _get_resolver(info.type, name)
            yaml_name = resolver.model_field_name or name
            model_type = resolver.model_field_type or info.type
            if str in _union_members(model_type):
                found.append(f"{prefix}{yaml_name}")
            for item in _annotation_parts(info.type):
                if isinstance(item, type):
                    walk(item, f"{prefix}{yaml_name}.", seen)

    try:
        walk(cls, "", set())
    except Exception:  # a type Dagster cannot read: its schema stays as it is
        return []
    return sorted(set(found))


def _union_members(annotation: Any) -> list[Any]:
    """The members of a (nested) union; [] for anything else. A constrained `Annotated[str, ...]` member
    stays as it is, not `str`: the plain `{"type": "string"}` beside it is Dagster's injection."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return []
    members = []
    for arg in typing.get_args(annotation):
        members.extend(_union_members(arg) or [arg])
    return members


def _field_deprecation(field_info: Any) -> str | None:
    # pydantic's `Field(deprecated=...)`: a message, True, or a `warnings.deprecated` object.
    deprecated = getattr(field_info, "deprecated", None)
    if deprecated is None or deprecated is False:
        return None
    return deprecated if isinstance(deprecated, str) else str(getattr(deprecated, "message", "") or "")


def _deprecated_params(owner: type) -> dict[str, str]:
    """`@deprecated_param(param=..., breaking_version=..., additional_warn_text=...)` on the class."""
    try:
        from dagster._annotations import get_deprecated_params, has_deprecated_params

        if not has_deprecated_params(owner):
            return {}
        return {name: " ".join(filter(None, [f"It will be removed in {info.breaking_version}.",
                                             info.additional_warn_text]))
                for name, info in get_deprecated_params(owner).items()}
    except Exception:
        return {}


def _warning_text(fn: Any) -> str | None:
    """The message a resolver function passes to Dagster's `deprecation_warning`, read from its code, not run."""
    code = getattr(fn, "__code__", None)
    if code is None or "deprecation_warning" not in code.co_names:
        return None
    texts = [c for c in code.co_consts if isinstance(c, str) and "deprecat" in c.lower()]
    return texts[0] if texts else ""


def own_scope_fields(typename: str, cls: type) -> dict[str, str]:
    """Dotted paths of fields whose templates a resolver of the component renders with names of its
    own, which cannot be read from outside: "all" (every string there) or "inside" (only strings
    nested in the field's value).

    - `Resolver.from_model(fn)`: fn receives the whole model, unrendered: "all".
    - `Resolver(fn)` with a function not from a Dagster package: a string value is rendered with the
      component's scope first (`inject_before_resolve`), but strings inside a list or mapping reach
      fn as written, which may render them with `context.with_scope(props=...)`: "inside". Dagster's
      own resolvers render with the component's scope (translation fields aside, probed in
      translation_vars), so their fields stay fully checked.
    - a translation field whose extra names could not be probed nor are known: "all".
    Fields with `inject_before_resolve=False` and a function of their own are untemplated_fields.
    """
    try:
        from dagster.components.resolved.base import Resolvable
        from dagster.components.resolved.model import ParentFn, Resolver, _default_fn
        from dagster.components.utils.translation import TranslationFnResolver
    except ImportError:
        return {}
    found: dict[str, str] = {}

    def walk(owner: type, prefix: str, seen: set[type]) -> None:
        if owner in seen or not issubclass(owner, Resolvable):
            return
        seen.add(owner)
        for name, annotation in _resolvable_fields(owner).items():
            path = f"{prefix}{name}"
            for item in _annotation_parts(annotation):
                if isinstance(item, TranslationFnResolver):
                    if _probe_translation_resolver(item) is None and path not in KNOWN_TRANSLATION_VARS.get(typename, {}):
                        found[path] = "all"
                elif isinstance(item, Resolver):
                    fn = item.fn
                    if isinstance(fn, ParentFn):
                        found[path] = "all"
                    elif item.inject_before_resolve and getattr(fn, "callable", None) is not _default_fn.callable \
                            and not _from_dagster(getattr(fn, "callable", None)):
                        found.setdefault(path, "inside")
                elif isinstance(item, type):
                    walk(item, f"{path}.", seen)

    try:
        walk(cls, "", set())
    except Exception:
        return {}
    return dict(sorted(found.items()))


def _from_dagster(fn: Any) -> bool:
    """True for a function of Dagster or one of its integration packages (`dagster_dbt`, ...)."""
    while callable(getattr(fn, "func", None)):  # functools.partial (Resolver.union)
        fn = fn.func
    module = getattr(fn, "__module__", None) or ""
    return module.split(".")[0] == "dagster" or module.startswith("dagster_")


def required_scope_hints(schema: Any) -> dict[str, list[str]]:
    """Names a field's schema promises its templates (`ResolvableFieldInfo(required_scope=...)`,
    stored as `"dagster_required_scope": [...]`), by dotted field path (list and dict levels left out)."""
    defs = schema.get("$defs", {}) if isinstance(schema, dict) else {}
    found: dict[str, set[str]] = {}

    def walk(node: Any, path: str, seen: frozenset[str]) -> None:
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref not in seen:
            walk(defs.get(ref[len("#/$defs/"):]), path, seen | {ref})
        names = node.get("dagster_required_scope")
        if path and isinstance(names, list):
            found.setdefault(path, set()).update(str(n) for n in names)
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in node.get(key) or ():
                walk(branch, path, seen)
        for key in ("items", "additionalProperties"):
            walk(node.get(key), path, seen)
        for name, child in (node.get("properties") or {}).items():
            walk(child, f"{path}.{name}" if path else name, seen)

    walk(schema, "", frozenset())
    return {path: sorted(names) for path, names in sorted(found.items()) if names}


def _resolvable_fields(cls: type) -> dict[str, Any]:
    try:
        from dagster.components.resolved.base import _get_annotations

        return {name: info.type for name, info in _get_annotations(cls).items()}
    except Exception:
        try:
            return typing.get_type_hints(cls, include_extras=True)
        except Exception:
            return {}


def _annotation_parts(annotation: Any) -> Iterator[Any]:
    """Every Annotated metadata item and every class inside a (nested) type annotation."""
    if typing.get_origin(annotation) is typing.Annotated:
        yield from annotation.__metadata__
    if isinstance(annotation, type) and not typing.get_args(annotation):
        yield annotation
    for arg in typing.get_args(annotation):
        if arg is not Ellipsis and not isinstance(arg, (str, int)):
            yield from _annotation_parts(arg)


def _probe_translation_resolver(resolver: Any) -> list[str] | None:
    # Resolver.fn is ParentFn/AttrWithContextFn(callable=resolve_translation), a closure over
    # `template_vars_for_translation_fn` (dagster/components/utils/translation.py).
    fn = getattr(getattr(resolver, "fn", None), "callable", None)
    code = getattr(fn, "__code__", None)
    if code is None or not fn.__closure__:
        return None
    cells = dict(zip(code.co_freevars, (cell.cell_contents for cell in fn.__closure__)))
    vars_fn = cells.get("template_vars_for_translation_fn")
    try:
        return sorted({*vars_fn(_AnyValue()), "spec"})
    except Exception:
        return None


class _AnyValue:
    """Stands in for a manifest node, stream definition, ... when probing a translation lambda."""

    def __getattr__(self, name: str) -> "_AnyValue":
        return _AnyValue()

    def __getitem__(self, key: object) -> "_AnyValue":
        return _AnyValue()

    def __call__(self, *args: object, **kwargs: object) -> "_AnyValue":
        return _AnyValue()

    def __iter__(self) -> Iterator[Any]:
        return iter(())


# --- validation (the `validate` method) ----------------------------------------------------------
# A pydantic error as the worker passes it on: {"type": "value_error", "loc": ("asset_key",),
# "msg": "Value error, asset_key 'raw/x' uses ..."}; `input` and `ctx` are left out (not JSON).
PydanticErrors = list[dict[str, Any]]


def attributes_model(cls: type) -> type | None:
    """The pydantic model the loader validates a document's `attributes` with (None: no model)."""
    return cls.get_model_cls()


def accepts_attributes(model: type) -> bool:
    """False for `EmptyAttributesModel`: the loader refuses any attributes for such a component."""
    try:
        from dagster.components.component.component import EmptyAttributesModel
    except ImportError:
        return True
    return not issubclass(model, EmptyAttributesModel)


def loads_other_components(cls: type) -> bool:
    """True for DefsFolderComponent: its `load` finds and loads every component below its folder."""
    try:
        from dagster.components.core.defs_module import DefsFolderComponent
    except ImportError:
        return False
    return issubclass(cls, DefsFolderComponent)


def validate_attributes(model: type, attributes: Any) -> tuple[Any, PydanticErrors | None]:
    """(model instance, None), or (None, errors) when pydantic rejects the attributes.

    The loader's first step (decl.py `_process_attributes_with_enriched_validation_err`). Other
    exceptions propagate: pydantic raises TypeError, not a ValidationError, when a constraint
    (`ge`, `le`) meets a string in an `int | str` field.
    """
    from pydantic import TypeAdapter, ValidationError

    try:
        return TypeAdapter(model).validate_python(attributes), None
    except ValidationError as e:
        return None, _errors_of(e)


def leave_unset(instance: Any, key: str) -> bool:
    """Marks a field of a model instance as not given, so the loader resolves (renders) nothing there.

    `resolve_fields` passes only the fields in `model_dump(exclude_unset=True)` to the class, so an
    unset field is the loader's own way to say "use the default" (or report it missing).
    """
    fields_set = getattr(instance, "__pydantic_fields_set__", None)
    model_fields = getattr(type(instance), "model_fields", None)
    if fields_set is None or model_fields is None:
        return False
    names = [name for name, info in model_fields.items() if key in (name, info.alias)]
    if not names:
        return False
    fields_set.difference_update(names)
    return True


def load_component(cls: type, instance: Any, folder: str, project_root: str | None,
                   defs: tuple[str, str] | None = None) -> tuple[list[Any], PydanticErrors] | None:
    """Builds the component from a validated model the way the loader does (`Component.load`).

    That runs the Resolvers and the class's own pydantic validation (enum and Literal members,
    field and model validators), which the JSON schema cannot express. Returns None when the
    component builds, or (key path of the failing object, its pydantic errors); any other exception
    (a resolver touching a missing file, a user validator raising TypeError) propagates.
    `build_defs` is never called.
    """
    try:
        cls.load(instance, _load_context(folder, project_root, defs))
    except Exception as e:
        found = _validation_error_in(e)
        if found is None:
            raise
        error, path = found
        return path, _errors_of(error)
    return None


def raising_validator(cls: type, e: BaseException) -> tuple[str, list[str]] | None:
    """(name, attribute path) of the class's own pydantic validator that raised `e`, when it did.

    Pydantic turns a validator's ValueError or AssertionError into a ValidationError; anything else
    (a KeyError, SystemExit) propagates bare and would pass for a resolver needing more than the
    YAML. The traceback says whose code raised: a field validator's path is its (first) field, a
    model validator's is [] (the document).
    """
    owners = _validator_codes(cls, [])
    # A nested model's validators (a list item's, say) are placed at the attribute holding it.
    for field_name, info in (getattr(cls, "model_fields", None) or {}).items():
        for nested in _models_in(info.annotation, set()):
            for code, found in _validator_codes(nested, ["attributes", field_name]).items():
                owners.setdefault(code, found)
    seen: set[int] = set()
    while e is not None and id(e) not in seen:  # the exception and what it wraps (Dagster's wrappers)
        seen.add(id(e))
        tb = e.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code in owners:
                return owners[tb.tb_frame.f_code]
            tb = tb.tb_next
        e = e.__cause__ or e.__context__
    return None


def _validator_codes(model: type, at: list[str]) -> dict[Any, tuple[str, list[str]]]:
    """code object -> (validator name, attribute path) of a pydantic model's field and model validators;
    a field validator is at its (first) field under `at` ("attributes" for the component's own)."""
    decorators = getattr(model, "__pydantic_decorators__", None)
    owners: dict[Any, tuple[str, list[str]]] = {}
    for kind in ("field_validators", "model_validators"):
        for name, decorator in (getattr(decorators, kind, None) or {}).items():
            code = getattr(getattr(decorator.func, "__func__", decorator.func), "__code__", None)
            fields = [f for f in getattr(decorator.info, "fields", ()) if f != "*"]
            if code is None:
                continue
            if at:  # a nested model: its attribute
                owners[code] = (name, at)
            else:  # the component's own: its field, or [] (the document) for a model validator
                owners[code] = (name, ["attributes", fields[0]] if fields else [])
    return owners


def _models_in(annotation: Any, seen: set[int]) -> Iterator[type]:
    """The pydantic models an annotation names (`list[Step]`, `Step | None`, nested models' fields)."""
    import typing

    if id(annotation) in seen or len(seen) > 200:
        return
    seen.add(id(annotation))
    if isinstance(annotation, type) and hasattr(annotation, "__pydantic_decorators__"):
        yield annotation
        for info in (getattr(annotation, "model_fields", None) or {}).values():
            yield from _models_in(info.annotation, seen)
    for arg in typing.get_args(annotation):
        yield from _models_in(arg, seen)


def _load_context(folder: str, project_root: str | None, defs: tuple[str, str] | None = None) -> Any:
    """A ComponentLoadContext for a component in `folder`, outside any loaded component tree.

    Like `ComponentTree.for_test().load_context` (what `Component.from_attributes_dict` uses), but
    with the document's folder as `context.path`, so resolvers see relative paths as at load, and
    with the project's defs module (`defs`: its name and folder), so a relative Python reference
    (`execution: .ops.refresh`, resolved against `defs_module_name`) names what it names at load.
    """
    from pathlib import Path
    from unittest import mock

    from dagster.components.core.context import ComponentLoadContext

    TestComponentTree = getattr(_tree_module(), "TestComponentTree", None)
    if TestComponentTree is None:  # 1.11.0, 1.11.1: no declarations yet, a load context per path
        return ComponentLoadContext.for_test().for_path(Path(folder))
    tree = TestComponentTree(defs_module=mock.Mock(), project_root=Path(project_root or folder))
    context = tree.decl_load_context
    for_loc = getattr(context, "for_component_loc", None) or getattr(context, "for_component_path", None)  # 1.11.4
    if for_loc is None:  # 1.11.2, 1.11.3: a plain path
        decl_context = context.for_path(Path(folder))
    else:
        from dagster.components.core.defs_module import ComponentPath

        decl_context = for_loc(ComponentPath.from_path(Path(folder)))
    if defs is not None and dataclasses.is_dataclass(decl_context):
        decl_context = dataclasses.replace(decl_context, defs_module_name=defs[0], defs_module_path=Path(defs[1]))
    component_decl = mock.Mock()
    component_decl.iterate_child_component_decls = mock.Mock(return_value=[])
    return ComponentLoadContext.from_decl_load_context(decl_context, component_decl)


def _validation_error_in(exc: BaseException) -> tuple[Any, list[Any]] | None:
    """The pydantic ValidationError behind a load failure, with the key path of the object it is about.

    A nested Resolvable's error reaches us wrapped: `Resolver.execute` re-raises it as a
    ResolutionException (`raise ... from None`, so it is the `__context__`), whose text has no key
    path. The path is in the frames the ValidationError passed through: the innermost
    `ResolutionContext` local (`resolve_from_model(cls, context, model)`) has `context.path`,
    e.g. ["attributes", "observability"] or ["attributes", "jobs", 2].
    """
    from pydantic import ValidationError

    try:
        from dagster.components.resolved.context import ResolutionContext
        from dagster.components.resolved.errors import ResolutionException
    except ImportError:
        ResolutionContext = None  # noqa: N806
        ResolutionException = ()  # noqa: N806
    current: BaseException | None = exc
    for _ in range(10):  # Dagster's wrappers only: a ValidationError user code handled is not the cause
        if isinstance(current, ValidationError):
            return current, _resolution_path(current.__traceback__, ResolutionContext)
        if not isinstance(current, ResolutionException):
            return None
        current = current.__cause__ or current.__context__
    return None


# How Python says a dotted reference does not import, as the last line of a traceback that
# Dagster's ResolutionException carries as text (a union of resolvers keeps only the text):
#   ModuleNotFoundError: No module named 'nosuch_mod'
#   AttributeError: module 'json' has no attribute 'nosuch'
_MISSING_MODULE = re.compile(r"^\s*ModuleNotFoundError: No module named '([\w.]+)'\s*$", re.M)
_MISSING_ATTRIBUTE = re.compile(r"^\s*AttributeError: module '([\w.]+)' has no attribute '(\w+)'\s*$", re.M)


@dataclass(frozen=True)
class Unimportable:
    """A module or module attribute that a resolver failed to import (`attribute` None: the module)."""

    module: str
    attribute: str | None
    message: str
    """Python's own words: "No module named 'nosuch_mod'"."""


def unimportable_names(e: BaseException) -> tuple[list[Any], list[Unimportable]]:
    """(key path where Dagster was resolving, the names that did not import) of a load failure.

    The path is the innermost `ResolutionContext` on the way (the field, or the union field whose
    every resolver failed); the names come from the exception and what it wraps, objects or text.
    """
    context_cls = resolution_context_type()
    path: list[Any] = ["attributes"]
    text: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = e
    while current is not None and id(current) not in seen and len(seen) < 20:
        seen.add(id(current))
        text.append(f"{type(current).__name__}: {current}")
        found = _resolution_path(current.__traceback__, context_cls)
        if len(found) > len(path):
            path = found
        current = current.__cause__ or current.__context__
    joined = "\n".join(text)
    names = {Unimportable(m.group(1), None, f"No module named '{m.group(1)}'")
             for m in _MISSING_MODULE.finditer(joined)}
    names |= {Unimportable(m.group(1), m.group(2), f"module '{m.group(1)}' has no attribute '{m.group(2)}'")
              for m in _MISSING_ATTRIBUTE.finditer(joined)}
    return path, sorted(names, key=lambda n: (n.module, n.attribute or ""))


def _resolution_path(tb: Any, context_cls: type | None) -> list[Any]:
    path: list[Any] = ["attributes"]  # Component.load resolves at context.at_path("attributes")
    while tb is not None and context_cls is not None:
        context = tb.tb_frame.f_locals.get("context")
        if isinstance(context, context_cls) and list(context.path)[:1] == ["attributes"]:
            path = list(context.path)
        tb = tb.tb_next
    return path


def _errors_of(error: Any) -> PydanticErrors:
    """`[{type, loc, msg, suggestions?}]` of a pydantic ValidationError."""
    errors = []
    for e in error.errors(include_url=False, include_context=True, include_input=False):
        plain = {"type": e["type"], "loc": list(e["loc"]), "msg": e["msg"]}
        suggestions = _suggestions(e.get("ctx") or {})
        if suggestions:
            plain["suggestions"] = suggestions
        errors.append(plain)
    return errors


def _suggestions(ctx: dict[str, Any]) -> list[str]:
    """Values a validator offers instead: a `suggestion` (or `suggestions`) attribute on the error it
    raised, or in a PydanticCustomError's context. Sample ctx of a value_error: {"error": AssetKeyError(...)}."""
    raised = ctx.get("error")
    found = (ctx.get("suggestions") or ctx.get("suggestion") or getattr(raised, "suggestions", None)
             or getattr(raised, "suggestion", None))
    items = found if isinstance(found, (list, tuple)) else [found]
    return [item for item in items if isinstance(item, str) and item]


def scaffold_object(target: Path, typename: str, json_params: str | None, project_root: Path | None,
                    append: bool) -> None:
    """`dg scaffold defs`'s own code path: the component's scaffolder and its params model."""
    import contextlib
    import io

    from dagster.components.component_scaffolding import scaffold_object as dagster_scaffold

    with contextlib.redirect_stdout(io.StringIO()):  # it echoes "Creating defs at ..."
        dagster_scaffold(target, typename, json_params, "yaml", project_root, append=append)


# --- Loading definitions (the `load` call) ---------------------------------------------------------
# The loader is Dagster's own: `ComponentTree.for_project(root)` then `build_defs` on the defs
# folder, which is what `dg list defs --path <defs>` runs. The root (`build_defs()` without a loc)
# also enriches the definitions with every component type's JSON snapshot for the UI: 0.9 s of the
# 1.3 s warm load on examples/acme_analytics, and nothing the lineage needs.


@dataclass(frozen=True)
class Leaf:
    """A component declaration that produces definitions itself (not a folder or a file of documents)."""

    loc: Any
    path: Path
    """The defs.yaml file of a document, or the Python file."""
    document: int | None
    """The document's index in its file; None for a Python file."""


def quiet_dagster_warnings() -> Any:
    """A context in which Dagster's beta/preview notices stay silent (as `dg list defs` does)."""
    import contextlib

    try:
        from dagster_shared.utils.warnings import disable_dagster_warnings
    except ImportError:
        try:
            from dagster._utils.warnings import disable_dagster_warnings
        except ImportError:
            return contextlib.nullcontext()
    return disable_dagster_warnings()


def refresh_stored_state_only_when_asked(manifest_is_current: Callable[[Path, Path], bool]) -> None:
    """Under dg (DAGSTER_IS_DEV_CLI) dbt is parsed on every load: by state-backed components
    (`refresh_if_dev`) and by a project's own `DbtProject.prepare_if_dev()`. The load prepares stale
    state itself, so state-backed components no longer refresh on their own, and `prepare_if_dev`
    parses only when `manifest_is_current(manifest, project_dir)` says the manifest is older than
    the dbt project. The variable, which project code may read, is left as dg sets it; which files
    the project uses is unchanged. Called in the load's forked child only."""
    try:
        from dagster.components.component import state_backed_component
    except ImportError:  # before state-backed components (1.11): nothing refreshes on its own
        pass
    else:
        if hasattr(state_backed_component, "using_dagster_dev"):
            state_backed_component.using_dagster_dev = lambda: False
    # Only once the worker has dagster-dbt imported (warm, after a first load that used it): importing
    # it here would cost a project without dbt seconds per load.
    preparer_module = sys.modules.get("dagster_dbt.dbt_project")
    DagsterDbtProjectPreparer = getattr(preparer_module, "DagsterDbtProjectPreparer", None)
    if DagsterDbtProjectPreparer is None:
        return
    original = DagsterDbtProjectPreparer.prepare_if_dev

    def prepare_if_stale(self: Any, project: Any) -> None:
        try:
            current = manifest_is_current(Path(project.manifest_path), Path(project.project_dir))
        except Exception:  # noqa: BLE001 - another dagster-dbt's project: prepare as dg would
            current = False
        if not current:
            original(self, project)

    DagsterDbtProjectPreparer.prepare_if_dev = prepare_if_stale  # type: ignore[method-assign]


def project_env_file(project_root: Path) -> dict[str, str]:
    """The variables of the project's `.env`, which `dg list defs` puts in the environment of the code
    it loads (`_inject_local_env_file`, for the folder dg runs in: the project's)."""
    from dagster._core.secrets.env_file import get_env_var_dict

    return get_env_var_dict(str(project_root))


class TreeUnsupported(Exception):
    """This Dagster's component tree cannot say which declaration built what (1.11.0, 1.11.1)."""


def _tree_module() -> ModuleType:
    try:
        return importlib.import_module("dagster.components.core.component_tree")
    except ModuleNotFoundError:  # 1.11.0 to 1.11.4
        return importlib.import_module("dagster.components.core.tree")


def component_tree(project_root: Path) -> Any:
    """The project's component tree, as `load_from_defs_folder` builds it. Raises TreeUnsupported on a
    Dagster whose tree has no declarations: the code location then loads without it."""
    from dagster._core.definitions.definitions_load_context import DefinitionsLoadContext, DefinitionsLoadType

    tree_class = _tree_module().ComponentTree
    if not hasattr(tree_class, "find_root_decl"):
        raise TreeUnsupported(f"Dagster {dagster_version()}'s component tree has no declarations")
    DefinitionsLoadContext.set(DefinitionsLoadContext(load_type=DefinitionsLoadType.INITIALIZATION))
    for_project = getattr(tree_class, "for_project", None) or tree_class.load  # 1.11.2, 1.11.3: `load`
    return for_project(project_root)


def load_code_location(project_root: Path, module_name: str) -> Any | None:
    """The project's code location as `dg list defs` loads it: the repository of its target module
    (`definitions.py`, or `code_location_target_module`), which may be a legacy `load_defs(...)`,
    a `Definitions.merge` or `load_from_defs_folder`. None when this Dagster has no such loader."""
    try:
        from dagster._cli.workspace.cli_target import get_repository_python_origin_from_cli_opts
        from dagster._utils.hosted_user_process import recon_repository_from_origin
        from dagster_shared.cli import PythonPointerOpts
    except ImportError:
        return None
    from dagster._core.definitions.definitions_load_context import DefinitionsLoadContext, DefinitionsLoadType

    DefinitionsLoadContext.set(DefinitionsLoadContext(load_type=DefinitionsLoadType.INITIALIZATION))
    origin = get_repository_python_origin_from_cli_opts(
        PythonPointerOpts(module_name=module_name, working_directory=str(project_root)))
    return recon_repository_from_origin(origin).get_definition()


def _graph(defs: Any) -> Any:
    """The asset graph of Definitions (resolved) or of a RepositoryDefinition (already resolved).
    Definitions that do not validate (a resource no file provides) still have their assets' graph:
    `validate_definitions` says what is wrong with them."""
    graph = getattr(defs, "asset_graph", None)
    if graph is not None and not callable(graph):
        return graph
    try:
        return defs.resolve_asset_graph()
    except Exception:  # noqa: BLE001 - reported by validate_definitions
        try:
            from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
        except ImportError:  # 1.11
            from dagster._core.definitions.asset_graph import AssetGraph
        return AssetGraph.from_assets(list(getattr(defs, "assets", None) or ()))


def validate_definitions(defs: Any) -> None:
    """Raises what Dagster raises when it loads these definitions (resources, jobs, schedules)."""
    if getattr(defs, "asset_graph", None) is not None and not callable(defs.asset_graph):
        return  # a RepositoryDefinition: built, so valid
    from dagster import Definitions

    Definitions.validate_loadable(defs)


def build_defs(tree: Any, loc: Any = None) -> Any:
    # 1.13's `build_defs(loc)` calls this; 1.11's `build_defs()` takes no loc (and adds the snapshots).
    return tree.build_defs_at_path(tree.defs_module_path if loc is None else loc)


def leaves(tree: Any) -> list[Leaf]:
    """Every YAML document and Python file of the defs folder that produces definitions."""
    from dagster.components.core import decl as decls

    python_file_decls = tuple(getattr(decls, name) for name in ("PythonFileDecl", "DagsterDefsDecl")  # 1.11.2
                              if hasattr(decls, name))
    found = []
    for loc, decl in _loc_decl_pairs(tree):
        path = _loc_path(loc)
        if isinstance(decl, decls.YamlDecl):
            found.append(Leaf(loc, _component_file(path), int(loc.instance_key or 0)))
        elif isinstance(decl, python_file_decls):
            found.append(Leaf(loc, path, None))
    return found


def _loc_path(loc: Any) -> Path:
    """A declaration's file or folder: `file_path_posix` on 1.13's ComponentLoc, `file_path` on 1.11.2's ComponentPath."""
    posix = getattr(loc, "file_path_posix", None)
    return Path(posix) if posix else Path(getattr(loc, "file_path", None) or ".")


def folder_documents(tree: Any) -> list[Leaf]:
    """The documents of type DefsFolderComponent (they own their folder's post_processing)."""
    from dagster.components.core.decl import DefsFolderDecl

    return [Leaf(loc, _component_file(_loc_path(loc)), int(loc.instance_key))
            for loc, decl in _loc_decl_pairs(tree)
            if isinstance(decl, DefsFolderDecl) and getattr(loc, "instance_key", None) is not None]


def _loc_decl_pairs(tree: Any) -> Any:
    """(loc, decl) for every declaration under the defs folder; a loc has `file_path_posix` and `instance_key`."""
    root = tree.find_root_decl()
    pairs = getattr(root, "iterate_loc_component_decl_pairs", None)
    return pairs() if pairs is not None else root.iterate_path_component_decl_pairs()  # 1.11: ComponentPath


COMPONENT_FILE_NAMES = ("defs.yaml", "defs.yml", "component.yaml", "component.yml")


def _component_file(folder: Path) -> Path:
    for name in COMPONENT_FILE_NAMES:
        if (folder / name).is_file():
            return folder / name
    return folder / "defs.yaml"


def merge_defs(all_defs: list[Any]) -> Any:
    from dagster import Definitions

    return Definitions.merge(*all_defs) if all_defs else Definitions()


def asset_nodes(defs: Any) -> dict[str, dict[str, Any]]:
    """The asset graph as plain JSON, by user-string key; stubs of external deps are marked."""
    graph = _graph(defs)
    nodes = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        tags = dict(getattr(node, "tags", None) or {})
        condition = getattr(node, "automation_condition", None)
        nodes[key.to_user_string()] = {
            "key": key.to_user_string(),
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "group": node.group_name,
            "kinds": sorted(node.kinds or ()),
            "owners": list(node.owners or ()),
            "tags": {k: v for k, v in tags.items() if not k.startswith("dagster/kind/")},
            "checks": sorted(k.name for k in node.check_keys),
            "description": node.description,
            "automation_condition": _condition_label(condition) if condition is not None else None,
            "materializable": bool(node.is_materializable),
        }
    return nodes


def own_assets(defs: Any) -> list[tuple[str, Path | None]]:
    """(key, file of the function that computes it, when known) of each asset these definitions
    materialize, read from the definitions as built, never resolved: resolving checks resources, and
    a file's assets may need a resource that a sibling file provides (`defs/resources.py`)."""
    found = []
    for item in getattr(defs, "assets", None) or ():
        keys = getattr(item, "keys", None)
        if keys is None or not getattr(item, "is_materializable", False):
            continue  # an AssetSpec or SourceAsset: an external asset, not produced here
        source = _compute_file(item)
        found += [(key.to_user_string(), source) for key in keys]
    return found


def compute_files(defs: Any) -> dict[str, Path]:
    """Asset key -> the file of the function that computes it, for each materializable asset."""
    graph = _graph(defs)
    found = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assets_def = getattr(node, "assets_def", None)
        source = _compute_file(assets_def) if node.is_materializable and assets_def is not None else None
        if source is not None:
            found[key.to_user_string()] = source
    return found


def _compute_file(assets_def: Any) -> Path | None:
    import inspect

    try:
        fn = assets_def.op.compute_fn
        fn = getattr(fn, "decorated_fn", fn)
        source = inspect.getsourcefile(inspect.unwrap(fn))
    except Exception:  # noqa: BLE001 - a graph-backed or generated asset: no single function
        return None
    return Path(source).resolve() if source else None


def component_file_references(defs: Any) -> dict[str, tuple[Path, int]]:
    """Asset key -> (component file, line) that Dagster records in each asset's
    `dagster/code_references` metadata: the start line of the YAML document that produced it. A
    folder's document (its `post_processing`) adds its own reference too: the deepest file wins."""
    graph = _graph(defs)
    found: dict[str, tuple[Path, int]] = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        references = (node.metadata or {}).get("dagster/code_references")
        for reference in getattr(references, "code_references", None) or ():
            path, line = getattr(reference, "file_path", None), getattr(reference, "line_number", None)
            if not (path and isinstance(line, int) and Path(path).name in COMPONENT_FILE_NAMES):
                continue
            user_key, path = key.to_user_string(), Path(path).resolve()
            if user_key not in found or len(path.parts) > len(found[user_key][0].parts):
                found[user_key] = (path, line)
    return found


def document_start_lines(path: Path) -> list[int]:
    """The 1-based line where each YAML document of a component file starts, as Dagster counts it."""
    import yaml

    try:
        return [node.start_mark.line + 1 for node in yaml.compose_all(path.read_text(encoding="utf-8"))]
    except (OSError, yaml.YAMLError):
        return []


def _condition_label(condition: Any) -> str:
    label = getattr(condition, "get_label", lambda: None)()
    return label or getattr(condition, "name", None) or type(condition).__name__


@dataclass(frozen=True)
class StoredState:
    """A state-backed component's stored state (dbt's manifest and project copy under .local_defs_state/)."""

    component: Any
    key: str
    path: Path
    """The `state` file; Dagster touches it last when the state is written."""
    sources: list[Path]
    """Folders the state is made from (the dbt project), to tell when it is older than them."""
    leaf: Leaf
    """The document that declares the component."""


def stored_states(tree: Any, project_root: Path, on_error: Any) -> list[StoredState]:
    """The state-backed components whose state lives on the local file system.

    Components that fail to load are passed to `on_error(leaf, exception)`; the build reports them
    again, at their document.
    """
    try:
        from dagster.components.component.state_backed_component import StateBackedComponent
        from dagster.components.utils.project_paths import get_local_state_path
        from dagster_shared.serdes.objects.models.defs_state_info import DefsStateManagementType
    except ImportError:  # before 1.11.x's stored state: dagster-dbt reads target/manifest.json
        return []
    found = []
    # Documents only: loading a Python file's declaration imports it, and a script beside a folder's
    # definitions.py is never imported by the entry point that dg loads (the build finds the rest).
    for leaf in (leaf for leaf in leaves(tree) if leaf.document is not None):
        try:
            load = getattr(tree, "load_component", None) or tree.load_component_at_path  # 1.11 name
            component = load(leaf.loc)
        except Exception as e:  # noqa: BLE001 - reported where it belongs
            on_error(leaf, e)
            continue
        if not isinstance(component, StateBackedComponent):
            continue
        config = component.defs_state_config
        management_type = getattr(config, "management_type", None) or config.type  # 1.11: `type`
        if management_type != DefsStateManagementType.LOCAL_FILESYSTEM:
            continue
        found.append(StoredState(component, config.key, get_local_state_path(config.key, project_root),
                                 _state_sources(component), leaf))
    return found


def _state_sources(component: Any) -> list[Path]:
    manager = getattr(component, "_project_manager", None)
    project_dir = getattr(getattr(manager, "args", None), "project_dir", None)
    if project_dir is None:
        project_dir = getattr(getattr(component, "project", None), "project_dir", None)
    return [Path(project_dir)] if project_dir else []


def refresh_state(state: StoredState, project_root: Path) -> None:
    """What `dg utils refresh-defs-state` runs for one component (for dbt: `dbt parse`, then a copy)."""
    import asyncio

    asyncio.run(state.component.refresh_state(project_root))


def component_tree_error_types() -> tuple[type, ...]:
    """Dagster's wrappers around the error user code raised while loading (unwrapped for the message)."""
    wrappers: list[type] = []
    tree_exception = getattr(_tree_module(), "ComponentTreeException", None)  # 1.11.4 and newer
    if tree_exception is not None:
        wrappers.append(tree_exception)
    try:
        from dagster.components.resolved.errors import ResolutionException

        wrappers.append(ResolutionException)
    except ImportError:
        pass
    return tuple(wrappers)


def resolution_context_type() -> type | None:
    try:
        from dagster.components.resolved.context import ResolutionContext
    except ImportError:
        return None
    return ResolutionContext
