"""`{{ }}` templates inside YAML strings: syntax errors, names used and env references (never rendered)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    import jinja2

_ENV_REFERENCE = re.compile(r"""\benv\s*(?:\.\s*(?P<attr>\w+)|\(\s*['"](?P<call>\w+)['"]|\[\s*['"](?P<item>\w+)['"])""")
_EXPRESSION = re.compile(r"\{\{(.*?)(\}\}|$)", re.DOTALL)
MAX_BRACKETS = 30
"""How deep `(`, `[` and `{` may nest in a template: Jinja's parser recurses ~14 frames per level and
overflows Python's stack near 70; no real template comes close."""


@dataclass(frozen=True)
class TemplateError:
    offset: int
    """Where in the string the problem starts."""
    length: int
    message: str


@dataclass(frozen=True)
class EnvReference:
    name: str
    offset: int
    length: int


@functools.cache
def _environment() -> jinja2.Environment:
    # Dagster renders with a native environment and default delimiters; parsing needs no more.
    # Imported on first use: most files have few templates, and `check` starts faster without it.
    import jinja2

    return jinja2.Environment()


def has_template(text: str) -> bool:
    return "{{" in text or "}}" in text or "{%" in text


@functools.lru_cache(maxsize=4096)
def syntax_error(text: str) -> Optional[TemplateError]:
    """The first Jinja syntax error in a string, or an unbalanced `{{`/`}}`, else None."""
    opened = text.find("{{")
    if opened == -1:
        closed = text.find("}}")
        if closed != -1:
            return TemplateError(closed, 2, "Unbalanced '}}': there is no '{{' before it")
        return None
    from jinja2 import TemplateSyntaxError

    deep = too_deep_at(text)
    if deep is not None:
        return TemplateError(
            deep, 1, f"Template nesting is too deep: more than {MAX_BRACKETS} brackets inside each other"
        )
    try:
        _environment().parse(text)
    except TemplateSyntaxError as exc:
        start = _unclosed_expression(text)
        if start is not None:
            return TemplateError(start, len(text) - start, "Unclosed '{{': the expression needs a closing '}}'")
        expression = _failing_expression(text, TemplateSyntaxError) or _expression_on_line(
            text, _line_offset(text, (exc.lineno or 1) - 1)
        )
        message = exc.message or "invalid expression"
        if "end of print statement" in message:  # Jinja's words for `{{ 1 + }}`
            message = "the expression is incomplete before '}}'"
        return TemplateError(expression[0], expression[1], f"Template syntax error: {message}")
    return None


@functools.lru_cache(maxsize=4096)
def names_used(text: str) -> frozenset[str]:
    """The top-level names a template reads (`context`, `env`, user template vars)."""
    from jinja2 import TemplateSyntaxError, meta

    if too_deep_at(text) is not None:
        return frozenset()
    try:
        return frozenset(meta.find_undeclared_variables(_environment().parse(text)))
    except TemplateSyntaxError:
        return frozenset()


@functools.lru_cache(maxsize=4096)
def attributes_used(text: str) -> frozenset[tuple[str, str]]:
    """The `(name, attribute)` pairs a template reads as `name.attribute` (`context.project_root`)."""
    from jinja2 import TemplateSyntaxError, nodes

    try:
        tree = _environment().parse(text)
    except TemplateSyntaxError:
        return frozenset()
    return frozenset((n.node.name, n.attr) for n in tree.find_all(nodes.Getattr) if isinstance(n.node, nodes.Name))


def attribute_spans(text: str, name: str, attribute: str) -> list[tuple[int, int]]:
    """(offset, length) of each `name.attribute` inside the template expressions of a string."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(name)}\s*\.\s*{re.escape(attribute)}\b")
    out: list[tuple[int, int]] = []
    for expression in _EXPRESSION.finditer(text):
        out.extend(
            (expression.start(1) + m.start(), m.end() - m.start()) for m in pattern.finditer(expression.group(1))
        )
    return out


def env_references(text: str) -> list[EnvReference]:
    """`{{ env.X }}`, `{{ env('X') }}` and `{{ env['X'] }}` inside the template expressions of a string."""
    out = []
    for expression in _EXPRESSION.finditer(text):
        base = expression.start(1)
        for ref in _ENV_REFERENCE.finditer(expression.group(1)):
            group = next(g for g in ("attr", "call", "item") if ref.group(g))
            out.append(EnvReference(ref.group(group), base + ref.start(group), len(ref.group(group))))
    return out


def name_offsets(text: str, name: str) -> list[int]:
    """Where a bare name appears inside the template expressions of a string."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
    out: list[int] = []
    for expression in _EXPRESSION.finditer(text):
        out.extend(expression.start(1) + m.start() for m in pattern.finditer(expression.group(1)))
    return out


def trailing_dotted(expression: str) -> tuple[list[str], str]:
    """The dotted name an expression ends with, as (owners, partial): `x + a . b.pa` -> (["a", "b"], "pa").

    Scans back from the end, so it is linear: the regex it replaces (`(?:[A-Za-z_]\\w*\\s*\\.\\s*)*\\w*$`,
    searched) retried every start of a long identifier, cubic on a line typed into a template."""
    i = _word_start(expression, len(expression))
    partial = expression[i:]
    owners: list[str] = []
    while True:
        dot = _space_start(expression, i)
        if dot == 0 or expression[dot - 1] != ".":
            break
        name_end = _space_start(expression, dot - 1)
        name_start = _word_start(expression, name_end)
        name = expression[name_start:name_end]
        if not name or not (name[0] == "_" or name[0].isascii() and name[0].isalpha()):
            break
        owners.append(name)
        i = name_start
    return owners[::-1], partial


def _word_start(text: str, end: int) -> int:
    while end > 0 and (text[end - 1].isalnum() or text[end - 1] == "_"):
        end -= 1
    return end


def _space_start(text: str, end: int) -> int:
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return end


def _failing_expression(text: str, error: type[Exception]) -> Optional[tuple[int, int]]:
    """(offset, length) of the first `{{ }}` that fails to parse on its own (Jinja gives no column)."""
    for expression in _EXPRESSION.finditer(text):
        try:
            _environment().parse(expression.group(0))
        except error:
            return expression.start(), expression.end() - expression.start()
    return None


def too_deep_at(text: str) -> Optional[int]:
    """The offset of the first bracket nested more than MAX_BRACKETS deep inside a `{{ }}` or `{% %}`
    (string literals skipped, as Jinja reads them), else None. Linear, and never recursive."""
    depth, quote, inside, i = 0, "", False, 0
    while i < len(text):
        ch, pair = text[i], text[i : i + 2]
        if not inside:
            inside, depth = pair in ("{{", "{%"), 0
            i += 2 if inside else 1
            continue
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif pair in ("}}", "%}") and depth == 0:
            inside = False
            i += 1
        elif ch in "([{":
            depth += 1
            if depth > MAX_BRACKETS:
                return i
        elif ch in ")]}":
            depth = max(depth - 1, 0)
        i += 1
    return None


def _unclosed_expression(text: str) -> Optional[int]:
    depth_start = None
    i = 0
    while i < len(text) - 1:
        pair = text[i : i + 2]
        if pair == "{{":
            depth_start = i
            i += 2
            continue
        if pair == "}}":
            depth_start = None
            i += 2
            continue
        i += 1
    return depth_start


def _line_offset(text: str, line: int) -> int:
    offset = 0
    for _ in range(line):
        nxt = text.find("\n", offset)
        if nxt == -1:
            break
        offset = nxt + 1
    return offset


def _expression_on_line(text: str, line_offset: int) -> tuple[int, int]:
    start = text.find("{{", line_offset)
    if start == -1:
        return line_offset, max(len(text) - line_offset, 1)
    end = text.find("}}", start)
    return start, (end + 2 if end != -1 else len(text)) - start
