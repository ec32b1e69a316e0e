"""Semantic tokens of a component file's templates (`{{ }}`, `{% %}`, `{# #}`): LSP's standard types only."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Optional

from lsprotocol import types

from ..model import template_tokens as tt
from ..model.context import CheckContext
from ..model.documents import MAP, SCALAR, Node, ParsedFile, YamlDocument, parse_file
from ..model.positions import LineIndex, Span
from ..model.vocabulary import JINJA_GLOBALS, TEMPLATE_GLOBAL_DESCRIPTIONS

TOKEN_TYPES = [
    types.SemanticTokenTypes.Variable,
    types.SemanticTokenTypes.Property,
    types.SemanticTokenTypes.Function,
    types.SemanticTokenTypes.Method,
    types.SemanticTokenTypes.Parameter,
    types.SemanticTokenTypes.String,
    types.SemanticTokenTypes.Number,
    types.SemanticTokenTypes.Operator,
    types.SemanticTokenTypes.Keyword,
    types.SemanticTokenTypes.Macro,
    types.SemanticTokenTypes.Comment,
]
TOKEN_MODIFIERS = [types.SemanticTokenModifiers.DefaultLibrary, types.SemanticTokenModifiers.Deprecated]
LEGEND = types.SemanticTokensLegend(
    token_types=[t.value for t in TOKEN_TYPES], token_modifiers=[m.value for m in TOKEN_MODIFIERS]
)

_TYPE_INDEX = {t.value: i for i, t in enumerate(TOKEN_TYPES)}
# Filters and tests are functions to an editor's theme; Jinja's own are its library.
_KIND_TYPE = {tt.FILTER: types.SemanticTokenTypes.Function.value, tt.TEST: types.SemanticTokenTypes.Function.value}
DEFAULT_LIBRARY, DEPRECATED = 1, 2


def semantic_tokens(
    parsed: ParsedFile, index: LineIndex, ctx: CheckContext, span: Optional[Span] = None
) -> types.SemanticTokens:
    """The file's template tokens (those overlapping `span`, for `/range`), one line each, encoded as LSP's
    relative five-integer groups. Each document's tokens are cached by its text, so after an edit only
    the document that changed is read again."""
    library, deprecated = _library_names(ctx)
    data: list[int] = []
    last_line = last_start = 0
    for doc in parsed.documents:
        if span is not None and (doc.start + len(doc.text) <= span.start or doc.start >= span.end):
            continue
        first_line = index.line_of(doc.start)  # documents start at a line's start
        for start, end, line, character, units, kind, modifiers in _document_tokens(
            doc.text, index.encoding, library, deprecated
        ):
            if span is not None and (doc.start + end <= span.start or doc.start + start >= span.end):
                continue
            line += first_line
            delta_start = character - last_start if line == last_line else character
            data += [line - last_line, delta_start, units, kind, modifiers]
            last_line, last_start = line, character
    return types.SemanticTokens(data=data)


@functools.lru_cache(maxsize=512)
def _document_tokens(
    text: str, encoding: str, library: frozenset[str], deprecated: frozenset[str]
) -> tuple[tuple[int, int, int, int, int, int, int], ...]:
    """(start, end, line, character, length, type, modifiers) of each token piece of one document's text,
    offsets and lines relative to it, in order."""
    (doc,) = parse_file(text).documents  # the document's own parse, from the parser's cache
    index = LineIndex(text, encoding)
    out = []
    last_end = -1
    for start, length, kind, name in sorted(_tokens_of(doc)):
        if start < last_end:
            continue  # an alias's scalar is its anchor's, met again
        last_end = start + length
        token_type, token_modifiers = (
            _TYPE_INDEX[_KIND_TYPE.get(kind, kind)],
            _modifiers(kind, name, library, deprecated),
        )
        for piece_start, piece_end in _line_pieces(text, start, start + length):
            line, character, units = index.within_line(piece_start, piece_end)
            if units > 0:
                out.append((piece_start, piece_end, line, character, units, token_type, token_modifiers))
    return tuple(out)


def _tokens_of(doc: YamlDocument) -> Iterator[tuple[int, int, str, str]]:
    """(offset in the document, length, kind, name) of every template token of a document."""
    if doc.root is not None and doc.parsed:
        for node in _string_scalars(doc.root):
            source = _lexable(doc.text[node.span.start : node.span.end], node.style)
            for token in tt.template_tokens(source):
                yield node.span.start + token.offset, token.length, token.kind, token.name
    else:
        yield from _unparsed_tokens(doc)


def _string_scalars(root: Node) -> Iterator[Node]:
    """Scalar values (not keys) that may hold a template, in file order."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.kind == SCALAR:
            if node.text is not None and ("{" in node.text):
                yield node
            continue
        children = [v for _, v in node.pairs] if node.kind == MAP else node.items
        stack.extend(reversed(children))


