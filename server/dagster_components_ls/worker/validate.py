"""Builds the `validate` result: each document's attributes checked by its component's own model."""

# Dagster's loader checks attributes in two steps, and so do we, minus everything after them:
#   1. `TypeAdapter(cls.get_model_cls()).validate_python(attributes)`: the derived model, where every
#      non-str field also accepts a string (for templates), so it mostly checks shapes and names;
#   2. `cls.load(model, context)`: renders templates, runs the Resolvers, then `cls(**fields)`, the
#      class's own pydantic validation (enum and Literal members, constraints, field and model
#      validators such as acme_platform.ResearchJob's asset_key rule).
# `build_defs` is never called, so nothing reads files or the network on the user's behalf; a
# resolver that does (dbt's project) raises something other than a ValidationError, and the document
# is reported `skipped` with the reason instead of getting an error. One resolver failure is an
# error all the same: a Python reference written in the YAML (`execution: my_module.fn`, read by
# FunctionComponent's resolver) whose module or attribute does not exist. The worker runs in the
# project's interpreter, so Dagster's load fails on it the same way; the error is placed at the
# string that names it. A module that exists but fails to import (a package it needs, a variable it
# reads) names something else and stays `skipped`.
#
# Templates are never rendered. Every string holding `{{`, `{%` or `{#` (and every mapping key holding
# one) is left out before step 1, and no error is kept on a key path that touches a left-out value:
# the value itself, anything inside it, an object containing it (a model validator on that
# object, a `missing` for a required field, a list's length), or a key of a nested object that
# contained one (a union of models reports every branch's missing keys). That may hide a real error next to a
# template (a model validator of the same object), never invent one. A required field that is only
# templated makes step 1 report `missing`: it gets a plain placeholder string instead (every non-str
# field of the derived model accepts a string), which step 2 resolves as plain text; if a resolver
# fails on it, step 2 runs again with the field marked unset on the model instance, which the loader
# treats as not given. Templated list items are removed and the others' indices mapped back.

import importlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import adapter
import adapter_validate
import protocol
import registry

TEMPLATE_MARKERS = ("{{", "{%", "{#")
PLACEHOLDER = "dagster-components-ls: templated"
MAX_REASON = 500
# Prefixes pydantic puts before the message of a ValueError / AssertionError raised in a validator.
MESSAGE_PREFIXES = ("Value error, ", "Assertion failed, ")
# Union members pydantic names in `loc` ("constrained-int", "list[str]", "ObservabilityModel", "str").
_BASIC_TAGS = {"str", "int", "float", "bool", "bytes", "none", "list", "dict", "tuple", "set", "any"}
_INJECTED_STR = "str"  # the `| str` branch derive_model_type adds to every non-str field

KeyPath = tuple  # ("attributes", "observability", "sla_minutes"), as in the YAML
# A dotted Python reference as a resolver reads one: `pkg.module.fn`, or `.module.fn` (relative to
# the project's defs module).
_REFERENCE = re.compile(r"^(\.)?([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$")


class Skipped(Exception):
    """The document cannot be validated without the file system, environment or rendering."""


class ValidateAnswer(TypedDict):
    """The validate call's answer from its child: each document's result, and the installed modules imported."""

    results: list[protocol.ValidatedDocument]
    modules: list[str]


def validate_documents(
    project_root: str | None, documents: list[dict[str, Any]], step: Callable[..., None] = lambda doing, name=None: None
) -> ValidateAnswer:
    """Every document's result, each validated as one watched step (`step` names its position in
    `documents`, so a document that hangs or ends the process can be left out of a retry), and the
    installed modules the documents imported (`modules`), for the worker to keep for the next call."""
    before = set(sys.modules)
    project = None
    if project_root:
        try:
            project = registry.read_project(Path(project_root))
        except Exception:  # a broken pyproject.toml: the registry reports it; import what we can
            project = None
        if project is not None:
            registry.make_importable(project)  # the project need not be installed, as for `registry`
    defs = (project.defs_module, str(project.defs_dir)) if project is not None else None
    results = []
    for position, document in enumerate(documents):
        step(f"validating document {document.get('index')} ({document.get('type')})", str(position))
        results.append(validate_document(document, project_root, defs))
    own = project.root_module.split(".")[0] if project is not None else None
    return {"results": results, "modules": adapter.installed_since(before, own)}


