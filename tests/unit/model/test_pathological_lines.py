"""Lines an attacker or a careless paste makes (a megabyte of spaces, a huge identifier in a template):
every scanner on the keystroke path is linear on them (issue 21, item 6)."""

import pytest

from dagster_components_ls.checks.diagnostics import diagnose
from dagster_components_ls.features.completion import complete
from dagster_components_ls.features.definition import token_at
from dagster_components_ls.features.hover import hover
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.cursor import cursor_at
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import LineIndex
from dagster_components_ls.model.templates import trailing_dotted

MEGABYTE = 1_000_000
HEAD = "type: acme_platform.ResearchJob\nattributes:\n  "


@pytest.fixture
def ctx(registry) -> CheckContext:
    return CheckContext(registry=registry, file_name="defs.yaml", folder="/tmp", folder_module=None, project_root=None)


@pytest.mark.parametrize(
    "line, head",
    [
        pytest.param("x" + " " * MEGABYTE, HEAD, id="spaces-no-colon"),
        pytest.param("k: x" + " " * MEGABYTE + "y", HEAD, id="value-with-spaces"),
        pytest.param("description: '{{ " + "a" * MEGABYTE + " x", HEAD, id="identifier-in-template"),
        pytest.param("x" + " " * MEGABYTE, "type: acme_platform.ResearchJob\nattributes: {\n  ", id="unparsed-spaces"),
        pytest.param(
            "k: x" + " " * MEGABYTE + "y",
            "type: acme_platform.ResearchJob\nattributes: {\n  ",
            id="unparsed-value-with-spaces",
        ),
    ],
)
def test_every_keystroke_feature_is_linear_on_a_megabyte_line(line, head, ctx, bounded):
    text = head + line + "\n"
    parsed = parse_file(text)
    index = LineIndex(text)
    doc = parsed.documents[0]
    for offset in (len(head) + 1, len(text) - 2, len(text) - 1):
        assert isinstance(complete(parsed, offset, ctx, index, {}), list)
        hover(parsed, offset, ctx, index)
        token_at(doc, offset)
    assert isinstance(diagnose(parsed, ctx), list)


def test_the_cursor_on_a_megabyte_of_spaces_is_an_entry_under_attributes(bounded):
    text = HEAD + "x" + " " * MEGABYTE
    cursor = cursor_at(text, len(text))
    assert (cursor.kind, cursor.path, cursor.partial[:1], len(cursor.partial)) == (
        "entry",
        ("attributes",),
        "x",
        MEGABYTE + 1,
    )


@pytest.mark.parametrize(
    "expression, expected",
    [
        pytest.param(" context.pro", (["context"], "pro"), id="member"),
        pytest.param(" x + a . b.pa", (["a", "b"], "pa"), id="chain-with-spaces"),
        pytest.param(" env.", (["env"], ""), id="after-dot"),
        pytest.param(" 1a.b", ([], "b"), id="not-an-identifier"),
        pytest.param("", ([], ""), id="empty"),
        pytest.param(" " + "a" * MEGABYTE + " x", ([], "x"), id="megabyte-identifier"),
    ],
)
def test_trailing_dotted_name(expression, expected, bounded):
    assert trailing_dotted(expression) == expected