def _lexable(source: str, style: Optional[str]) -> str:
    """A scalar's source as Jinja should read it, offsets unchanged: a quoted scalar's escaped quote
    (`\\"` in double quotes, `''` in single) becomes a space and the quote, so `"{{ \\"x\\" }}"` keeps its
    string literal. Block scalars and folded lines need nothing: their indentation is Jinja whitespace."""
    if style == "'":
        return source.replace("''", " '")
    if style == '"' and "\\" in source:
        out, i = [], 0
        while i < len(source):
            pair = source[i : i + 2]
            out.append(' "' if pair == '\\"' else pair if pair[0] == "\\" else source[i])
            i += 2 if source[i] == "\\" else 1
        return "".join(out)
    return source


def _unparsed_tokens(doc: YamlDocument) -> Iterator[tuple[int, int, str, str]]:
    """A document YAML cannot read yet (`x: "{{ context.` being typed, or `x: {{ y }}` unquoted, a YAML
    mapping): each line's templates on their own, comment lines skipped, so highlighting holds while the
    user types."""
    offset = 0
    for line in doc.text.split("\n"):
        opening = _first_opening(line)
        if opening != -1 and not line.lstrip().startswith("#"):
            for token in tt.template_tokens(line[opening:]):
                yield offset + opening + token.offset, token.length, token.kind, token.name
        offset += len(line) + 1


def _first_opening(line: str) -> int:
    found = [i for i in (line.find("{{"), line.find("{%"), line.find("{#")) if i != -1]
    return min(found) if found else -1


def _line_pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """A token's parts on each line it covers (clients without multiline token support need them); a
    continued line's part starts after its indentation (a block scalar's, not the token's)."""
    newline = text.find("\n", start, end)
    while newline != -1:
        yield start, newline
        start = newline + 1
        while start < end and text[start] in " \t":
            start += 1
        newline = text.find("\n", start, end)
    yield start, end


def _library_names(ctx: CheckContext) -> tuple[frozenset[str], frozenset[str]]:
    """Names that are Dagster's or Jinja's (not the project's own template vars), and deprecated ones."""
    scope = ctx.registry.template_scope if ctx.registry is not None else None
    scope = scope or {}
    dagster = set(scope.get("globals") or TEMPLATE_GLOBAL_DESCRIPTIONS)
    return frozenset(dagster | JINJA_GLOBALS), frozenset(scope.get("deprecated") or ())


def _modifiers(kind: str, name: str, library: frozenset[str], deprecated: frozenset[str]) -> int:
    if kind in (tt.FILTER, tt.TEST):
        return DEFAULT_LIBRARY if name in _jinja_names(kind) else 0
    if kind not in (tt.VARIABLE, tt.FUNCTION):
        return 0
    return (DEFAULT_LIBRARY if name in library else 0) | (DEPRECATED if name in deprecated else 0)


def _jinja_names(kind: str) -> frozenset[str]:
    from jinja2.defaults import DEFAULT_FILTERS, DEFAULT_TESTS

    return frozenset(DEFAULT_FILTERS if kind == tt.FILTER else DEFAULT_TESTS)
