"""Policies: the project's `[tool.dagster-components-ls.policies]`, its rules, and platform policies' results.

Three kinds of rule, one code each (`policy:<rule>`, severity as configured, default error):

- **Document-level built-ins** (`allowed-types`, `required-attributes`, `forbidden-values`): the small
  functions in `POLICIES`, run on the keystroke path like any other document rule.
- **Asset-level built-ins** (`require-owners`, `required-tags`, `asset-key-pattern`): the functions in
  `ASSET_POLICIES`, run on loaded assets only (`asset_policy_problems`, called by lineage and
  `check --load`).
- **Platform policies**: functions that Python packages register under the entry-point group
  `dagster_components_ls.policies`. The worker calls them (`worker/policies.py`) and this module turns
  their answers into problems (`entry_point_problems`, `policy_error_problems`).

The configuration (`schemas/policies.schema.json` describes it) is read from the project's
`pyproject.toml` by `load_policy_config`; its own mistakes are `policy-config` problems with spans in
that file, and a rule with a mistake is dropped (or loses only the bad entry) while the rest applies.

Writing a platform policy
-------------------------
Register a function in your package's `pyproject.toml`; the entry-point name is the rule name:

    [project.entry-points."dagster_components_ls.policies"]
    acme-naming = "acme_platform.policies:naming_policy"

    def naming_policy(document: Mapping[str, Any]) -> list[dict[str, Any]]: ...

- `document` is one `defs.yaml` document as plain JSON data, as written (`{"type": ...,
  "attributes": ...}`); the function is called once per document, in the project's interpreter.
- It returns a list (or yields) violations `{"path": [...], "message": "..."}`: `path` is the key path
  inside the document (strings for keys, integers for list indices), `message` a non-empty string.
  The diagnostic is placed on the value at `path` (on its key when the value is a mapping or list, on
  the deepest existing key when the path does not exist). Return `[]` when the document passes.
- Asset-level: a function with a second parameter, `def policy(document, assets)`, also receives the
  assets the document produced once they are loaded (a list of `{"key", "owners", "tags", ...}` as in
  the `dagster/lineage` result), and `None` on the keystroke path. Its violations may carry
  `"asset_key": "<key>"` instead of `path`.
- Each policy runs in its own forked process with a time limit. A policy that cannot be imported,
  raises, returns anything else, prints to stdout or runs too long is reported once per file as a
  `policy-config` warning naming the policy and its package; the other policies keep working.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import re
import string
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Generic, Optional, TypeVar, Union


from ..model.context import CheckContext, resolve_type, suggest
from ..model.documents import MAP, SCALAR, SEQ, Node, ParsedFile, YamlDocument
from ..model.problems import ERROR, WARNING, Problem
from ..project.files import read_text
from ..model.positions import KeyPath, Span, format_key_path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

if TYPE_CHECKING:
    from ..project.discovery import Project

ENTRY_POINT_GROUP = "dagster_components_ls.policies"
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
    forbidden_values: Optional[Setting[tuple[tuple[str, tuple[tuple[tuple[str, ...], tuple[Scalar, ...]], ...]], ...]]] = None
    """(type glob, ((key path, forbidden values), ...)) pairs."""
    require_owners: Optional[Setting[bool]] = None
    required_tags: Optional[Setting[tuple[str, ...]]] = None
    asset_key_pattern: Optional[Setting[str]] = None
    """A regular expression the whole asset key (`raw/orders`) must match."""

    @property
    def has_document_rules(self) -> bool:
        return any((self.allowed_types, self.required_attributes, self.forbidden_values))


NO_POLICIES = PolicyConfig()


# --- configuration -------------------------------------------------------------------------------


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
        return NO_POLICIES, [Problem(_decode_error_span(text, str(exc)), CONFIG_CODE,
                                     f"pyproject.toml cannot be read as TOML: {exc}")]
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
            reader.report((*TABLE[:2], key), f"Unknown key '{key}' in [tool.dagster-components-ls]{hint}",
                          at_key=True, data={"key": key})
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
            reader.report((*TABLE, rule), f"Unknown policy rule '{rule}'{hint}", at_key=True,
                          data={"rule": rule, "suggestion": best})
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
        self._spans: Optional[dict[tuple, tuple[Span, Span]]] = None

    def report(self, path: tuple, message: str, at_key: bool = False, data: Optional[dict] = None) -> None:
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
        path: tuple = (*TABLE, rule)
        severity = ERROR
        if isinstance(raw, dict) and ("value" in raw or set(raw) == {"severity"}):
            for key in raw:
                if key not in ("value", "severity"):
                    best = suggest(key, ["value", "severity"])
                    hint = f". Did you mean '{best}'?" if best else ""
                    self.report((*path, key), f"Unknown key '{key}' in {rule} (its long form takes `value` and "
                                f"`severity`){hint}", at_key=True, data={"key": key, "suggestion": best})
            severity = self.severity(rule, raw.get("severity", ERROR), (*path, "severity"))
            if "value" not in raw:
                self.report(path, f"{rule} sets a severity but no `value`", at_key=True)
                return None
            raw, path = raw["value"], (*path, "value")
        value = RULE_PARSERS[rule](self, rule, raw, path)
        return Setting(value, severity) if value is not None else None

    def severity(self, rule: str, raw: Any, path: tuple) -> str:
        if isinstance(raw, str) and raw in SEVERITIES:
            return raw
        if not isinstance(raw, str):
            self.report(path, f"The severity of {rule} must be a string ({', '.join(SEVERITIES)}), not {_a(raw)}")
        else:
            best = suggest(raw.lower(), SEVERITIES)
            hint = f" Did you mean '{best}'?" if best else ""
            self.report(path, f"Unknown severity '{raw}' for {rule}.{hint} Allowed: {', '.join(SEVERITIES)}",
                        data={"suggestion": best})
        return ERROR

    def expect(self, path: tuple, what: str, raw: Any, kind: type | tuple[type, ...]) -> bool:
        """True when `raw` is of `kind`, else a wrong-type problem at the value."""
        if isinstance(raw, kind):
            return True
        self.report(path, f"{what} must be {_KIND_NAMES[kind]}, not {_a(raw)}")
        return False

    def globs(self, rule: str, raw: Any, path: tuple) -> Optional[tuple[str, ...]]:
        if not self.expect(path, rule, raw, list):
            return None
        out = []
        for i, glob in enumerate(raw):
            if self.expect((*path, i), f"{rule}[{i}]", glob, str) and self.glob_ok(glob, rule, (*path, i)):
                out.append(glob)
        return tuple(out)

    def glob_ok(self, glob: str, rule: str, path: tuple, at_key: bool = False) -> bool:
        problem = glob_problem(glob)
        if problem is not None:
            self.report(path, f"'{glob}' in {rule} {problem}", at_key=at_key, data={"glob": glob})
        return problem is None

    def per_type(self, rule: str, raw: Any, path: tuple, read: Callable[[str, Any, tuple], Any]) -> Optional[tuple]:
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

    def key_path(self, rule: str, raw: str, path: tuple, at_key: bool = False) -> Optional[tuple[str, ...]]:
        parts = tuple(raw.split("."))
        if any(not p or re.search(r"\s", p) for p in parts):
            self.report(path, f"'{raw}' in {rule} is not a key path under `attributes`: write keys joined by "
                        f"'.', such as 'translation.owners'", at_key=at_key)
            return None
        return parts


def _allowed_types(reader: _ConfigReader, rule: str, raw: Any, path: tuple) -> Optional[tuple[str, ...]]:
    return reader.globs(rule, raw, path)


def _required_attributes(reader: _ConfigReader, rule: str, raw: Any, path: tuple) -> Optional[tuple]:
    def read(glob: str, value: Any, at: tuple) -> tuple[tuple[str, ...], ...]:
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


def _forbidden_values(reader: _ConfigReader, rule: str, raw: Any, path: tuple) -> Optional[tuple]:
    def read(glob: str, value: Any, at: tuple) -> tuple:
        if not reader.expect(at, f"{rule} for '{glob}'", value, dict):
            return ()
        entries = []
        for key, values in value.items():
            parts = reader.key_path(rule, key, (*at, key), at_key=True)
            if parts is None or not reader.expect((*at, key), f"{rule} for '{glob}'.{key}", values, list):
                continue
            good = tuple(v for i, v in enumerate(values)
                         if reader.expect((*at, key, i), f"{rule} for '{glob}'.{key}[{i}]", v, (str, int, float, bool)))
            if good:
                entries.append((parts, good))
        return tuple(entries)

    return reader.per_type(rule, raw, path, read)


def _require_owners(reader: _ConfigReader, rule: str, raw: Any, path: tuple) -> Optional[bool]:
    return raw if reader.expect(path, rule, raw, bool) else None


def _required_tags(reader: _ConfigReader, rule: str, raw: Any, path: tuple) -> Optional[tuple[str, ...]]:
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


def _asset_key_pattern(reader: _ConfigReader, rule: str, raw: Any, path: tuple) -> Optional[str]:
    if not reader.expect(path, rule, raw, str):
        return None
    try:
        re.compile(raw)
    except re.error as exc:
        reader.report(path, f"{rule} is not a valid regular expression: {exc}")
        return None
    return raw


RULE_PARSERS: dict[str, Callable[[_ConfigReader, str, Any, tuple], Any]] = {
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


# --- TOML spans ----------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?")
_SCALAR = re.compile(r"[^,\]}\s#]+")
_DECODE_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def toml_spans(text: str) -> dict[tuple, tuple[Span, Span]]:
    """(key span, value span) of every key and array item of a valid TOML text, by key path.

    tomllib gives values but no positions; this scanner finds where each key path is written, for
    `[a.b]` headers, dotted keys, inline tables and arrays (items by index). A table known only from
    a header maps to the header's key. Only run on text tomllib accepted; on a surprise it returns
    what it found so far.
    """
    scanner = _TomlScanner(text)
    try:
        scanner.scan()
    except (IndexError, ValueError, tomllib.TOMLDecodeError):
        pass
    return scanner.spans


class _TomlScanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: dict[tuple, tuple[Span, Span]] = {}
        self._array_tables: dict[tuple, int] = {}

    def scan(self) -> None:
        text, pos, table = self.text, 0, ()
        while True:
            pos = self._skip(pos, newlines=True)
            if pos >= len(text):
                return
            if text[pos] == "[":
                double = text.startswith("[[", pos)
                keys, pos = self._keys(pos + (2 if double else 1))
                pos = self._skip(pos) + (2 if double else 1)
                table = self._record_keys((), keys)
                if double:
                    index = self._array_tables[table] = self._array_tables.get(table, -1) + 1
                    table = (*table, index)
                    self.spans.setdefault(table, (keys[-1][1], keys[-1][1]))
            else:
                keys, pos = self._keys(pos)
                pos = self._skip(pos)
                if text[pos] != "=":
                    raise ValueError(f"expected '=' at {pos}")
                path = self._record_keys(table, keys[:-1])
                pos = self._value(self._skip(pos + 1), (*path, keys[-1][0]), keys[-1][1])
            pos = self._skip(pos)

    def _record_keys(self, prefix: tuple, keys: list[tuple[str, Span]]) -> tuple:
        path = prefix
        for name, span in keys:
            path = (*path, name)
            self.spans.setdefault(path, (span, span))
        return path

    def _skip(self, pos: int, newlines: bool = False) -> int:
        text = self.text
        while pos < len(text):
            ch = text[pos]
            if ch in " \t" or (newlines and ch in "\r\n"):
                pos += 1
            elif ch == "#":
                end = text.find("\n", pos)
                pos = len(text) if end == -1 else end
            else:
                break
        return pos

    def _keys(self, pos: int) -> tuple[list[tuple[str, Span]], int]:
        keys = []
        while True:
            pos = self._skip(pos)
            start = pos
            if self.text[pos] in "\"'":
                pos = self._string_end(pos)
                name = tomllib.loads(f"k = {self.text[start:pos]}")["k"]
            else:
                match = _BARE_KEY.match(self.text, pos)
                if match is None:
                    raise ValueError(f"expected a key at {pos}")
                name, pos = match.group(), match.end()
            keys.append((name, Span(start, pos)))
            pos = self._skip(pos)
            if not self.text.startswith(".", pos):
                return keys, pos
            pos += 1

    def _value(self, pos: int, path: tuple, key_span: Optional[Span]) -> int:
        text, start = self.text, pos
        if text[pos] == "[":
            index, pos = 0, pos + 1
            while True:
                pos = self._skip(pos, newlines=True)
                if text[pos] == "]":
                    pos += 1
                    break
                pos = self._skip(self._value(pos, (*path, index), None), newlines=True)
                index += 1
                if text[pos] == ",":
                    pos += 1
        elif text[pos] == "{":
            pos += 1
            while True:
                pos = self._skip(pos, newlines=True)
                if text[pos] == "}":
                    pos += 1
                    break
                if text[pos] == ",":
                    pos += 1
                    continue
                keys, pos = self._keys(pos)
                pos = self._skip(pos)
                inner = self._record_keys(path, keys[:-1])
                pos = self._value(self._skip(pos + 1), (*inner, keys[-1][0]), keys[-1][1])
        elif text[pos] in "\"'":
            pos = self._string_end(pos)
        else:
            match = _DATETIME.match(text, pos) or _SCALAR.match(text, pos)
            if match is None:
                raise ValueError(f"expected a value at {pos}")
            pos = match.end()
        value_span = Span(start, pos)
        self.spans[path] = (key_span or value_span, value_span)
        return pos

    def _string_end(self, pos: int) -> int:
        """The offset just after the string starting at `pos` (basic, literal, or either multi-line)."""
        text = self.text
        quote = text[pos]
        if text.startswith(quote * 3, pos):
            end = pos + 3
            while True:
                found = text.index(quote * 3, end)
                if quote == '"' and _escaped(text, found):
                    end = found + 1
                    continue
                end = found + 3
                while text.startswith(quote, end) and end - found < 5:  # `""""` closes with quotes inside
                    end += 1
                return end
        end = pos + 1
        while text[end] != quote or (quote == '"' and _escaped(text, end)):
            if text[end] == "\n":
                raise ValueError("unterminated string")
            end += 1
        return end + 1