def validate_document(
    document: dict[str, Any], project_root: str | None, defs: tuple[str, str] | None = None
) -> protocol.ValidatedDocument:
    """One document's result; whatever user code raises (SystemExit included) stays in it.

    `defs`: the project's defs module and its folder, when the project is known.
    """
    typename: str = document["type"]  # the worker's handler checked it is there
    folder = os.path.abspath(document.get("folder") or ".")
    result: protocol.ValidatedDocument = {
        "index": document.get("index"),
        "type": typename,
        "errors": [],
        "skipped": None,
    }
    try:
        result["errors"] = _validate(typename, document.get("attributes"), folder, project_root, defs)
    except Skipped as e:
        result["skipped"] = str(e)
    except BaseException as e:
        result["skipped"] = _describe(e)
    return result


def _validate(
    typename: Any, attributes: Any, folder: str, project_root: str | None, defs: tuple[str, str] | None = None
) -> list[protocol.ValidateError]:
    cls = _import_component(typename)
    if isinstance(attributes, str) and _is_templated(attributes):
        raise Skipped("`attributes` is a template")
    if attributes is not None and not isinstance(attributes, dict):
        raise Skipped("`attributes` is not a mapping")
    model = adapter_validate.attributes_model(cls)
    if not attributes or model is None:  # the loader then calls `load(None)`, which builds `cls()`
        return _load(cls, None, folder, project_root, _Templates.of({}), defs)
    if not adapter_validate.accepts_attributes(model):
        return [
            {
                "path": ["attributes"],
                "kind": "not_resolvable",
                "message": "The component takes no attributes (it is not Resolvable from YAML)",
            }
        ]
    templates = _Templates.of(attributes)
    instance, raw = adapter_validate.validate_attributes(model, templates.value)
    if raw is None:
        return _load(cls, instance, folder, project_root, templates, defs)
    errors = _errors(raw, ("attributes",), templates)
    if errors:
        return errors  # the loader stops here too
    return _load_around_required_templates(cls, model, raw, folder, project_root, templates, defs)


def _load_around_required_templates(
    cls: type,
    model: type,
    raw: adapter_validate.PydanticErrors,
    folder: str,
    project_root: str | None,
    templates: "_Templates",
    defs: tuple[str, str] | None,
) -> list[protocol.ValidateError]:
    """Steps 1 and 2 again, with a placeholder in each required field that only a template left empty.

    First with the placeholder passed on (resolvers see a plain string, and a dataclass component
    gets all its arguments), then, if that breaks a resolver, with those fields unset (a pydantic
    component then reports them `missing`, which is dropped).
    """
    missing = [
        ("attributes", *_walk(tuple(e["loc"]), templates.value, "missing")[0]) for e in raw if e["type"] == "missing"
    ]
    filled = [path for path in missing if templates.original(path) in templates.paths]
    if not filled:  # e.g. a plain pydantic model's validator on an object that held a template
        raise Skipped("validating around the templated values failed")
    value = templates.with_placeholders([path[1:] for path in filled])
    where = ", ".join(_dotted(templates.original(path)) for path in filled)
    try:
        return _load(cls, _validated(model, value, where), folder, project_root, templates, defs)
    except Skipped as first:
        instance = _validated(model, value, where)
        if not all(_leave_unset(instance, path[1:]) for path in filled):
            raise first from None
        try:
            return _load(cls, instance, folder, project_root, templates, defs)
        except Skipped:
            raise Skipped(f"{first} (with a placeholder for the templated {where})") from None


def _validated(model: type, value: dict[str, Any], where: str) -> Any:
    try:
        instance, errors = adapter_validate.validate_attributes(model, value)
    except Exception as e:  # e.g. a constraint on a required templated int field: TypeError
        raise Skipped(f"the templated {where} cannot be left out: {_describe(e)}") from None
    if errors is not None:
        raise Skipped(f"the templated {where} cannot be left out")
    return instance


def _dotted(path: KeyPath) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))


