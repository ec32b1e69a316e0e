import pytest

from dagster_components_ls.features.semantic_tokens import LEGEND, semantic_tokens
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import UTF16, LineIndex, Span


@pytest.fixture(scope="module")
def ctx(registry):
    return CheckContext(registry=registry, folder="/repo/src/acme/defs/x", folder_module="acme.defs.x")


def decoded(text: str, ctx: CheckContext, span=None, encoding=UTF16) -> list[tuple[str, int, str, str, list[str]]]:
    """(line text of the token, start, the token's text, type, modifiers) for each token."""
    index = LineIndex(text, encoding)
    data = semantic_tokens(parse_file(text), index, ctx, span).data
    out, line, start = [], 0, 0
    for i in range(0, len(data), 5):
        delta_line, delta_start, length, kind, mods = data[i : i + 5]
        line += delta_line
        start = start + delta_start if delta_line == 0 else delta_start
        words = index.line_text(line)
        modifiers = [m for bit, m in enumerate(LEGEND.token_modifiers) if mods >> bit & 1]
        out.append((line, start, words[start : start + length], LEGEND.token_types[kind], modifiers))
    return out


LIB = ["defaultLibrary"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            'a: "{{ context.project_root }}/dbt"\n',
            [
                (0, 4, "{{", "macro", []),
                (0, 7, "context", "variable", LIB),
                (0, 15, "project_root", "property", []),
                (0, 28, "}}", "macro", []),
            ],
            id="attribute",
        ),
        pytest.param(
            "a: s3://{{ env.BUCKET | upper }}/x\n",
            [
                (0, 8, "{{", "macro", []),
                (0, 11, "env", "variable", LIB),
                (0, 15, "BUCKET", "property", []),
                (0, 22, "|", "operator", []),
                (0, 24, "upper", "function", LIB),
                (0, 30, "}}", "macro", []),
            ],
            id="plain-scalar-with-filter",
        ),
        pytest.param(
            "a: \"{{ context.load_component('x') }}\"\n",
            [
                (0, 4, "{{", "macro", []),
                (0, 7, "context", "variable", LIB),
                (0, 15, "load_component", "method", []),
                (0, 30, "'x'", "string", []),
                (0, 35, "}}", "macro", []),
            ],
            id="method-call-with-string",
        ),
        pytest.param(
            'a: "{{ prefix ~ my_fn(1, size=2) }}"\n',
            [
                (0, 4, "{{", "macro", []),
                (0, 7, "prefix", "variable", []),
                (0, 14, "~", "operator", []),
                (0, 16, "my_fn", "function", []),
                (0, 22, "1", "number", []),
                (0, 25, "size", "parameter", []),
                (0, 29, "=", "operator", []),
                (0, 30, "2", "number", []),
                (0, 33, "}}", "macro", []),
            ],
            id="user-function-keyword-argument",
        ),
        pytest.param(
            "a: '{{ project_root }}'\n",
            [
                (0, 4, "{{", "macro", []),
                (0, 7, "project_root", "variable", ["defaultLibrary", "deprecated"]),
                (0, 20, "}}", "macro", []),
            ],
            id="deprecated-global",
        ),
        pytest.param(
            "a: |\n  echo {{ 'one\n  two' }}\n  {% if x is defined %}y{% endif %}\n",
            [
                (1, 7, "{{", "macro", []),
                (1, 10, "'one", "string", []),
                (2, 2, "two'", "string", []),
                (2, 7, "}}", "macro", []),
                (3, 2, "{%", "macro", []),
                (3, 5, "if", "keyword", []),
                (3, 8, "x", "variable", []),
                (3, 10, "is", "keyword", []),
                (3, 13, "defined", "function", LIB),
                (3, 21, "%}", "macro", []),
                (3, 24, "{%", "macro", []),
                (3, 27, "endif", "keyword", []),
                (3, 33, "%}", "macro", []),
            ],
            id="block-scalar-string-split-per-line",
        ),
        pytest.param(
            "a: \"{{ \\\"q\\\" ~ x }}\"\nb: '{{ ''r'' }}'\n",
            [
                (0, 4, "{{", "macro", []),
                (0, 8, '"q\\"', "string", []),
                (0, 13, "~", "operator", []),
                (0, 15, "x", "variable", []),
                (0, 17, "}}", "macro", []),
                (1, 4, "{{", "macro", []),
                (1, 8, "'r''", "string", []),
                (1, 13, "}}", "macro", []),
            ],
            id="escaped-quotes",
        ),
        pytest.param('a: "{{ context.', [(0, 4, "{{", "macro", []), (0, 7, "context", "variable", LIB)], id="unclosed"),
        pytest.param(
            'a: x\nb: "{{ env.\n# {{ not_me }}\n',
            [(1, 4, "{{", "macro", []), (1, 7, "env", "variable", LIB)],
            id="unparsable-yaml-comment-skipped",
        ),
        pytest.param(
            "a: {{ x }}\n",
            [(0, 3, "{{", "macro", []), (0, 6, "x", "variable", []), (0, 8, "}}", "macro", [])],
            id="unquoted-template-is-a-yaml-error",
        ),
        pytest.param("a: '{{ (( }}'\n", [(0, 4, "{{", "macro", [])], id="syntax-error-keeps-what-was-read"),
        pytest.param("# {{ x }}\na: '{x}'\nb: 1\n", [], id="no-template"),
        pytest.param(
            "a: '{{ x }}'\n---\nb: '{# c #}'\n",
            [
                (0, 4, "{{", "macro", []),
                (0, 7, "x", "variable", []),
                (0, 9, "}}", "macro", []),
                (2, 4, "{#", "comment", []),
                (2, 6, " c ", "comment", []),
                (2, 9, "#}", "comment", []),
            ],
            id="documents",
        ),
    ],
)
def test_tokens(text, expected, ctx):
    assert decoded(text, ctx) == expected


