"""What a component type declares: its description, its schemas, and its Resolvable fields walked once."""

# Dagster is imported inside the functions, never at module level; the releases supported and the
# rule for renames are in adapter.py.

import inspect
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Used only when probing a TranslationFnResolver's lambda fails; `spec` is always added.
KNOWN_TRANSLATION_VARS = {
    "dagster_dbt.DbtProjectComponent": {"translation": ["node"]},
    "dagster_dbt.DbtCloudComponent": {"translation": ["node"]},
    "dagster_sling.SlingReplicationCollectionComponent": {"replications.translation": ["stream_definition"]},
    "dagster_fivetran.FivetranAccountComponent": {"translation": ["props"]},
    "dagster_airbyte.AirbyteWorkspaceComponent": {"translation": ["props"]},
    "dagster_dlt.DltLoadCollectionComponent": {"loads.translation": ["pipeline", "resource"]},
}


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


def _describe_component_fallback(typename: str, cls: Any) -> dict[str, Any]:  # a Component subclass
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


# A component's fields and, below them, the fields of every nested Resolvable type its annotations
# name (`list[Replication]`, `Annotated[FunctionSpec | str, Resolver(...)]`): each consumer below
# reads what it needs from the same walk.


@dataclass(frozen=True)
class ResolvableField:
    """One field of a Resolvable type, met walking a component's fields (nested Resolvable types included)."""

    owner: type
    """The Resolvable type that declares the field."""
    name: str
    """Its attribute name."""
    path: str
    """Dotted attribute names from the component, list and dict levels left out: `replications.translation`."""
    yaml_path: str
    """The same path in YAML names: a field's Resolver may give it another (`model_field_name`)."""
    annotation: Any
    info: Any
    """Dagster's AnnotationInfo (`type`, `field_info`); None when the owner's type hints stood in for it."""
    parts: tuple[Any, ...]
    """Every Annotated metadata item (Resolvers) and every class inside the annotation (see _annotation_parts)."""


def resolvable_fields(cls: type, unreadable: str = "hints") -> Iterator[ResolvableField]:
    """The fields of `cls` and of the Resolvable types below them, depth first, each type once.

    `unreadable` says what to do with a type whose fields Dagster's `_get_annotations` cannot read
    (a plain class with annotations and no `__init__`): "hints" reads its type hints instead, "skip"
    leaves it and what is below it out, "raise" lets the error through.
    """
    from dagster.components.resolved.base import Resolvable
    from dagster.components.resolved.model import Resolver

    try:
        from dagster.components.resolved.base import _get_annotations
    except ImportError:
        _get_annotations = None  # noqa: N806
    seen: set[type] = set()

    def fields_of(owner: type) -> dict[str, tuple[Any, Any]] | None:
        try:
            if _get_annotations is None:
                raise ImportError("dagster.components.resolved.base._get_annotations")
            return {name: (info.type, info) for name, info in _get_annotations(owner).items()}
        except Exception:
            if unreadable == "raise":
                raise
            if unreadable == "skip":
                return None
            try:
                return {name: (hint, None) for name, hint in typing.get_type_hints(owner, include_extras=True).items()}
            except Exception:
                return {}

    def walk(owner: type, prefix: str, yaml_prefix: str) -> Iterator[ResolvableField]:
        if owner in seen or not issubclass(owner, Resolvable):
            return
        seen.add(owner)
        for name, (annotation, info) in (fields_of(owner) or {}).items():
            parts = tuple(_annotation_parts(annotation))
            resolver = next((p for p in parts if isinstance(p, Resolver)), None)
            yaml_name = getattr(resolver, "model_field_name", None) or name
            yield ResolvableField(owner, name, f"{prefix}{name}", f"{yaml_prefix}{yaml_name}", annotation, info, parts)
            for item in parts:
                if isinstance(item, type):
                    yield from walk(item, f"{prefix}{name}.", f"{yaml_prefix}{yaml_name}.")

    yield from walk(cls, "", "")


def translation_vars(typename: str, cls: type) -> dict[str, list[str]]:
    """Extra template names inside each `TranslationFnResolver` field, by dotted field path.

    Dagster renders `translation` once per asset with `spec` plus what the resolver's lambda
    returns (`{"node": data}` for dbt), so the names exist only inside that lambda: call it with a
    stand-in object that answers every attribute and item access.
    """
    try:
        from dagster.components.utils.translation import TranslationFnResolver
    except ImportError:
        return _with_spec(KNOWN_TRANSLATION_VARS.get(typename, {}))
    found = {
        field.path: _probe_translation_resolver(item)
        for field in resolvable_fields(cls)
        for item in field.parts
        if isinstance(item, TranslationFnResolver)
    }
    known = KNOWN_TRANSLATION_VARS.get(typename, {})
    return {
        path: names if names is not None else sorted({*known.get(path, []), "spec"}) for path, names in found.items()
    }


