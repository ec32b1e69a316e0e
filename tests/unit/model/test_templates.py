import pytest

from dagster_components_ls.model import templates
from dagster_components_ls.model.templates import (
    EnvReference,
    TemplateError,
    env_references,
    name_offsets,
    names_used,
    syntax_error,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("{{ context.project_root }}/x", None, id="fine"),
        pytest.param("no templates", None, id="plain"),
        pytest.param(
            "{{ x }", TemplateError(0, 6, "Unclosed '{{': the expression needs a closing '}}'"), id="unclosed"
        ),
        pytest.param("a }} b", TemplateError(2, 2, "Unbalanced '}}': there is no '{{' before it"), id="stray-close"),
        pytest.param(
            "{{ 1 + }}",
            TemplateError(0, 9, "Template syntax error: the expression is incomplete before '}}'"),
            id="jinja-error",
        ),
        pytest.param(
            "ok {{ a }} then {{ b + }}",
            TemplateError(16, 9, "Template syntax error: the expression is incomplete before '}}'"),
            id="error-in-second-expression-on-the-line",
        ),
    ],
)
def test_syntax_error(text, expected):
    assert syntax_error(text) == expected


def test_names_used_are_top_level_reads():
    assert names_used("{{ context.project_root }}/{{ env('X') }}{% for i in items %}{{ i }}{% endfor %}") == {
        "context",
        "env",
        "items",
    }


def test_env_references_in_every_form():
    text = "{{ env.A }} {{ env('B') }} {{ env[\"C\"] }} env.NOT_IN_A_TEMPLATE"
    assert env_references(text) == [EnvReference("A", 7, 1), EnvReference("B", 20, 1), EnvReference("C", 35, 1)]


def test_name_offsets_skip_attributes_and_text_outside_templates():
    assert name_offsets("node {{ node.name }} {{ x.node }}", "node") == [8]


@pytest.mark.parametrize(
    "text, offset",
    [
        pytest.param("{{ " + "(" * 80 + "1" + ")" * 80 + " }}", 3 + 30, id="parentheses"),
        pytest.param("x: {{ f(" + "[" * 200 + "]" * 200 + ") }}", 8 + 29, id="brackets"),
        pytest.param("{{ ')))))' ~ " + "(" * 40 + "1" + ")" * 40 + " }}", 13 + 30, id="closings-in-a-string"),
    ],
)
def test_templates_nested_too_deep_are_a_syntax_error_where_the_limit_is_passed(text, offset):
    assert templates.syntax_error(text) == templates.TemplateError(
        offset, 1, "Template nesting is too deep: more than 30 brackets inside each other"
    )
    assert templates.names_used(text) == frozenset()


def test_templates_at_the_nesting_limit_parse():
    text = "{{ " + "(" * 30 + "x" + ")" * 30 + " }} (((((((((((((((((((((((((((((((((((( outside"
    assert templates.syntax_error(text) is None
    assert templates.names_used(text) == {"x"}
