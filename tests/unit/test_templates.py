import pytest

from dagster_components_ls.templates import EnvReference, TemplateError, env_references, name_offsets, names_used, syntax_error


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("{{ context.project_root }}/x", None, id="fine"),
        pytest.param("no templates", None, id="plain"),
        pytest.param("{{ x }", TemplateError(0, 6, "Unclosed '{{': the expression needs a closing '}}'"), id="unclosed"),
        pytest.param("a }} b", TemplateError(2, 2, "Unbalanced '}}': there is no '{{' before it"), id="stray-close"),
        pytest.param("{{ 1 + }}", TemplateError(0, 9, "Template syntax error: the expression is incomplete before '}}'"), id="jinja-error"),
        pytest.param("ok {{ a }} then {{ b + }}", TemplateError(16, 9, "Template syntax error: the expression is incomplete before '}}'"),
                     id="error-in-second-expression-on-the-line"),
    ],
)
def test_syntax_error(text, expected):
    assert syntax_error(text) == expected


def test_names_used_are_top_level_reads():
    assert names_used("{{ context.project_root }}/{{ env('X') }}{% for i in items %}{{ i }}{% endfor %}") == {
        "context", "env", "items"}


def test_env_references_in_every_form():
    text = "{{ env.A }} {{ env('B') }} {{ env[\"C\"] }} env.NOT_IN_A_TEMPLATE"
    assert env_references(text) == [EnvReference("A", 7, 1), EnvReference("B", 20, 1), EnvReference("C", 35, 1)]


def test_name_offsets_skip_attributes_and_text_outside_templates():
    assert name_offsets("node {{ node.name }} {{ x.node }}", "node") == [8]
