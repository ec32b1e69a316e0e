"""Component schemas: walking them through $ref/anyOf, and validating values the way a user means them."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

from . import patterns
from .positions import KeyPath

UNKNOWN, MISSING, INVALID = "unknown", "missing", "invalid"
MAX_ALTERNATIVE_DEPTH = 32
"""How deep anyOf/oneOf may nest through $refs before a walker stops (a recursive schema never ends)."""

# Dagster fills unset non-primitive defaults with this sentinel; never show it to users.
UNSET_DEFAULT = "__DAGSTER_UNSET_DEFAULT__"


@dataclass(frozen=True)
class SchemaError:
    """One problem in an instance, at a key path relative to the validated value."""

    kind: str
    path: KeyPath
    message: str
    key: Optional[str] = None
    """The unknown or missing key (its parent is at `path`)."""
    allowed: tuple[str, ...] = field(default=())
    """Keys or values that would have been accepted, for suggestions."""
    branch: Optional[str] = None
    """The union alternative the value was judged as, when no tag of the value chose it (the closest one)."""


# A jsonschema keyword function: (validator, the keyword's value, instance, schema) -> its errors.
Keyword = Callable[[Any, Any, Any, Any], Iterator[Any]]


def is_template(value: Any) -> bool:
    """A string Dagster renders with Jinja: its type is only known after rendering."""
    return isinstance(value, str) and "{{" in value


def deref(root: dict[str, Any], schema: Any) -> Any:
    """Follow local `#/$defs/...` references (Dagster's schemas use no others)."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            return schema
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
        schema, seen = target, seen + 1
    return schema


def branches(root: dict[str, Any], schema: Any, instance: Any = None) -> list[dict[str, Any]]:
    """The alternatives of a schema, with Dagster's injected `| str` branch removed.

    Dagster adds `| str` to every non-`str` field so that `{{ }}` templates fit anywhere. A bare
    `{"type": "string"}` alternative that is not the first one is that injection; a plain value
    without `{{` is checked against the real alternatives. (A user-written `int | str` looks the
    same and is read as `int`: the cost of catching `compute_size: xlarge`.)
    """
    return _branches(root, schema, instance, ())


def _branches(root: dict[str, Any], schema: Any, instance: Any, outer: tuple[int, ...]) -> list[dict[str, Any]]:
    # `outer`: the alternatives being expanded around this one; meeting one again is a recursive
    # `$ref` (`Loop = Loop | int`), which adds nothing.
    schema = deref(root, schema)
    if not isinstance(schema, dict) or id(schema) in outer or len(outer) >= MAX_ALTERNATIVE_DEPTH:
        return []
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if not alternatives or not isinstance(alternatives, list):
        return [schema]
    kept = [
        alt
        for i, alt in enumerate(alternatives)
        if not (i > 0 and deref(root, alt) == {"type": "string"} and not is_template(instance))
    ]
    out: list[dict[str, Any]] = []
    for alt in kept:
        out.extend(_branches(root, alt, instance, (*outer, id(schema))))
    return out


def object_properties(root: dict[str, Any], schema: Any) -> dict[str, Any]:
    """Every property an object schema (or any of its object alternatives) allows."""
    props: dict[str, Any] = {}
    for alt in branches(root, schema):
        if isinstance(alt.get("properties"), dict):
            for name, sub in alt["properties"].items():
                props.setdefault(name, sub)
    return props


def schema_at(root: dict[str, Any], path: KeyPath) -> list[dict[str, Any]]:
    """The schema alternatives that apply at a key path (through $ref, anyOf, items, additionalProperties)."""
    current = [root]
    for part in path:
        current = step(root, current, part)
    return current


def step(root: dict[str, Any], current: list[dict[str, Any]], part: str | int) -> list[dict[str, Any]]:
    """The schemas one key or list index below `current` (one step of `schema_at`)."""
    nxt: list[dict[str, Any]] = []
    for schema in current:
        for alt in branches(root, schema):
            if isinstance(part, int):
                items = alt.get("items")
                if isinstance(items, dict):
                    nxt.append(items)
                elif isinstance(alt.get("prefixItems"), list) and part < len(alt["prefixItems"]):
                    nxt.append(alt["prefixItems"][part])
            else:
                props = alt.get("properties") or {}
                if part in props:
                    nxt.append(props[part])
                elif isinstance(alt.get("additionalProperties"), dict):
                    nxt.append(alt["additionalProperties"])
    return nxt


def deprecation(root: dict[str, Any], alternatives: list[dict[str, Any]]) -> Optional[str]:
    """Why a field is deprecated ("" when its schema gives no reason), or None when it is not.

    pydantic writes `deprecated: true` for `Field(deprecated=...)`; the worker adds the reason as
    `deprecationMessage` (VS Code's keyword) from the component's code.
    """
    for schema in alternatives:
        for candidate in (schema, deref(root, schema)):
            if isinstance(candidate, dict) and (
                candidate.get("deprecated") is True or "deprecationMessage" in candidate
            ):
                message = candidate.get("deprecationMessage")
                return message if isinstance(message, str) else ""
    return None


def validate(schema: dict[str, Any], instance: Any) -> list[SchemaError]:
    """Every problem in `instance`, one per offending key or value, sorted by path."""
    validator = _validator_for(json.dumps(schema, sort_keys=True))
    errors = [t for e in validator.iter_errors(instance) for t in _translate(validator.schema, e)]
    unique = {(e.kind, e.path, e.key, e.message): e for e in errors}
    return sorted(unique.values(), key=lambda e: (tuple(str(p) for p in e.path), e.key or ""))


def _translate(root: dict[str, Any], error: Any, branch: Optional[str] = None) -> list[SchemaError]:
    if error.validator == _CLOSEST and error.context:
        # The errors of the alternative a union's value was judged as (see `_one_object_of`).
        name = def_name(root, error.schema) or error.schema.get("title")
        return [t for sub in error.context for t in _translate(root, sub, name)]
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        key = path[-1]
        allowed = tuple(sorted((error.schema or {}).get("properties", {}) if isinstance(error.schema, dict) else ()))
        return [SchemaError(UNKNOWN, path[:-1], error.message, key=str(key), allowed=allowed, branch=branch)]
    if error.validator == "required":
        key = error.message.split("'")[1] if "'" in error.message else error.message
        return [SchemaError(MISSING, path, error.message, key=key, branch=branch)]
    allowed = tuple(str(v) for v in error.validator_value) if error.validator == "enum" else ()
    return [SchemaError(INVALID, path, error.message, allowed=allowed, branch=branch)]


@functools.lru_cache(maxsize=256)
def _validator_for(schema_json: str) -> Any:
    # Keyed by the schema's text: a registry refresh with an unchanged schema reuses the validator.
    import jsonschema  # on first use: the server starts 0.1 s sooner, and most requests never validate
    from jsonschema import Draft202012Validator

    root = _without_recursion_in_place(json.loads(schema_json))

    # Keyword functions see the current sub-schema as `validator.schema`; $refs need the root.
    def bound(check: Callable[..., Iterator[Any]]) -> Keyword:
        return _skip_templates(functools.partial(check, root))

    cls = jsonschema.validators.extend(
        Draft202012Validator,
        validators={
            **{name: _skip_templates(check) for name, check in Draft202012Validator.VALIDATORS.items()},
            "anyOf": bound(_any_of),
            "oneOf": bound(_any_of),
            "additionalProperties": _skip_templates(_additional_properties),
            "type": _skip_templates(_type_message),
            # jsonschema runs these with Python's `re`: ours run patterns in linear time.
            "pattern": _skip_templates(_pattern),
            "patternProperties": _skip_templates(_pattern_properties),
            # Its only other use of `re` (patternProperties seen through unevaluatedProperties); pydantic
            # and Dagster never write the keyword, so it is not judged rather than judged slowly.
            "unevaluatedProperties": lambda validator, value, instance, schema: iter(()),
        },
    )
    return cls(root)


_IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
_IN_PLACE_ONE = ("not", "if", "then", "else")


def _without_recursion_in_place(root: dict[str, Any]) -> dict[str, Any]:
    """The schema with every `$ref` that leads back to itself without entering the value (`A = A | int`,
    `A = {$ref: A}`) cut: jsonschema would recurse until the stack overflows. An alternative that is
    such a reference is dropped; elsewhere it becomes `{}` (anything). Refs through properties or
    items (`Tree.kids: list[Tree]`) stay: each step enters the value, which is bounded."""

    def refs_in_place(schema: Any) -> list[str]:
        found, stack = [], [schema]
        while stack:
            node = stack.pop()
            if not isinstance(node, dict):
                continue
            if isinstance(node.get("$ref"), str):
                found.append(node["$ref"])
            stack.extend(sub for key in _IN_PLACE_LISTS if isinstance(node.get(key), list) for sub in node[key])
            stack.extend(node[key] for key in _IN_PLACE_ONE if key in node)
        return found

    def reachable(ref: str) -> set[str]:
        seen: set[str] = set()
        stack = [ref]
        while stack:
            for nxt in refs_in_place(_resolve_one(root, stack.pop())):  # one hop at a time: A -> B -> A marks both
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    every = {
        ref for schema in _all_schemas(root) if isinstance(ref := schema.get("$ref"), str) and ref.startswith("#/")
    }
    cyclic = {ref for ref in every if ref in reachable(ref)}
    if not cyclic:
        return root
    for ref in cyclic:
        _cut_in_place(_resolve_one(root, ref), cyclic)
    return root


def _resolve_one(root: dict[str, Any], ref: str) -> Any:
    target: Any = root
    for part in ref[2:].split("/"):
        target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
    return target


def _cut_in_place(schema: Any, cyclic: set[str]) -> None:
    stack = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if node.get("$ref") in cyclic:
            del node["$ref"]  # `{}` what is left: anything
        for key in _IN_PLACE_LISTS:
            if isinstance(node.get(key), list):
                if key != "allOf":
                    node[key] = [alt for alt in node[key] if not (isinstance(alt, dict) and alt.get("$ref") in cyclic)]
                stack.extend(node[key])
        stack.extend(node[key] for key in _IN_PLACE_ONE if key in node)


def _all_schemas(root: dict[str, Any]) -> list[dict[str, Any]]:
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            out.append(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return out


def _pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if (
        validator.is_type(instance, "string")
        and isinstance(pattern, str)
        and patterns.search(pattern, instance) is False
    ):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, pattern_properties: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        for key, value in instance.items():
            if patterns.search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _matches_a_pattern(key: str, schema: dict[str, Any]) -> bool:
    """Whether `patternProperties` covers the key; a pattern RE2 cannot run covers every key (judges nothing)."""
    return any(patterns.search(p, key) is not False for p in schema.get("patternProperties", {}))


def _skip_templates(check: Keyword) -> Keyword:
    @functools.wraps(check)
    def wrapper(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if is_template(instance):
            return
        yield from check(validator, value, instance, schema)

    return wrapper


def _any_of(root: dict[str, Any], validator: Any, alternatives: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match

    candidates = branches(root, {"anyOf": alternatives}, instance)
    if not candidates:
        return
    matching = [alt for alt in candidates if _type_fits(root, alt, instance)]
    if len(matching) > 1 and isinstance(instance, dict):
        yield from _one_object_of(root, validator, matching, instance)
        return
    if len(matching) == 1:
        # One alternative fits the value's JSON type: report its own, precise errors.
        yield from validator.descend(instance, matching[0])
        return
    pool = matching or candidates
    errors = []
    for alt in pool:
        found = list(validator.descend(instance, alt))
        if not found:
            return
        errors.extend(found)
    if not matching:
        expected = sorted({t for alt in candidates for t in _types_of(root, alt)})
        if expected:
            yield ValidationError(f"{_show(instance)} is not {_describe_types(expected)}")
            return
    best = best_match(errors)
    if best is not None:
        yield best


# The validator name of the error that carries, as its `context`, the errors of the alternative a
# union's mapping was judged as; `_translate` unwraps it.
_CLOSEST = "closest-alternative"


def _one_object_of(
    root: dict[str, Any], validator: Any, alternatives: list[dict[str, Any]], instance: dict[str, Any]
) -> Iterator[Any]:
    """A mapping judged by the one object alternative meant for it, never by a mix of all of them.

    A tag the alternatives tell apart by (`type: daily` against each one's `const`) chooses the
    alternative, or is itself the error when it names none. Without a tag, the closest alternative
    (most shared keys, then fewest errors, then first) is named and its errors are reported.
    """
    from jsonschema import ValidationError

    tagged = _tagged(root, alternatives, instance)
    if tagged is not None:
        key, chosen = tagged
        if not chosen:
            tags = [_tag_of(root, alt, key) for alt in alternatives]
            error = ValidationError(f"{instance[key]!r} is not one of {tags!r}", validator="enum", validator_value=tags)
            error.relative_path.appendleft(key)
            yield error
            return
        if len(chosen) == 1:
            yield from validator.descend(instance, chosen[0])
            return
        alternatives = chosen
    judged = []
    for alt in _closest_objects(root, alternatives, instance):
        errors = list(validator.descend(instance, alt))
        if not errors:
            return
        judged.append((len(errors), alt, errors))
    _, alt, errors = min(judged, key=lambda j: j[0])  # min keeps the first of equals: the union's order
    yield ValidationError(f"{_show(instance)} fits no alternative", validator=_CLOSEST, context=errors, schema=alt)


def _closest_objects(
    root: dict[str, Any], alternatives: list[dict[str, Any]], instance: dict[str, Any]
) -> list[dict[str, Any]]:
    """The object alternatives that share the most keys with the value (its intended shape)."""

    def shared(alt: dict[str, Any]) -> int:
        return len(set(instance) & set(object_properties(root, alt)))

    best = max(shared(alt) for alt in alternatives)
    return [alt for alt in alternatives if shared(alt) == best]


def _tagged(
    root: dict[str, Any], alternatives: list[dict[str, Any]], instance: dict[str, Any]
) -> Optional[tuple[str, list[dict[str, Any]]]]:
    """(tag key, the alternatives whose tag the value has) when every alternative fixes that key to a constant."""
    for key, value in instance.items():
        if is_template(value) or isinstance(value, (dict, list)):
            continue
        tags = [_tag_of(root, alt, key) for alt in alternatives]
        if all(tag is not None for tag in tags) and len(set(map(repr, tags))) == len(tags):
            return key, [alt for alt, tag in zip(alternatives, tags) if tag == value and type(tag) is type(value)]
    return None


def _tag_of(root: dict[str, Any], alternative: dict[str, Any], key: str) -> Any:
    """The constant an object alternative requires at a key (`const`, or a one-member `enum`), else None."""
    prop = deref(root, (alternative.get("properties") or {}).get(key))
    if not isinstance(prop, dict):
        return None
    if "const" in prop:
        return prop["const"]
    enum = prop.get("enum")
    return enum[0] if isinstance(enum, list) and len(enum) == 1 else None


def _additional_properties(validator: Any, allowed: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if not validator.is_type(instance, "object") or allowed is True or allowed == {}:
        return
    known = set(schema.get("properties", {}))
    for key in instance:
        if key in known or _matches_a_pattern(key, schema):
            continue
        if allowed is not False:
            yield from validator.descend(instance[key], allowed, path=key)
            continue
        error = ValidationError(f"'{key}' is not allowed here")
        error.relative_path.appendleft(key)
        yield error


def _type_fits(root: dict[str, Any], schema: dict[str, Any], instance: Any) -> bool:
    types = _types_of(root, schema)
    return not types or _json_type(instance) in types or (_json_type(instance) == "integer" and "number" in types)


def _types_of(root: dict[str, Any], schema: Any) -> set[str]:
    schema = deref(root, schema)
    if not isinstance(schema, dict):
        return set()
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return set(declared)
    for key in ("enum", "const"):
        if key in schema:
            values = schema[key] if key == "enum" else [schema[key]]
            return {_json_type(v) for v in values}
    if "properties" in schema or "additionalProperties" in schema:
        return {"object"}
    if "items" in schema:
        return {"array"}
    nested = schema.get("anyOf") or schema.get("oneOf")
    if nested:
        out: set[str] = set()
        for alt in nested:
            sub = _types_of(root, alt)
            if not sub:
                return set()
            out |= sub
        return out
    return set()


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def _describe_types(types: list[str]) -> str:
    words = [_TYPE_WORDS.get(t, t) for t in types if t != "null"] or ["null"]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, (dict, list)) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_message(validator: Any, types: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if not any(validator.is_type(instance, t) for t in ([types] if isinstance(types, str) else types)):
        expected = [types] if isinstance(types, str) else list(types)
        yield ValidationError(f"{_show(instance)} is not {_describe_types(expected)}")


# --- readable types and values (hover and completion) -----------------------------------------

_PY_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}


def type_label(root: dict[str, Any], schema: Any, depth: int = 0) -> str:
    """A schema as a readable type: `list[str] | None`, `'small' | 'medium'`, `int (5..1440)`, `AssetSpecUpdateKwargs`.

    Dagster's injected `| str` is left out (see `accepts_templates`).
    """
    if depth > 4:
        return "..."
    labels: list[str] = []
    for alt in branches(root, schema):
        for label in _alternative_labels(root, alt, depth):
            if label not in labels:
                labels.append(label)
    if "None" in labels:
        labels = [label for label in labels if label != "None"] + ["None"]
    return " | ".join(labels) or "Any"


def accepts_templates(root: dict[str, Any], schema: Any) -> bool:
    """True when Dagster added `| str` to a field that is not a plain string: `{{ }}` fits where values do not."""
    everything = branches(root, schema, "{{ }}")
    kept = branches(root, schema)
    plain_string = any(alt.get("type") == "string" and "enum" not in alt and "const" not in alt for alt in kept)
    return len(everything) > len(kept) and not plain_string


def _alternative_labels(root: dict[str, Any], alt: dict[str, Any], depth: int) -> list[str]:
    if "enum" in alt and isinstance(alt["enum"], list):
        return [_literal(v) for v in alt["enum"]]
    if "const" in alt:
        return [_literal(alt["const"])]
    declared = alt.get("type")
    kinds = declared if isinstance(declared, list) else [declared] if isinstance(declared, str) else []
    if not kinds:
        if "properties" in alt or "additionalProperties" in alt:
            kinds = ["object"]
        elif "items" in alt or "prefixItems" in alt:
            kinds = ["array"]
        else:
            return ["Any"]
    return [_kind_label(root, alt, kind, depth) for kind in kinds]


def _kind_label(root: dict[str, Any], alt: dict[str, Any], kind: Any, depth: int) -> str:
    if kind in ("integer", "number"):
        return _PY_TYPES[kind] + _bounds(alt)
    if kind == "array":
        if isinstance(alt.get("prefixItems"), list):
            return "tuple[" + ", ".join(type_label(root, item, depth + 1) for item in alt["prefixItems"]) + "]"
        items = alt.get("items")
        return f"list[{type_label(root, items, depth + 1)}]" if isinstance(items, dict) else "list"
    if kind == "object":
        name = def_name(root, alt)
        if name is not None:
            return name
        if alt.get("properties"):
            return re.sub(r"\W", "", str(alt.get("title") or "")) or "dict"
        extra = alt.get("additionalProperties")
        return f"dict[str, {type_label(root, extra, depth + 1)}]" if isinstance(extra, dict) else "dict[str, Any]"
    return _PY_TYPES.get(kind, str(kind))


def def_name(root: dict[str, Any], alt: dict[str, Any]) -> Optional[str]:
    """The $defs name of a (dereferenced) schema, without pydantic's `Model` suffix."""
    for container in ("$defs", "definitions"):
        defs: dict[str, Any] = root.get(container) or {}
        for name, schema in defs.items():
            if schema is alt:
                return name[: -len("Model")] if name.endswith("Model") and name != "Model" else name
    return None


def _bounds(alt: dict[str, Any]) -> str:
    low, high = alt.get("minimum"), alt.get("maximum")
    if low is not None and high is not None:
        return f" ({_number(low)}..{_number(high)})"
    limits = []
    for word, symbol in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if isinstance(alt.get(word), (int, float)) and not isinstance(alt.get(word), bool):
            limits.append(f"{symbol} {_number(alt[word])}")
    return f" ({', '.join(limits)})" if limits else ""


def _number(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def _literal(value: Any) -> str:
    return repr(value) if isinstance(value, (str, int, float, bool)) or value is None else inline_yaml(value)


def inline_yaml(value: Any) -> str:
    """A value on one line as YAML spells it: `60`, `true`, `null`, `fqn:*`, `''`, `[a, b]`, `{a: 1}`.

    Multi-line strings are written JSON-quoted (valid YAML); keys keep the author's order.
    """
    if isinstance(value, str) and "\n" in value:
        return json.dumps(value)
    try:
        text = yaml.safe_dump(value, default_flow_style=True, width=math.inf, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:
        return str(value)
    text = text.strip()
    return text[: -len("\n...")] if text.endswith("\n...") else text  # a lone scalar ends with `...`


def block_yaml(value: Any) -> str:
    try:
        return yaml.safe_dump(value, default_flow_style=False, sort_keys=False, allow_unicode=True).rstrip()
    except yaml.YAMLError:
        return str(value)
