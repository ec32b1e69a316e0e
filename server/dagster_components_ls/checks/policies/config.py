"""The project's `[tool.dagster-components-ls.policies]`: PolicyConfig, read from pyproject.toml with its mistakes.

The configuration (`schemas/policies.schema.json` describes it) is read from the project's
`pyproject.toml` by `load_policy_config`; its own mistakes are `policy-config` problems with spans in
that file, and a rule with a mistake is dropped (or loses only the bad entry) while the rest applies.
"""

from __future__ import annotations

import datetime
import fnmatch
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Generic, Optional, TypeVar, Union

from ...model.context import suggest
from ...model.positions import Span
from ...model.problems import ERROR, Problem
from ...model.toml_spans import decode_error_span, toml_spans
from ...project.files import read_text

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

if TYPE_CHECKING:
    from ...project.discovery import Project

CONFIG_CODE = "policy-config"
TABLE = ("tool", "dagster-components-ls", "policies")
SEVERITIES = ("error", "warning", "information", "hint")
DOCUMENT_RULES = ("allowed-types", "required-attributes", "forbidden-values")
ASSET_RULES = ("require-owners", "required-tags", "asset-key-pattern")
RULE_NAMES = DOCUMENT_RULES + ASSET_RULES

T = TypeVar("T")
Scalar = Union[str, int, float, bool]


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One configured rule: its value (the short form) and severity."""

    value: T
    severity: str = ERROR


@dataclass(frozen=True)
class PolicyConfig:
    """The valid part of `[tool.dagster-components-ls.policies]`; None for a rule that is not configured."""

    allowed_types: Optional[Setting[tuple[str, ...]]] = None
    """Globs over canonical type keys."""
    required_attributes: Optional[Setting[tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]]] = None
    """(type glob, key paths under `attributes`) pairs."""
    forbidden_values: Optional[
        Setting[tuple[tuple[str, tuple[tuple[tuple[str, ...], tuple[Scalar, ...]], ...]], ...]]
    ] = None
    """(type glob, ((key path, forbidden values), ...)) pairs."""
    require_owners: Optional[Setting[bool]] = None
    required_tags: Optional[Setting[tuple[str, ...]]] = None
    asset_key_pattern: Optional[Setting[str]] = None
    """A regular expression the whole asset key (`raw/orders`) must match."""

    @property
    def has_document_rules(self) -> bool:
        return any((self.allowed_types, self.required_attributes, self.forbidden_values))


NO_POLICIES = PolicyConfig()


def policy_config_path(project: Optional[Project]) -> Optional[Path]:
    """The pyproject.toml that holds a project's policies (next to its dg.toml when it has one)."""
    return project.root / "pyproject.toml" if project is not None else None


def load_policy_config(pyproject: Optional[Path]) -> tuple[PolicyConfig, list[Problem]]:
    """The policies configured in a pyproject.toml, and its mistakes (spans into that file's text).

    No file (a file outside any project) or no table: no policies and no problems.
    """
    if pyproject is None:
        return NO_POLICIES, []
    try:
        text = read_text(pyproject, errors="strict")
    except (OSError, UnicodeDecodeError):
        return NO_POLICIES, []
    return parse_policy_config(text)