def _load(
    cls: type,
    instance: Any,
    folder: str,
    project_root: str | None,
    templates: "_Templates",
    defs: tuple[str, str] | None = None,
) -> list[protocol.ValidateError]:
    if adapter_validate.loads_other_components(cls):
        return []  # DefsFolderComponent's load is the whole folder's: other documents, not this one
    try:
        found = adapter_validate.load_component(cls, instance, folder, project_root, defs)
    except BaseException as e:  # a resolver or validator needing more than the YAML (or exiting): not ours
        raised = adapter_validate.raising_validator(cls, e)
        if raised is not None:  # ...unless the class's own validator raised it: a bug to show at its field
            name, path = raised
            return [
                {
                    "path": [*path],
                    "kind": "validator_raised",
                    "message": f"The validator '{name}' raised {_describe(_innermost(e))}",
                }
            ]
        unimportable = _unimportable(e, templates, _module_bases(folder, defs))
        if unimportable:  # ...nor is a Python reference in the YAML that does not import
            return unimportable
        raise Skipped(f"building the component failed: {_describe(_innermost(e))}") from None
    if found is None:
        return []
    path, raw = found
    return _errors(raw, tuple(path), templates)


def _unimportable(e: BaseException, templates: "_Templates", bases: tuple[str, ...]) -> list[protocol.ValidateError]:
    """Errors at each string (under the field Dagster was resolving) naming a module or attribute
    that the resolver failed to import; [] when the failure was something else."""
    path, names = adapter_validate.unimportable_names(e)
    if not names:
        return []
    errors: list[protocol.ValidateError] = []
    for at, value in _strings_under(templates.at(tuple(path)), tuple(path)):
        found = next((n for n in names if _names(value, n, bases)), None)
        full = templates.original(at)
        if found is None or templates.touches(full):
            continue
        errors.append(
            {
                "path": list(full),
                "kind": "unimportable",
                "message": f"'{value.strip()}' cannot be imported: {found.message}",
            }
        )
    return errors


def _names(value: str, name: "adapter_validate.Unimportable", bases: tuple[str, ...]) -> bool:
    """True when the reference `value` names the module (or attribute) that did not import, or a
    package above it: `nosuch.fn` names `nosuch`; `.ops.fn` names `<defs module>.ops`."""
    match = _REFERENCE.match(value.strip())
    if match is None:
        return False
    relative, dotted = bool(match.group(1)), match.group(2)
    if not relative and "." not in dotted:
        return False  # a bare word (`pandas` in a list of kinds) is no reference
    missing = name.module if name.attribute is None else f"{name.module}.{name.attribute}"
    parts = dotted.split(".")
    for end in range(1, len(parts) + 1):
        prefix = ".".join(parts[:end])
        if any(missing == f"{base}.{prefix}" for base in bases) if relative else missing == prefix:
            return True
    return False


def _module_bases(folder: str, defs: tuple[str, str] | None) -> tuple[str, ...]:
    """What a relative reference may be relative to: the defs module, and the document's folder's module
    (no project: none, so a relative reference is never judged)."""
    if defs is None:
        return ()
    module, defs_dir = defs
    try:
        parts = Path(folder).resolve().relative_to(Path(defs_dir).resolve()).parts
    except ValueError:
        return (module,)
    return tuple(dict.fromkeys((module, ".".join((module, *parts)))))


