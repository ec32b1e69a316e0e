"""Attributes judged as Dagster's loader does: the model, `Component.load` in a load context, its errors."""

# Dagster is imported inside the functions, never at module level; the releases supported and the
# rule for renames are in adapter.py.

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import adapter_tree

# A pydantic error as the worker passes it on: {"type": "value_error", "loc": ("asset_key",),
# "msg": "Value error, asset_key 'raw/x' uses ..."}; `input` and `ctx` are left out (not JSON).
PydanticErrors = list[dict[str, Any]]


def attributes_model(cls: Any) -> type | None:  # a Component subclass
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


def load_component(
    cls: Any, instance: Any, folder: str, project_root: str | None, defs: tuple[str, str] | None = None
) -> tuple[list[Any], PydanticErrors] | None:
    """Builds the component from a validated model the way the loader does (`Component.load`).

    That runs the Resolvers and the class's own pydantic validation (enum and Literal members,
    field and model validators), which the JSON schema cannot express. Returns None when the
    component builds, or (key path of the failing object, its pydantic errors); any other exception
    (a resolver touching a missing file, a user validator raising TypeError) propagates.
    `build_defs` is never called.
    """
    try:
        cls.load(instance, load_context(folder, project_root, defs))
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
        cause = e.__cause__ or e.__context__
        if cause is None:
            return None
        e = cause
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


def load_context(folder: str, project_root: str | None, defs: tuple[str, str] | None = None) -> Any:
    """A ComponentLoadContext for a component in `folder`, outside any loaded component tree.

    Like `ComponentTree.for_test().load_context` (what `Component.from_attributes_dict` uses), but
    with the document's folder as `context.path`, so resolvers see relative paths as at load, and
    with the project's defs module (`defs`: its name and folder), so a relative Python reference
    (`execution: .ops.refresh`, resolved against `defs_module_name`) names what it names at load.
    """
    from pathlib import Path
    from unittest import mock

    from dagster.components.core.context import ComponentLoadContext

    TestComponentTree = getattr(adapter_tree.tree_module(), "TestComponentTree", None)
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
        decl_context = dataclasses.replace(  # type: ignore[type-var]  # an instance: is_dataclass() is also true of the class
            decl_context, defs_module_name=defs[0], defs_module_path=Path(defs[1])
        )
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
    names = {
        Unimportable(m.group(1), None, f"No module named '{m.group(1)}'") for m in _MISSING_MODULE.finditer(joined)
    }
    names |= {
        Unimportable(m.group(1), m.group(2), f"module '{m.group(1)}' has no attribute '{m.group(2)}'")
        for m in _MISSING_ATTRIBUTE.finditer(joined)
    }
    return path, sorted(names, key=lambda n: (n.module, n.attribute or ""))


def _resolution_path(tb: Any, context_cls: Any) -> list[Any]:
    path: list[Any] = ["attributes"]  # Component.load resolves at context.at_path("attributes")
    while tb is not None and context_cls is not None:
        context: Any = tb.tb_frame.f_locals.get("context")
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
    found = (
        ctx.get("suggestions")
        or ctx.get("suggestion")
        or getattr(raised, "suggestions", None)
        or getattr(raised, "suggestion", None)
    )
    items = found if isinstance(found, (list, tuple)) else [found]
    return [item for item in items if isinstance(item, str) and item]


def resolution_context_type() -> Any:  # Dagster's ResolutionContext class, or None
    try:
        from dagster.components.resolved.context import ResolutionContext
    except ImportError:
        return None
    return ResolutionContext