def _with_spec(table: dict[str, list[str]]) -> dict[str, list[str]]:
    return {path: sorted({*names, "spec"}) for path, names in table.items()}


def untemplated_fields(cls: type) -> list[str]:
    """Dotted paths of fields whose strings Dagster does not render at load.

    A `Resolver` with `inject_before_resolve=False` and a function of its own (passthrough, or
    TemplatedSqlComponent's `sql_template`, which the component renders later with its own
    variables). `Resolver.default()` also sets the flag but renders inside its function, so it
    counts as templated. A custom function may render too: the server then only skips
    unknown-name checks there, which can hide a mistake but never invents one.
    """
    try:
        from dagster.components.resolved.model import Resolver, _default_fn
        from dagster.components.utils.translation import TranslationFnResolver
    except ImportError:
        return []
    try:
        return sorted(
            {
                field.path
                for field in resolvable_fields(cls)
                for item in field.parts
                if isinstance(item, Resolver)
                and not isinstance(item, TranslationFnResolver)
                and not item.inject_before_resolve
                and getattr(item.fn, "callable", None) is not _default_fn.callable
            }
        )
    except Exception:
        return []


def deprecated_fields(cls: type) -> dict[str, str]:
    """Dotted YAML paths of the fields the component's code deprecates, each with the code's own words.

    Read from what the code declares, never from a list of ours: a pydantic field's `deprecated=`,
    a `@deprecated_param` on the class, and a field `Resolver` whose function calls
    `deprecation_warning` (dagster-sling's `sling`, whose resolver warns "The `sling` field is
    deprecated, use `connections` instead. ..."). An empty text means deprecated, reason unknown.
    """
    try:
        from dagster.components.resolved.base import _get_annotations  # noqa: F401 - the walk reads with it
        from dagster.components.resolved.model import Resolver
    except ImportError:
        return {}
    found: dict[str, str] = {}
    params: dict[type, dict[str, str]] = {}
    try:
        # A nested type Dagster cannot read is left out: the others' fields still count.
        for field in resolvable_fields(cls, unreadable="skip"):
            resolver = next((p for p in field.parts if isinstance(p, Resolver)), None)
            reason = _field_deprecation(field.info.field_info) if field.info.field_info is not None else None
            if reason is None:
                if field.owner not in params:
                    params[field.owner] = _deprecated_params(field.owner)
                reason = params[field.owner].get(field.name)
            if reason is None and resolver is not None:
                reason = _warning_text(getattr(resolver.fn, "callable", resolver.fn))
            if reason is not None:
                found[field.yaml_path] = reason
    except Exception:
        return {}
    return found


def declared_str_fields(cls: type) -> list[str]:
    """Dotted YAML paths of the fields whose own model type takes a plain string besides other shapes
    (FunctionComponent's `execution: FunctionSpec | <a callable's "module.fn">`). Their schema's
    `{"type": "string"}` alternative looks like the `| str` Dagster adds to every non-str field for
    templates, which the server leaves out when it judges a plain value: registry marks these."""
    try:
        from dagster.components.resolved.base import _get_annotations, _get_resolver  # noqa: F401
    except ImportError:
        return []
    try:
        return sorted(
            {
                field.yaml_path
                for field in resolvable_fields(cls, unreadable="raise")
                if str
                in _union_members(_get_resolver(field.annotation, field.name).model_field_type or field.annotation)
            }
        )
    except Exception:  # a type Dagster cannot read: its schema stays as it is
        return []


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
        return {
            name: " ".join(filter(None, [f"It will be removed in {info.breaking_version}.", info.additional_warn_text]))
            for name, info in get_deprecated_params(owner).items()
        }
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
        from dagster.components.resolved.model import ParentFn, Resolver, _default_fn
        from dagster.components.utils.translation import TranslationFnResolver
    except ImportError:
        return {}
    found: dict[str, str] = {}
    try:
        for field in resolvable_fields(cls):
            for item in field.parts:
                if isinstance(item, TranslationFnResolver):
                    known = KNOWN_TRANSLATION_VARS.get(typename, {})
                    if _probe_translation_resolver(item) is None and field.path not in known:
                        found[field.path] = "all"
                elif isinstance(item, Resolver):
                    fn = item.fn
                    if isinstance(fn, ParentFn):
                        found[field.path] = "all"
                    elif (
                        item.inject_before_resolve
                        and getattr(fn, "callable", None) is not _default_fn.callable
                        and not _from_dagster(getattr(fn, "callable", None))
                    ):
                        found.setdefault(field.path, "inside")
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
            walk(defs.get(ref[len("#/$defs/") :]), path, seen | {ref})
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
    if fn is None or code is None or not fn.__closure__:
        return None
    cells = dict(zip(code.co_freevars, (cell.cell_contents for cell in fn.__closure__)))
    vars_fn = cells.get("template_vars_for_translation_fn")
    if not callable(vars_fn):
        return None
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