def parse_policy_config(text: str) -> tuple[PolicyConfig, list[Problem]]:
    """The policies in a pyproject.toml's text (an open, unsaved editor buffer too), and its mistakes."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return NO_POLICIES, [
            Problem(decode_error_span(text, str(exc)), CONFIG_CODE, f"pyproject.toml cannot be read as TOML: {exc}")
        ]
    tool = data.get("tool", {}).get("dagster-components-ls") if isinstance(data.get("tool"), dict) else None
    if tool is None:
        return NO_POLICIES, []
    reader = _ConfigReader(text)
    if not isinstance(tool, dict):
        reader.report(TABLE[:2], f"[tool.dagster-components-ls] must be a table, not {_a(tool)}")
        return NO_POLICIES, reader.problems
    for key in tool:
        if key != "policies":
            hint = ". Did you mean 'policies'?" if suggest(key, ["policies"]) else " (it holds only `policies`)"
            reader.report(
                (*TABLE[:2], key),
                f"Unknown key '{key}' in [tool.dagster-components-ls]{hint}",
                at_key=True,
                data={"key": key},
            )
    table = tool.get("policies")
    if table is None:
        return NO_POLICIES, reader.problems
    if not isinstance(table, dict):
        reader.report(TABLE, f"[tool.dagster-components-ls.policies] must be a table, not {_a(table)}")
        return NO_POLICIES, reader.problems
    settings: dict[str, Setting[Any]] = {}
    for rule, raw in table.items():
        if rule not in RULE_PARSERS:
            best = suggest(rule, RULE_NAMES)
            hint = f". Did you mean '{best}'?" if best else f". Known rules: {', '.join(RULE_NAMES)}"
            reader.report(
                (*TABLE, rule),
                f"Unknown policy rule '{rule}'{hint}",
                at_key=True,
                data={"rule": rule, "suggestion": best},
            )
            continue
        setting = reader.setting(rule, raw)
        if setting is not None:
            settings[rule.replace("-", "_")] = setting
    return PolicyConfig(**settings), reader.problems


class _ConfigReader:
    """Reads each rule's value, recording problems at the offending key or value in the TOML text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.problems: list[Problem] = []
        self._spans: Optional[dict[tuple[Any, ...], tuple[Span, Span]]] = None

    def report(
        self, path: tuple[Any, ...], message: str, at_key: bool = False, data: Optional[dict[str, Any]] = None
    ) -> None:
        if self._spans is None:
            self._spans = toml_spans(self.text)
        for end in range(len(path), 0, -1):  # the path itself, else its nearest ancestor we can see
            found = self._spans.get(tuple(path[:end]))
            if found is not None:
                span = found[0] if at_key or end < len(path) else found[1]
                break
        else:
            span = Span(0, len(self.text.split("\n", 1)[0]))
        self.problems.append(Problem(span, CONFIG_CODE, message, ERROR, data))

    def setting(self, rule: str, raw: Any) -> Optional[Setting[Any]]:
        """The rule's setting from its short or long form, None when nothing valid is left."""
        path: tuple[Any, ...] = (*TABLE, rule)
        severity = ERROR
        if isinstance(raw, dict) and ("value" in raw or set(raw) == {"severity"}):
            for key in raw:
                if key not in ("value", "severity"):
                    best = suggest(key, ["value", "severity"])
                    hint = f". Did you mean '{best}'?" if best else ""
                    self.report(
                        (*path, key),
                        f"Unknown key '{key}' in {rule} (its long form takes `value` and `severity`){hint}",
                        at_key=True,
                        data={"key": key, "suggestion": best},
                    )
            severity = self.severity(rule, raw.get("severity", ERROR), (*path, "severity"))
            if "value" not in raw:
                self.report(path, f"{rule} sets a severity but no `value`", at_key=True)
                return None
            raw, path = raw["value"], (*path, "value")
        value = RULE_PARSERS[rule](self, rule, raw, path)
        return Setting(value, severity) if value is not None else None

    def severity(self, rule: str, raw: Any, path: tuple[Any, ...]) -> str:
        if isinstance(raw, str) and raw in SEVERITIES:
            return raw
        if not isinstance(raw, str):
            self.report(path, f"The severity of {rule} must be a string ({', '.join(SEVERITIES)}), not {_a(raw)}")
        else:
            best = suggest(raw.lower(), SEVERITIES)
            hint = f" Did you mean '{best}'?" if best else ""
            self.report(
                path,
                f"Unknown severity '{raw}' for {rule}.{hint} Allowed: {', '.join(SEVERITIES)}",
                data={"suggestion": best},
            )
        return ERROR

    def expect(self, path: tuple[Any, ...], what: str, raw: Any, kind: type | tuple[type, ...]) -> bool:
        """True when `raw` is of `kind`, else a wrong-type problem at the value."""
        if isinstance(raw, kind):
            return True
        self.report(path, f"{what} must be {_KIND_NAMES[kind]}, not {_a(raw)}")
        return False

    def globs(self, rule: str, raw: Any, path: tuple[Any, ...]) -> Optional[tuple[str, ...]]:
        if not self.expect(path, rule, raw, list):
            return None
        out = []
        for i, glob in enumerate(raw):
            if self.expect((*path, i), f"{rule}[{i}]", glob, str) and self.glob_ok(glob, rule, (*path, i)):
                out.append(glob)
        return tuple(out)

    def glob_ok(self, glob: str, rule: str, path: tuple[Any, ...], at_key: bool = False) -> bool:
        problem = glob_problem(glob)
        if problem is not None:
            self.report(path, f"'{glob}' in {rule} {problem}", at_key=at_key, data={"glob": glob})
        return problem is None

    def per_type(
        self, rule: str, raw: Any, path: tuple[Any, ...], read: Callable[[str, Any, tuple[Any, ...]], Any]
    ) -> Optional[tuple[Any, ...]]:
        """A table of type glob -> something: the pairs whose glob and value are valid."""
        if not self.expect(path, rule, raw, dict):
            return None
        out = []
        for glob, value in raw.items():
            if not self.glob_ok(glob, rule, (*path, glob), at_key=True):
                continue
            parsed = read(glob, value, (*path, glob))
            if parsed:
                out.append((glob, parsed))
        return tuple(out)

    def key_path(self, rule: str, raw: str, path: tuple[Any, ...], at_key: bool = False) -> Optional[tuple[str, ...]]:
        parts = tuple(raw.split("."))
        if any(not p or re.search(r"\s", p) for p in parts):
            self.report(
                path,
                f"'{raw}' in {rule} is not a key path under `attributes`: write keys joined by "
                f"'.', such as 'translation.owners'",
                at_key=at_key,
            )
            return None
        return parts