def test_range_keeps_the_tokens_overlapping_it(ctx):
    text = "a: '{{ x }}'\nb: '{{ y }}'\nc: '{{ z }}'\n"
    assert decoded(text, ctx, Span(text.index("b:"), text.index("c:"))) == [
        (1, 4, "{{", "macro", []),
        (1, 7, "y", "variable", []),
        (1, 9, "}}", "macro", []),
    ]


def test_lengths_and_starts_are_utf16_units(ctx):
    text = "a: '😀 {{ é }}'\n"
    index = LineIndex(text, UTF16)
    assert semantic_tokens(parse_file(text), index, ctx).data == [0, 7, 2, 9, 0, 0, 3, 1, 0, 0, 0, 2, 2, 9, 0]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("{{ " + "(" * 100_000, id="deep-brackets"),
        pytest.param("{{ " + "a." * 100_000, id="long-dotted-name"),
        pytest.param("{{ '" + "x" * 1_000_000, id="unclosed-string-1MB"),
    ],
)
def test_hostile_templates_are_linear(value, ctx, bounded):
    tokens = decoded(f"a: {value}\n", ctx)
    assert tokens[0] == (0, 3, "{{", "macro", [])


def test_a_byte_order_mark_is_no_column(ctx):
    # Editors send no BOM and a file read from disk keeps it: columns agree with the editor's either way.
    text = "\ufeffa: '{{ x }}'\n---\nb: '{{ y }}'\n"
    data = semantic_tokens(parse_file(text), LineIndex(text), ctx).data
    assert data == [0, 4, 2, 9, 0, 0, 3, 1, 0, 0, 0, 2, 2, 9, 0, 2, 4, 2, 9, 0, 0, 3, 1, 0, 0, 0, 2, 2, 9, 0]


def test_an_edited_document_is_read_again_and_the_others_kept(ctx):
    before = "a: '{{ x }}'\n---\nb: '{{ y }}'\n"
    after = before.replace("{{ y }}", "{{ y ~ z }}")
    decoded(before, ctx)
    assert decoded(after, ctx)[3:] == [
        (2, 4, "{{", "macro", []),
        (2, 7, "y", "variable", []),
        (2, 9, "~", "operator", []),
        (2, 11, "z", "variable", []),
        (2, 13, "}}", "macro", []),
    ]