def _escaped(text: str, pos: int) -> bool:
    backslashes = 0
    while pos - backslashes - 1 >= 0 and text[pos - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _decode_error_span(text: str, message: str) -> Span:
    match = _DECODE_POSITION.search(message)
    lines = text.split("\n")
    if match is None:
        return Span(0, len(lines[0]))
    line = min(int(match.group(1)), len(lines)) - 1
    start = sum(len(l) + 1 for l in lines[:line])
    return Span(start, start + len(lines[line].rstrip("\r")))


# --- document-level rules ------------------------------------------------------------------------

PolicyRule = Callable[[YamlDocument, CheckContext, PolicyConfig], Iterator[Problem]]


def policy_problems(doc: YamlDocument, ctx: CheckContext, config: Optional[PolicyConfig]) -> Iterator[Problem]:
    """Every document-level policy problem of one document (spans relative to the document)."""
    if config is None or not config.has_document_rules:
        return
    for rule in POLICIES:
        yield from rule(doc, ctx, config)


def check_allowed_types(doc: YamlDocument, ctx: CheckContext, config: PolicyConfig) -> Iterator[Problem]:
    setting = config.allowed_types
    found = _typed_document(doc, ctx) if setting is not None else None
    if found is None:
        return
    key, written, node = found
    if any(type_matches(key, glob) for glob in setting.value):
        return
    shown = f"'{written}'" if written == key else f"'{written}' ({key})"
    allowed = ", ".join(setting.value) or "none"
    yield Problem(node.span, "policy:allowed-types",
                  f"Type {shown} is not allowed by the project's policy (allowed: {allowed})",
                  setting.severity, data={"type": key, "allowed": list(setting.value)})


def check_required_attributes(doc: YamlDocument, ctx: CheckContext, config: PolicyConfig) -> Iterator[Problem]:
    setting = config.required_attributes
    found = _typed_document(doc, ctx) if setting is not None else None
    if found is None:
        return
    key, _, _ = found
    assert doc.root is not None
    attributes = doc.root.get("attributes")
    anchor = doc.root.key_node("attributes") or doc.root.key_node("type")
    for glob, paths in setting.value:
        if not type_matches(key, glob):
            continue
        for parts in paths:
            if attributes is None:
                missing = [(anchor, ("attributes", *parts))]
            else:
                missing = list(_missing(attributes, doc.value.get("attributes"), parts, ("attributes",), anchor))
            for at, path in missing:
                yield Problem(_key_span(at, doc), "policy:required-attributes",
                              f"Missing attribute '{format_key_path(path[1:])}', required by the project's "
                              f"policy for {glob}", setting.severity, data={"path": list(path)})


def check_forbidden_values(doc: YamlDocument, ctx: CheckContext, config: PolicyConfig) -> Iterator[Problem]:
    setting = config.forbidden_values
    found = _typed_document(doc, ctx) if setting is not None else None
    if found is None:
        return
    key, _, _ = found
    assert doc.root is not None
    attributes = doc.root.get("attributes")
    if attributes is None:
        return
    for glob, entries in setting.value:
        if not type_matches(key, glob):
            continue
        for parts, forbidden in entries:
            for path, node, value in _values_at(attributes, doc.value.get("attributes"), parts, ("attributes",)):
                if isinstance(value, str) and "{{" in value:
                    continue  # rendered at load time: its value is not known here
                if any(_same(value, f) for f in forbidden):
                    yield Problem(node.span, "policy:forbidden-values",
                                  f"Value {_show(value)} for {format_key_path(path[1:])} is forbidden by the "
                                  f"project's policy for {glob}", setting.severity,
                                  data={"path": list(path), "value": value})


POLICIES: list[PolicyRule] = [check_allowed_types, check_required_attributes, check_forbidden_values]


def _typed_document(doc: YamlDocument, ctx: CheckContext) -> Optional[tuple[str, str, Node]]:
    """(canonical type key, type as written, its value node) of a mapping document of a known type.

    None for unknown types (already `unknown-type`) and before the registry is ready, when aliases
    and relative types cannot be resolved yet.
    """
    if doc.root is None or doc.root.kind != MAP or not isinstance(doc.value, dict):
        return None
    written, node = doc.value.get("type"), doc.root.get("type")
    if not isinstance(written, str) or node is None:
        return None
    component = resolve_type(written.strip(), ctx)
    return (component.key, written.strip(), node) if component is not None else None


def _missing(node: Node, value: Any, parts: tuple[str, ...], path: KeyPath,
             key: Optional[Node]) -> Iterator[tuple[Optional[Node], KeyPath]]:
    """(deepest existing key, full path) for each place where `parts` is absent (or null) below `node`.

    A list on the way applies the rest of the path to every item; a templated value is not judged.
    """
    if isinstance(value, str) and "{{" in value:
        return
    if not parts:
        if value is None:
            yield key, path
        return
    if node.kind == SEQ and isinstance(value, list):
        for i, (item, item_value) in enumerate(zip(node.items, value)):
            yield from _missing(item, item_value, parts, (*path, i), item)
        return
    child = node.get(parts[0]) if node.kind == MAP and isinstance(value, dict) else None
    if child is None:
        yield key, (*path, *parts)
        return
    yield from _missing(child, value.get(parts[0]), parts[1:], (*path, parts[0]), node.key_node(parts[0]))


def _values_at(node: Node, value: Any, parts: tuple[str, ...], path: KeyPath) -> Iterator[tuple[KeyPath, Node, Any]]:
    """(path, node, value) of each scalar at `parts` below `node`; lists on the way and at the end are walked."""
    if node.kind == SEQ and isinstance(value, list):
        for i, (item, item_value) in enumerate(zip(node.items, value)):
            yield from _values_at(item, item_value, parts, (*path, i))
    elif not parts:
        if node.kind == SCALAR:
            yield path, node, value
    elif node.kind == MAP and isinstance(value, dict):
        child = node.get(parts[0])
        if child is not None:
            yield from _values_at(child, value.get(parts[0]), parts[1:], (*path, parts[0]))


def _key_span(node: Optional[Node], doc: YamlDocument) -> Span:
    if node is not None and node.kind == MAP and node.pairs:
        node = node.pairs[0][0]  # a list item: its first key, not all its lines
    if node is not None:
        return node.span
    return _first_key(doc)


def _same(value: Any, forbidden: Scalar) -> bool:
    if isinstance(value, bool) or isinstance(forbidden, bool):
        return type(value) is type(forbidden) and value == forbidden
    if isinstance(value, (int, float)) and isinstance(forbidden, (int, float)):
        return value == forbidden
    return isinstance(value, str) and isinstance(forbidden, str) and value == forbidden


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else json.dumps(value, default=str)


# --- platform policies (entry points, run by the worker) ------------------------------------------


def policy_request(parsed: ParsedFile, ctx: CheckContext,
                   assets: Optional[Mapping[int, list]] = None) -> dict[str, Any]:
    """Params of the worker's `policies` call for one file: its mapping documents as plain JSON, with
    the assets each produced when the definitions are loaded (asset-aware policies receive them).

    `index` is the document's index in the file; a caller batching several files may number them
    otherwise, since the worker only echoes it.
    """
    documents = []
    for doc in parsed.documents:
        if not isinstance(doc.value, dict):
            continue
        written = doc.value.get("type")
        component = resolve_type(written.strip(), ctx) if isinstance(written, str) else None
        entry = {"index": doc.index, "type": component.key if component else None, "document": plain_json(doc.value)}
        if assets is not None and doc.index in assets:
            entry["assets"] = assets[doc.index]
        documents.append(entry)
    return {"documents": documents}


BATCH_STRIDE = 100_000
"""Document i of the f-th file of a batch travels as index f * BATCH_STRIDE + i."""


def policy_batch_request(files: Sequence[tuple[ParsedFile, CheckContext]],
                         assets: Optional[Sequence[Mapping[int, list]]] = None) -> dict[str, Any]:
    """One `policies` call for several files (`check`): one child per policy instead of one per file."""
    documents = []
    for number, (parsed, ctx) in enumerate(files):
        for entry in policy_request(parsed, ctx, assets[number] if assets is not None else None)["documents"]:
            documents.append({**entry, "index": number * BATCH_STRIDE + entry["index"]})
    return {"documents": documents}


def split_policy_answer(answer: Mapping[str, Any], file_count: int) -> list[dict[str, list[dict[str, Any]]]]:
    """A batch answer per file, with the files' own document indices; a policy that failed before any
    document (index null) failed for every file."""
    out: list[dict[str, list[dict[str, Any]]]] = [{"results": [], "errors": []} for _ in range(file_count)]
    for kind in ("results", "errors"):
        for entry in answer.get(kind) or ():
            index = entry.get("index")
            if isinstance(index, int) and 0 <= index // BATCH_STRIDE < file_count:
                out[index // BATCH_STRIDE][kind].append({**entry, "index": index % BATCH_STRIDE})
            elif index is None and kind == "errors":
                for per_file in out:
                    per_file["errors"].append(dict(entry))
    return out


def plain_json(value: Any, _depth: int = 0) -> Any:
    """YAML data as JSON data: dates become ISO strings, other keys and values strings; bounded depth."""
    if _depth > 100:
        return None
    if isinstance(value, dict):
        return {k if isinstance(k, str) else _show_key(k): plain_json(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v, _depth + 1) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _show_key(key: Any) -> str:
    return json.dumps(key) if isinstance(key, (bool, type(None))) else str(key)


def entry_point_problems(parsed: ParsedFile, results: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """The worker's `policies` results for one file as problems (spans into the file), code `policy:<name>`.

    Sample result: {"policy": "acme-naming", "package": "acme-platform", "index": 0,
                    "violations": [{"path": ["attributes", "owner"], "message": "owner 'ada@...' is a person"}]}
    """
    out = []
    for result in results:
        policy, package, index = result.get("policy"), result.get("package"), result.get("index")
        if not isinstance(policy, str) or not isinstance(index, int) or not 0 <= index < len(parsed.documents):
            continue
        doc = parsed.documents[index]
        source = f" (from {package})" if package else ""
        for violation in result.get("violations") or ():
            if not isinstance(violation, Mapping) or not isinstance(violation.get("message"), str):
                continue
            data: dict[str, Any] = {"policy": policy, "package": package}
            if isinstance(violation.get("asset_key"), str) and "path" not in violation:
                span = asset_span(doc, violation["asset_key"])
                data["asset_key"] = violation["asset_key"]
            else:
                path = violation.get("path") if isinstance(violation.get("path"), list) else []
                span = path_span(doc, path)
                data["path"] = path
            out.append(Problem(span.shifted(doc.start), f"policy:{policy}", f"{violation['message']}{source}",
                               ERROR, data))
    return out


def policy_error_problems(parsed: ParsedFile, errors: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """Platform policies that failed (could not load, raised, returned garbage, printed, timed out, crashed):
    one `policy-config` warning per policy on the file's first line, naming the policy and its package.

    Sample error: {"policy": "acme-naming", "package": "acme-platform", "index": 0, "message": "raised ValueError: boom"}
    """
    first_line = Span(0, len(parsed.text.split("\n", 1)[0]))
    seen: set[tuple[Any, Any]] = set()
    out = []
    for error in errors:
        policy, package = error.get("policy"), error.get("package")
        if (policy, package) in seen or not isinstance(policy, str):
            continue
        seen.add((policy, package))
        origin = f"Policy '{policy}'" + (f" from package '{package}'" if package else " (no package)")
        out.append(Problem(first_line, CONFIG_CODE, f"{origin} {error.get('message') or 'failed'}", WARNING,
                           data={"policy": policy, "package": package}))
    return out


def path_span(doc: YamlDocument, path: Sequence[Any]) -> Span:
    """Where a violation at a key path goes (relative to the document): a scalar value, else its key,
    else the deepest existing key on the path, else the document's first key."""
    key: Optional[Node] = None
    node = doc.root
    depth = 0
    for part in path:
        child = node.get(part) if node is not None and isinstance(part, (str, int)) and not isinstance(part, bool) else None
        if child is None:
            break
        key = node.key_node(part) if node.kind == MAP else child  # type: ignore[union-attr]
        node, depth = child, depth + 1
    if depth == len(path) and node is not None and node.kind == SCALAR and node.span.end > node.span.start:
        return node.span
    return _key_span(key, doc) if key is not None else _first_key(doc)


def asset_span(doc: YamlDocument, asset_key: str) -> Span:
    """Where an asset's violation goes: a string in the document equal to its key, else the `type` value."""
    if doc.root is not None:
        for node in _scalars(doc.root):
            if node.text == asset_key and node.tag.endswith(":str"):
                return node.span
        type_node = doc.root.get("type") if doc.root.kind == MAP else None
        if type_node is not None:
            return type_node.span
    return _first_key(doc)


def _scalars(node: Node) -> Iterator[Node]:
    if node.kind == SCALAR:
        yield node
    for _, value in node.pairs:
        yield from _scalars(value)
    for item in node.items:
        yield from _scalars(item)


def _first_key(doc: YamlDocument) -> Span:
    if doc.root is not None and doc.root.kind == MAP and doc.root.pairs:
        return doc.root.pairs[0][0].span
    stripped = doc.text.lstrip()
    start = len(doc.text) - len(stripped)
    return Span(start, start + len(stripped.split("\n", 1)[0].rstrip()))


# --- asset-level rules (run on loaded assets: lineage, `check --load`) ---------------------------


@dataclass(frozen=True)
class AssetPolicyInput:
    """One loaded asset as the asset-level rules see it.

    Built from the `{key, owners, tags}` of a `dagster/lineage` asset (other fields are ignored), so the
    lineage result can be passed as it is.
    """

    key: str
    """Dagster's user string, `raw/orders`."""
    owners: tuple[str, ...] = ()
    """As written in Dagster: `team:analytics`, `a@b.com`."""
    tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Optional[AssetPolicyInput]:
        """None when the dict has no usable key; odd owners and tags are dropped, not raised on."""
        key = raw.get("key") if isinstance(raw, Mapping) else None
        if isinstance(key, (list, tuple)) and key and all(isinstance(p, str) for p in key):
            key = "/".join(key)
        if not isinstance(key, str) or not key:
            return None
        owners = raw.get("owners")
        tags = raw.get("tags")
        return cls(key=key,
                   owners=tuple(o for o in owners if isinstance(o, str) and o.strip()) if isinstance(owners, list) else (),
                   tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {})


@dataclass(frozen=True)
class AssetViolation:
    """An asset-level rule's finding, reported at the document that produced the asset."""

    document: int
    """The producing document's index in its file (the lineage result's `document`)."""
    asset_key: str
    rule: str
    message: str
    severity: str = ERROR
    data: Optional[dict] = None


AssetRule = Callable[[AssetPolicyInput, PolicyConfig], Iterator[tuple[str, str, str, dict]]]
"""(asset, config) -> (rule, message, severity, data) for each violation."""


def check_require_owners(asset: AssetPolicyInput, config: PolicyConfig) -> Iterator[tuple[str, str, str, dict]]:
    setting = config.require_owners
    if setting is not None and setting.value and not asset.owners:
        yield ("require-owners", f"Asset '{asset.key}' has no owners; the project's policy requires at least one",
               setting.severity, {"asset_key": asset.key})


def check_required_tags(asset: AssetPolicyInput, config: PolicyConfig) -> Iterator[tuple[str, str, str, dict]]:
    setting = config.required_tags
    missing = [tag for tag in setting.value if tag not in asset.tags] if setting is not None else []
    if missing:
        names = ", ".join(f"'{t}'" for t in missing)
        noun = "tag" if len(missing) == 1 else "tags"
        yield ("required-tags", f"Asset '{asset.key}' lacks {noun} {names}, required by the project's policy",
               setting.severity, {"asset_key": asset.key, "missing": missing})


def check_asset_key_pattern(asset: AssetPolicyInput, config: PolicyConfig) -> Iterator[tuple[str, str, str, dict]]:
    setting = config.asset_key_pattern
    if setting is not None and re.fullmatch(setting.value, asset.key) is None:
        yield ("asset-key-pattern", f"Asset key '{asset.key}' does not match the project's pattern {setting.value}",
               setting.severity, {"asset_key": asset.key, "pattern": setting.value})


ASSET_POLICIES: list[AssetRule] = [check_require_owners, check_required_tags, check_asset_key_pattern]


def asset_policy_problems(config: PolicyConfig,
                          assets_by_document: Mapping[int, Iterable[Mapping[str, Any]]]) -> list[AssetViolation]:
    """Every asset-level violation of one file's loaded assets, by producing document.

    `assets_by_document` maps a document's index in the file to the assets it produced, each a dict
    with at least `key` (`"raw/orders"`), `owners` (list of strings) and `tags` (object): the shape of
    the `dagster/lineage` result's produced assets. Pure: no I/O. `asset_problems` places the
    violations in the file.
    """
    out = []
    for document, assets in sorted(assets_by_document.items()):
        for raw in assets:
            asset = AssetPolicyInput.from_dict(raw)
            if asset is None:
                continue
            for rule in ASSET_POLICIES:
                for name, message, severity, data in rule(asset, config):
                    out.append(AssetViolation(document, asset.key, name, message, severity, data))
    return out


# Keys that explain an asset-level violation, searched in the producing document (deepest first):
# the dbt `translation.owners` that sets every model's owners, a platform component's `owner`, ...
EXPLAINING_KEYS = {
    "require-owners": ("owners", "owner"),
    "required-tags": ("tags",),
    "asset-key-pattern": ("asset_key", "key"),
}
# Several assets of one document breaking one rule make one diagnostic, naming them.
PLURAL_MESSAGES = {
    "require-owners": "{n} assets have no owners ({keys}); the project's policy requires at least one",
    "required-tags": "{n} assets lack tags required by the project's policy ({keys})",
    "asset-key-pattern": "{n} asset keys do not match the project's pattern ({keys})",
}
NAMED_ASSETS = 5


def asset_problems(parsed: ParsedFile, violations: Iterable[AssetViolation]) -> list[Problem]:
    """Asset violations as problems at their producing documents (code `policy:<rule>`): one per
    document and rule, on the asset's key where the document spells it, else on the key that
    explains it (`translation.owners`, `owner`, `tags`, ...), else on the `type` value."""
    groups: dict[tuple[int, str, str], list[AssetViolation]] = {}
    for v in violations:
        if 0 <= v.document < len(parsed.documents):
            groups.setdefault((v.document, v.rule, v.severity), []).append(v)
    out = []
    for (document, rule, severity), found in groups.items():
        doc = parsed.documents[document]
        keys = [v.asset_key for v in found]
        if len(found) == 1:
            message, data = found[0].message, found[0].data
        else:
            shown = ", ".join(keys[:NAMED_ASSETS]) + (f" and {len(keys) - NAMED_ASSETS} more" if len(keys) > NAMED_ASSETS else "")
            template = PLURAL_MESSAGES.get(rule, "{n} assets break the project's policy " + rule + " ({keys})")
            message, data = template.format(n=len(keys), keys=shown), {**(found[0].data or {}), "asset_keys": keys}
            data.pop("asset_key", None)
        span = _spelled_key(doc, keys) or _explaining_key(doc, EXPLAINING_KEYS.get(rule, ())) or asset_span(doc, "")
        out.append(Problem(span.shifted(doc.start), f"policy:{rule}", message, severity, data))
    return out


def _spelled_key(doc: YamlDocument, keys: list[str]) -> Optional[Span]:
    if len(keys) != 1 or doc.root is None:
        return None
    return next((n.span for n in _scalars(doc.root) if n.text == keys[0] and n.tag.endswith(":str")), None)


def _explaining_key(doc: YamlDocument, names: tuple[str, ...]) -> Optional[Span]:
    """The deepest key of these names under `attributes` (or `post_processing`), else `attributes.translation`."""
    best: Optional[tuple[int, Span]] = None

    def walk(node: Node, depth: int) -> None:
        nonlocal best
        for key, value in node.pairs:
            if key.text in names and (best is None or depth > best[0]):
                best = (depth, key.span)
            walk(value, depth + 1)
        for item in node.items:
            walk(item, depth + 1)

    if doc.root is None or doc.root.kind != MAP:
        return None
    for section in ("attributes", "post_processing"):
        node = doc.root.get(section)
        if node is not None:
            walk(node, 1)
    if best is not None:
        return best[1]
    attributes = doc.root.get("attributes")
    translation = attributes.key_node("translation") if attributes is not None and attributes.kind == MAP else None
    return translation.span if translation is not None else None


# --- helpers -------------------------------------------------------------------------------------

_KIND_NAMES: dict[Any, str] = {
    list: "a list", dict: "a table", str: "a string", bool: "true or false",
    (str, int, float, bool): "a string, number or boolean",
}


def _a(value: Any) -> str:
    """`a string`, `an integer`, ... for messages about TOML values."""
    if isinstance(value, bool):
        return "a boolean"
    for kind, name in ((str, "a string"), (int, "an integer"), (float, "a number"), (list, "a list"),
                       (dict, "a table"), (datetime.datetime, "a date-time"), (datetime.date, "a date"),
                       (datetime.time, "a time")):
        if isinstance(value, kind):
            return name
    return type(value).__name__
