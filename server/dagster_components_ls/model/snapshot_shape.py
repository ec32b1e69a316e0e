"""Whether a registry snapshot (from the disk cache or a worker) has the shape the server reads."""

# The shape is worker/protocol.py's registry result. Only what the server reads is checked, and only
# as far as it reads it: a cache file written by another version, truncated or edited by hand must be
# rebuilt, never half-used (a KeyError deep in a feature, a project stuck `loading`).

from collections.abc import Callable
from typing import Any, Optional


def snapshot_problem(snapshot: Any) -> Optional[str]:
    """What is wrong with the snapshot's shape, or None when the server can read all of it."""
    if not isinstance(snapshot, dict):
        return "not an object"
    types = snapshot.get("types")
    if not isinstance(types, list):
        return "`types` is not a list"
    for index, entry in enumerate(types):
        problem = _type_problem(entry)
        if problem:
            return f"types[{index}]: {problem}"
    for key in ("envelope_schema", "post_processing_schema", "template_scope", "module_errors", "python"):
        if not isinstance(snapshot.get(key), (dict, type(None))):
            return f"`{key}` is not an object"
    if not _optional_str(snapshot.get("dagster_version")):
        return "`dagster_version` is not a string"
    if not _str_map(snapshot.get("module_errors") or {}, _is_str):
        return "`module_errors` is not an object of strings"
    return _scope_problem(snapshot.get("template_scope") or {})


def _type_problem(entry: Any) -> Optional[str]:
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
        return "no `key` string"
    if not _str_list(entry.get("aliases", [])):
        return "`aliases` is not a list of strings"
    for key in ("summary", "description", "package", "version"):
        if not _optional_str(entry.get(key)):
            return f"`{key}` is not a string"
    for key in ("schema", "scaffold_params_schema"):
        if not isinstance(entry.get(key), (dict, type(None))):
            return f"`{key}` is not an object"
    source = entry.get("source")
    if source is not None and not (
        isinstance(source, dict)
        and _optional_str(source.get("path"))
        and isinstance(source.get("line"), (int, type(None)))
        and not isinstance(source.get("line"), bool)
    ):
        return "`source` is not {path, line}"
    return None


def _scope_problem(scope: dict[str, Any]) -> Optional[str]:
    checks: dict[str, Callable[[Any], bool]] = {
        "globals": _str_list,
        "deprecated": lambda v: _str_map(v, _is_str),
        "user_vars": lambda v: _str_map(v, _str_list),
        "per_type": lambda v: _str_map(v, lambda inner: _str_map(inner, _str_list)),
        "untemplated": lambda v: _str_map(v, _str_list),
        "additional": lambda v: _str_map(v, _str_list),
        "signatures": lambda v: _str_map(v, _signature),
        "own_scope": lambda v: _str_map(v, lambda inner: _str_map(inner, lambda how: how in ("all", "inside"))),
    }
    for key, valid in checks.items():
        if key in scope and scope[key] is not None and not valid(scope[key]):
            return f"`template_scope.{key}` has the wrong shape"
    return None


def _signature(value: Any) -> bool:
    return isinstance(value, dict) and _str_list(value.get("parameters")) and _is_str(value.get("documentation"))


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _optional_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _str_map(value: Any, valid: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and valid(v) for k, v in value.items())
