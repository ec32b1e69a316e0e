"""The tokens of `{{ }}`, `{% %}` and `{# #}` inside a string, from Jinja's own lexer, each with a kind."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional

from .templates import _environment

# What a token is, in LSP's standard words (features/semantic_tokens.py keeps them in its legend).
VARIABLE, PROPERTY, FUNCTION, METHOD, PARAMETER = "variable", "property", "function", "method", "parameter"
STRING, NUMBER, OPERATOR, KEYWORD, MACRO, COMMENT = "string", "number", "operator", "keyword", "macro", "comment"
FILTER, TEST = "filter", "test"
"""Names after `|` and `is`: shown as functions (with the defaultLibrary modifier when Jinja has them)."""

KEYWORDS = frozenset({"and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None"})
"""Names Jinja's parser reads as words of the language inside an expression."""
_PUNCTUATION = frozenset(".,:()[]{}")
"""Operator tokens that only group or separate: no token of their own (LSP has no punctuation type)."""
_DELIMITERS = {
    "variable_begin": MACRO,
    "variable_end": MACRO,
    "block_begin": MACRO,
    "block_end": MACRO,
    "comment_begin": COMMENT,
    "comment": COMMENT,
    "comment_end": COMMENT,
    "linecomment": COMMENT,
    "string": STRING,
    "integer": NUMBER,
    "float": NUMBER,
}


@dataclass(frozen=True, slots=True)
class TemplateToken:
    offset: int
    """Where in the string the token starts (it may span lines: a comment, a string literal)."""
    length: int
    kind: str
    name: str = ""
    """The identifier, for names (so modifiers can be chosen by name)."""


@functools.lru_cache(maxsize=8192)
def template_tokens(text: str) -> tuple[TemplateToken, ...]:
    """Every token of the template parts of `text`, in order; text outside them has none.

    Jinja's lexer keeps its brackets on a list, so deep nesting costs it nothing (its parser is what
    `too_deep_at` guards). Half-typed input yields the tokens read before the point where Jinja's lexer gave up (`{{ context.`
    gives `{{`, `context`), never an error."""
    if "{{" not in text and "{%" not in text and "{#" not in text:
        return ()
    return tuple(_classify(_raw_tokens(text)))


def _raw_tokens(text: str) -> list[tuple[int, str, str]]:
    """(offset, Jinja's kind, value) of each token Jinja's lexer reads, up to where it gives up."""
    from jinja2 import TemplateSyntaxError

    # (1, 'name', 'context'), (1, 'operator', '.'), ...: values are raw source, offsets are not given,
    # so each is found from where the last ended (`{{-` strips the data before it, never the token).
    raw: list[tuple[int, str, str]] = []
    at = 0
    try:
        for _, kind, value in _environment().lexer.tokeniter(text, None):
            found = text.find(value, at)
            if found == -1:  # a value Jinja rewrote (newlines normalised): stop rather than guess
                break
            raw.append((found, kind, value))
            at = found + len(value)
    except TemplateSyntaxError:
        pass  # what was read up to the error stays
    return raw


@dataclass(frozen=True)
class OpenCall:
    """The innermost call whose `(` is open at the end of a template's text: `context.load_component("x", `."""

    callee: tuple[str, ...]
    """The dotted name called: ("context", "load_component"), ("upper",) for a filter."""
    how: str
    """"call", or "filter" (`x | default(`) and "test" (`x is divisibleby(`): their value comes first."""
    argument: int
    """Which argument the end is in, 0-based (commas at the call's own depth)."""
    keyword: Optional[str] = None
    """The keyword argument being written (`default=`), if any."""


@dataclass
class _Frame:
    """An open `(` after a name, while the tokens after it are read."""

    callee: list[str]
    how: str
    argument: int = 0
    keyword: Optional[str] = None