def _strings_under(value: Any, path: KeyPath) -> list[tuple[KeyPath, str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _strings_under(item, (*path, key))]
    if isinstance(value, list):
        return [found for i, item in enumerate(value) for found in _strings_under(item, (*path, i))]
    return []


def _import_component(typename: Any) -> type:
    module_name, _, attr = typename.rpartition(".") if isinstance(typename, str) else ("", "", "")
    if not module_name or not attr:
        raise Skipped(f"{typename!r} is not a `module.Class` type name")
    try:
        module = importlib.import_module(module_name)
    except BaseException as e:  # user code may raise anything, SystemExit included
        raise Skipped(f"importing '{module_name}' failed: {_describe(e)}") from None
    cls = getattr(module, attr, None)
    if not isinstance(cls, type) or not adapter.is_component_class(cls):
        raise Skipped(f"'{typename}' is not a component class")
    return cls


def _describe(e: BaseException) -> str:
    """`Type: first line of the message`: Dagster's messages go on with a traceback."""
    message = str(e).strip().split("\n", 1)[0]
    if len(message) > MAX_REASON:
        message = message[: MAX_REASON - 1] + "…"
    return f"{type(e).__name__}: {message}" if message else type(e).__name__


def _innermost(e: BaseException) -> BaseException:
    """The original exception under Dagster's wrappers (a ResolutionException carries a whole traceback)."""
    seen = {id(e)}
    while (inner := e.__cause__ or e.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        e = inner
    return e


def _leave_unset(instance: Any, path: tuple) -> bool:
    owner = instance
    for part in path[:-1]:
        try:
            owner = owner[part] if isinstance(part, int) else getattr(owner, part)
        except (AttributeError, IndexError, KeyError, TypeError):
            return False
    return adapter_validate.leave_unset(owner, path[-1])


# --- pydantic errors -> key paths ----------------------------------------------------------------


def _errors(
    raw: adapter_validate.PydanticErrors, prefix: KeyPath, templates: "_Templates"
) -> list[protocol.ValidateError]:
    """Errors with key paths as in the YAML, without union-branch noise or template-caused errors."""
    data = templates.at(prefix)
    mapped = []
    for error in _of_chosen_members(raw, data):
        loc = tuple(error["loc"])
        path, injected_str = _walk(loc, data, error["type"])
        full = templates.original((*prefix, *path))
        mapped.append((full, injected_str, error))
    kept: dict[KeyPath, protocol.ValidateError] = {}
    for full, injected_str, error in mapped:
        if templates.touches(full):
            continue
        # The `| str` branch of a union fails on every non-string value: noise beside the real branch.
        if injected_str and any(other[: len(full)] == full and not s for other, s, _ in mapped):
            continue
        message = _message(error["msg"])
        if full in kept:
            if message not in kept[full]["message"].split("; "):
                kept[full]["message"] += f"; {message}"
            continue
        kept[full] = {"path": list(full), "message": message, "kind": error["type"]}
        if error.get("suggestions"):
            kept[full]["suggestions"] = error["suggestions"]
    return list(kept.values())


def _walk(loc: tuple, data: Any, kind: str) -> tuple[KeyPath, bool]:
    """(key path, from the injected `str` branch) of a pydantic `loc`, read against the data it is about."""
    members = _member_positions(loc, data, kind)
    path = tuple(part for i, part in enumerate(loc) if i not in members)
    return path, bool(members) and members[-1] == len(loc) - 1 and loc[-1] == _INJECTED_STR


def _member_positions(loc: tuple, data: Any, kind: str) -> list[int]:
    """Where a `loc` names union members.

    A loc part that names no key or index of the data is a union member's name, except a `missing`
    key (always last) and, past the end of the data, anything not named like a type.
    """
    members = []
    current = data
    for i, part in enumerate(loc):
        if _has_child(current, part):
            current = current[part]
        elif _is_type_name(part) and not (i == len(loc) - 1 and kind == "missing"):
            members.append(i)
        else:
            current = None
    return members


def _of_chosen_members(raw: adapter_validate.PydanticErrors, data: Any) -> adapter_validate.PydanticErrors:
    """The errors of one member per union of models, the one the value is meant as.

    Pydantic tries every member of a union and reports all their errors: `type: daily` also gets
    "Input should be 'hourly'" from the hourly member. A key whose value every member rejects with
    `literal_error` is a tag no member has: those rejections are the one mistake. Otherwise the
    member with the fewest rejected literals (the tag fits), then the fewest errors, is meant.
    """
    kept = list(raw)
    for site in _union_sites(raw, data):
        by_member: dict[str, list[dict[str, Any]]] = {}
        for error in kept:
            loc = tuple(error["loc"])
            if loc[: len(site)] == site and len(loc) > len(site) and _is_model_member(loc[len(site)]):
                by_member.setdefault(loc[len(site)], []).append(error)
        if len(by_member) < 2:
            continue
        depth = len(site) + 1
        rejected = {
            m: {e["loc"][-1] for e in errors if _is_literal_rejection(e, depth)} for m, errors in by_member.items()
        }
        tags = set.intersection(*rejected.values())
        if tags:
            dropped = [
                e
                for errors in by_member.values()
                for e in errors
                if not (_is_literal_rejection(e, depth) and e["loc"][-1] in tags)
            ]
        else:
            chosen = min(by_member, key=lambda m: (len(rejected[m]), len(by_member[m])))  # ties: the union's order
            dropped = [e for m, errors in by_member.items() if m != chosen for e in errors]
        dropped_ids = {id(e) for e in dropped}
        kept = [e for e in kept if id(e) not in dropped_ids]
    return kept


def _union_sites(raw: adapter_validate.PydanticErrors, data: Any) -> list[tuple]:
    """The loc prefixes at which a union member is named, outermost first."""
    sites = {tuple(e["loc"])[:i] for e in raw for i in _member_positions(tuple(e["loc"]), data, e["type"])}
    return sorted(sites, key=len)


def _is_model_member(part: Any) -> bool:
    """A union member that is a model (`DailyPartitionsDefinitionModel`), not `str`, `list[str]` or `int`."""
    return isinstance(part, str) and part[:1].isupper() and "[" not in part


def _is_literal_rejection(error: dict[str, Any], depth: int) -> bool:
    """A `literal_error` on a key right under a union member (at `site + (member, key)`)."""
    return error["type"] == "literal_error" and len(error["loc"]) == depth + 1


def _has_child(value: Any, part: Any) -> bool:
    if isinstance(value, dict):
        return part in value
    return isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)


def _is_type_name(part: Any) -> bool:
    if not isinstance(part, str) or not part:
        return False
    return part in _BASIC_TAGS or "[" in part or "-" in part or part[0].isupper()


def _message(msg: str) -> str:
    for prefix in MESSAGE_PREFIXES:
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


# --- templated values ----------------------------------------------------------------------------


def _is_templated(value: Any) -> bool:
    return isinstance(value, str) and any(marker in value for marker in TEMPLATE_MARKERS)


@dataclass
class _Templates:
    """The attributes with every templated value left out, and how to map paths back to the YAML's."""

    value: dict[str, Any]
    paths: set[KeyPath] = field(default_factory=set)
    """Key paths (`("attributes", ...)`, in the YAML's indices) of the values left out."""
    kept_indices: dict[KeyPath, list[int]] = field(default_factory=dict)
    """For each list that lost items: the YAML index of each item kept."""

    @classmethod
    def of(cls, attributes: dict[str, Any]) -> "_Templates":
        templates = cls({})
        templates.value = templates._strip(attributes, ("attributes",))
        return templates

    def _strip(self, value: Any, path: KeyPath) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if _is_templated(key) or _is_templated(item):
                    self.paths.add((*path, key))
                else:
                    out[key] = self._strip(item, (*path, key))
            return out
        if isinstance(value, list):
            kept = []
            for i, item in enumerate(value):
                if _is_templated(item):
                    self.paths.add((*path, i))
                else:
                    kept.append(i)
            if len(kept) != len(value):
                self.kept_indices[path] = kept
            return [self._strip(value[i], (*path, i)) for i in kept]
        return value

    def original(self, path: KeyPath) -> KeyPath:
        """A path into the stripped value (from `attributes`) as a path into the YAML."""
        out: list[Any] = []
        for part in path:
            kept = self.kept_indices.get(tuple(out))
            if kept is not None and isinstance(part, int) and 0 <= part < len(kept):
                part = kept[part]
            out.append(part)
        return tuple(out)

    def touches(self, path: KeyPath) -> bool:
        """True when the path is a left-out value, inside one, an object that contained one, or a key
        of a nested object that contained one (a union of models, such as airbyte's `workspace`,
        reports every branch's missing keys when a templated value was left out of the right one)."""
        n, parent = len(path), path[:-1]
        return any(
            t[:n] == path or path[: len(t)] == t or (len(parent) > 1 and t[: len(parent)] == parent) for t in self.paths
        )

    def at(self, prefix: KeyPath) -> Any:
        """The stripped value at a path from the document root (`("attributes", ...)`)."""
        current: Any = {"attributes": self.value}
        for part in prefix:
            if not _has_child(current, part):
                return None
            current = current[part]
        return current

    def with_placeholders(self, paths: list[KeyPath]) -> dict[str, Any]:
        """A copy of the stripped value with PLACEHOLDER at each path (relative to `attributes`)."""
        value = _copy(self.value)
        for path in paths:
            owner = value
            for part in path[:-1]:
                owner = owner[part]
            owner[path[-1]] = PLACEHOLDER
        return value


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