def _allowed_types(reader: _ConfigReader, rule: str, raw: Any, path: tuple[Any, ...]) -> Optional[tuple[str, ...]]:
    return reader.globs(rule, raw, path)


def _required_attributes(
    reader: _ConfigReader, rule: str, raw: Any, path: tuple[Any, ...]
) -> Optional[tuple[Any, ...]]:
    def read(glob: str, value: Any, at: tuple[Any, ...]) -> tuple[tuple[str, ...], ...]:
        if not reader.expect(at, f"{rule} for '{glob}'", value, list):
            return ()
        paths = []
        for i, item in enumerate(value):
            if reader.expect((*at, i), f"{rule} for '{glob}'[{i}]", item, str):
                parts = reader.key_path(rule, item, (*at, i))
                if parts:
                    paths.append(parts)
        return tuple(paths)

    return reader.per_type(rule, raw, path, read)


def _forbidden_values(reader: _ConfigReader, rule: str, raw: Any, path: tuple[Any, ...]) -> Optional[tuple[Any, ...]]:
    def read(glob: str, value: Any, at: tuple[Any, ...]) -> tuple[Any, ...]:
        if not reader.expect(at, f"{rule} for '{glob}'", value, dict):
            return ()
        entries = []
        for key, values in value.items():
            parts = reader.key_path(rule, key, (*at, key), at_key=True)
            if parts is None or not reader.expect((*at, key), f"{rule} for '{glob}'.{key}", values, list):
                continue
            good = tuple(
                v
                for i, v in enumerate(values)
                if reader.expect((*at, key, i), f"{rule} for '{glob}'.{key}[{i}]", v, (str, int, float, bool))
            )
            if good:
                entries.append((parts, good))
        return tuple(entries)

    return reader.per_type(rule, raw, path, read)


def _require_owners(reader: _ConfigReader, rule: str, raw: Any, path: tuple[Any, ...]) -> Optional[bool]:
    return raw if reader.expect(path, rule, raw, bool) else None


def _required_tags(reader: _ConfigReader, rule: str, raw: Any, path: tuple[Any, ...]) -> Optional[tuple[str, ...]]:
    if not reader.expect(path, rule, raw, list):
        return None
    tags = []
    for i, tag in enumerate(raw):
        if reader.expect((*path, i), f"{rule}[{i}]", tag, str):
            if tag.strip():
                tags.append(tag)
            else:
                reader.report((*path, i), f"{rule}[{i}] is an empty tag name")
    return tuple(tags)


def _asset_key_pattern(reader: _ConfigReader, rule: str, raw: Any, path: tuple[Any, ...]) -> Optional[str]:
    if not reader.expect(path, rule, raw, str):
        return None
    try:
        re.compile(raw)
    except re.error as exc:
        reader.report(path, f"{rule} is not a valid regular expression: {exc}")
        return None
    return str(raw)  # a str: expect() said so


RULE_PARSERS: dict[str, Callable[[_ConfigReader, str, Any, tuple[Any, ...]], Any]] = {
    "allowed-types": _allowed_types,
    "required-attributes": _required_attributes,
    "forbidden-values": _forbidden_values,
    "require-owners": _require_owners,
    "required-tags": _required_tags,
    "asset-key-pattern": _asset_key_pattern,
}

_GLOB_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_.*?[]!-")
_GLOB = re.compile(r"(?:[A-Za-z0-9_.*?-]|\[!?[A-Za-z0-9_.-]+\])+")


def glob_problem(glob: str) -> Optional[str]:
    """Why a glob can never match a canonical type key (`package.module.Class`), or None if it can."""
    if not glob.strip():
        return "is empty"
    bad = sorted(set(glob) - _GLOB_CHARACTERS)
    if bad:
        return f"cannot match a type key: {', '.join(repr(c) for c in bad)} never appears in one"
    if not _GLOB.fullmatch(glob):
        return "has an unbalanced or empty `[...]` (or a `!` outside one)"
    if glob.startswith("."):
        return "is relative: globs match canonical type keys, such as 'acme_analytics.defs.Local'"
    if "." not in glob and "*" not in glob:
        return f"matches no type key (keys look like 'package.Class'). Did you mean '{glob}.*'?"
    return None


def type_matches(key: str, glob: str) -> bool:
    """Whether a canonical type key matches a policy glob (`*` also crosses dots)."""
    return fnmatch.fnmatchcase(key, glob)


_KIND_NAMES: dict[Any, str] = {
    list: "a list",
    dict: "a table",
    str: "a string",
    bool: "true or false",
    (str, int, float, bool): "a string, number or boolean",
}


def _a(value: Any) -> str:
    """`a string`, `an integer`, ... for messages about TOML values."""
    if isinstance(value, bool):
        return "a boolean"
    for kind, name in (
        (str, "a string"),
        (int, "an integer"),
        (float, "a number"),
        (list, "a list"),
        (dict, "a table"),
        (datetime.datetime, "a date-time"),
        (datetime.date, "a date"),
        (datetime.time, "a time"),
    ):
        if isinstance(value, kind):
            return name
    return type(value).__name__