def open_call(text: str) -> Optional[OpenCall]:
    """The call open at the end of `text`, which starts at its `{{` (or `{%`); None when there is none."""
    frames: list[Optional[_Frame]] = []  # per open bracket; None for one that is no call
    significant = [t for t in _raw_tokens(text) if t[1] not in ("whitespace", "data")]
    for i, (_, kind, value) in enumerate(significant):
        if kind in ("variable_begin", "block_begin", "variable_end", "block_end"):
            frames = []
        elif kind != "operator":
            continue
        elif value == "(":
            frames.append(_callee(significant, i))
        elif value in "[{":
            frames.append(None)
        elif value in ")]}":
            if frames:
                frames.pop()
        elif value == "," and frames and frames[-1] is not None:
            frames[-1].argument += 1
            frames[-1].keyword = None
        elif value == "=" and frames and frames[-1] is not None and i >= 2 and significant[i - 1][1] == "name":
            if significant[i - 2][2] in ("(", ","):
                frames[-1].keyword = significant[i - 1][2]
    for frame in reversed(frames):
        if frame is not None:
            return OpenCall(tuple(frame.callee), frame.how, frame.argument, frame.keyword)
    return None


def _callee(tokens: list[tuple[int, str, str]], paren: int) -> Optional[_Frame]:
    """The frame for the `(` at `paren` when a (dotted) name comes right before it, else None (`f(x).g(`,
    a grouping `(`)."""
    first = paren - 1
    if first < 0 or tokens[first][1] != "name":
        return None
    while first >= 2 and tokens[first - 1][1:] == ("operator", "."):
        if tokens[first - 2][1] != "name":
            return None
        first -= 2
    names = [value for _, kind, value in tokens[first:paren] if kind == "name"]
    if names[0] in KEYWORDS:
        return None
    before = tokens[first - 1][2] if first >= 1 else ""
    after_is = before == "is" or (before == "not" and first >= 2 and tokens[first - 2][2] == "is")
    return _Frame(names, "filter" if before == "|" else "test" if after_is else "call")


def _classify(raw: list[tuple[int, str, str]]) -> list[TemplateToken]:
    """Kinds for Jinja's tokens: names by what is around them (after `.`, before `(`, after `|`)."""
    significant = [(o, k, v) for o, k, v in raw if k not in ("whitespace", "data", "raw_begin", "raw_end")]
    values = [v for _, _, v in significant]
    kinds = [k for _, k, _ in significant]
    out: list[TemplateToken] = []
    for i, (offset, kind, value) in enumerate(significant):
        if kind == "name":
            out.append(TemplateToken(offset, len(value), _name_kind(value, i, kinds, values), value))
        elif kind == "operator":
            if value not in _PUNCTUATION:
                out.append(TemplateToken(offset, len(value), OPERATOR))
        elif kind in _DELIMITERS:
            # `-}}` takes the whitespace after it into its value; the token is the delimiter alone
            length = len(value.rstrip()) if kind.endswith("_end") else len(value)
            out.append(TemplateToken(offset, length, _DELIMITERS[kind]))
    return out


def _name_kind(value: str, i: int, kinds: list[str], values: list[str]) -> str:
    previous = values[i - 1] if i else ""
    following = values[i + 1] if i + 1 < len(values) else ""
    if i and kinds[i - 1] == "block_begin":
        return KEYWORD  # `{% if`, `{% for`, `{% endif`
    if previous == "." and kinds[i - 1] == "operator":
        return METHOD if following == "(" else PROPERTY
    if previous == "|" and kinds[i - 1] == "operator":
        return FILTER
    if value not in KEYWORDS and (previous == "is" or previous == "not" and i > 1 and values[i - 2] == "is"):
        return TEST  # `x is defined`, `x is not none`
    if value in KEYWORDS:
        return KEYWORD
    if following == "(":
        return FUNCTION
    if following == "=" and previous in ("(", ","):
        return PARAMETER  # a keyword argument: `env('X', default='y')`
    return VARIABLE
