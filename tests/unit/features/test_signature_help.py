import copy
from pathlib import Path

import pytest

from dagster_components_ls.features.signature_help import signature_help
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.registry import Registry

FOLDER = "/repo/src/acme/defs/reports"
LOAD_COMPONENT = {
    "parameters": ["defs_path: ResolvableToComponentPath", "expected_type: type[T] | None = None"],
    "documentation": "Loads a component from the given path.",
}
ENV = {"parameters": ["key: str", "default: str | Any | None = ..."], "documentation": ""}
TEMPLATE_VARS = '''
import dagster as dg

@dg.template_var
def table_name():
    """The table of a dataset, with the team's prefix."""
    return lambda dataset, *, schema="raw": f"{schema}.{dataset}"

@dg.template_var
def owner_for(context):
    def owner(team: str, fallback: str = "data") -> str:
        """The owner string of a team."""
        return f"team:{team}"
    return owner

@dg.template_var
def plain() -> str:
    return "x"

def not_a_template_var():
    return lambda a: a
'''
SOURCES = {Path(FOLDER, "template_vars.py"): TEMPLATE_VARS}


@pytest.fixture(scope="module")
def ctx(registry):
    snapshot = copy.deepcopy(registry.to_snapshot())
    snapshot["template_scope"]["signatures"] = {"context.load_component": LOAD_COMPONENT, "env": ENV}
    return CheckContext(registry=Registry.from_snapshot(snapshot), folder=FOLDER, folder_module="acme.defs.reports")


def help_at(marked: str, ctx: CheckContext):
    """(label, [parameter texts], active parameter, documentation) or None."""
    offset = marked.index("‸")  # not `|`: filters need it
    text = marked[:offset] + marked[offset + 1 :]
    result = signature_help(parse_file(text), offset, ctx, SOURCES.get)
    if result is None:
        return None
    (info,) = result.signatures
    assert info.active_parameter == result.active_parameter
    parameters = [info.label[p.label[0] : p.label[1]] for p in info.parameters]
    return info.label, parameters, result.active_parameter, info.documentation.value if info.documentation else None


HEAD = "type: acme.Thing\ntemplate_vars_module: .template_vars\nattributes:\n  a: "


@pytest.mark.parametrize(
    ("marked", "expected"),
    [
        pytest.param(
            HEAD + '"{{ context.load_component(‸',
            (
                "context.load_component(defs_path: ResolvableToComponentPath, expected_type: type[T] | None = None)",
                ["defs_path: ResolvableToComponentPath", "expected_type: type[T] | None = None"],
                0,
                "Loads a component from the given path.",
            ),
            id="dagster-method-first-argument",
        ),
        pytest.param(
            HEAD + "\"{{ context.load_component('x', ‸ }}\"",
            (
                "context.load_component(defs_path: ResolvableToComponentPath, expected_type: type[T] | None = None)",
                ["defs_path: ResolvableToComponentPath", "expected_type: type[T] | None = None"],
                1,
                "Loads a component from the given path.",
            ),
            id="second-argument-closed-template",
        ),
        pytest.param(
            HEAD + "\"{{ context.load_component('half-typed‸",
            (
                "context.load_component(defs_path: ResolvableToComponentPath, expected_type: type[T] | None = None)",
                ["defs_path: ResolvableToComponentPath", "expected_type: type[T] | None = None"],
                0,
                "Loads a component from the given path.",
            ),
            id="inside-an-unclosed-string",
        ),
        pytest.param(
            HEAD + "\"{{ env('BUCKET', default=‸",
            ("env(key: str, default: str | Any | None = ...)", ["key: str", "default: str | Any | None = ..."], 1, ""),
            id="keyword-argument",
        ),
        pytest.param(
            HEAD + "\"{{ table_name('orders', schema=‸",
            (
                "table_name(dataset, schema='raw')",
                ["dataset", "schema='raw'"],
                1,
                "The table of a dataset, with the team's prefix.",
            ),
            id="template-var-returning-a-lambda",
        ),
        pytest.param(
            HEAD + "\"{{ owner_for('analytics', ‸",
            (
                "owner_for(team: str, fallback: str = 'data')",
                ["team: str", "fallback: str = 'data'"],
                1,
                "The owner string of a team.",
            ),
            id="template-var-returning-a-function",
        ),
        pytest.param(
            HEAD + '"{{ env.NAME | default(‸',
            (
                "default(value: V, default_value: V = '', boolean: bool = False)",
                ["value: V", "default_value: V = ''", "boolean: bool = False"],
                1,
                "If the value is undefined it will return the passed default value,",
            ),
            id="filter-value-is-implicit",
        ),
        pytest.param(
            # (Not `join`: typing keeps the first `Union` of the same members it made, so how its annotation
            # reads depends on what the process imported before.)
            HEAD + '"{{ env.NAME | replace(‸',
            (
                "replace(s: str, old: str, new: str, count: Optional[int] = None)",
                ["s: str", "old: str", "new: str", "count: Optional[int] = None"],
                1,
                "Return a copy of the value with all occurrences of a substring",
            ),
            id="filter-with-environment-dropped",
        ),
        pytest.param(
            HEAD + '"{{ 4 is divisibleby(‸',
            (
                "divisibleby(value: int, num: int)",
                ["value: int", "num: int"],
                1,
                "Check if a variable is divisible by a number.",
            ),
            id="test",
        ),
        pytest.param(
            HEAD + '"{{ context.load_component(env(‸',
            ("env(key: str, default: str | Any | None = ...)", ["key: str", "default: str | Any | None = ..."], 0, ""),
            id="innermost-call",
        ),
    ],
)
def test_signature(marked, expected, ctx):
    result = help_at(marked, ctx)
    assert result is not None
    label, parameters, active, documentation = result
    assert (label, parameters, active, (documentation or "").split("\n")[0]) == expected


@pytest.mark.parametrize(
    "marked",
    [
        pytest.param(HEAD + '"{{ plain(‸', id="template-var-that-is-no-function"),
        pytest.param(HEAD + '"{{ not_a_template_var(‸', id="undecorated-function"),
        pytest.param(HEAD + '"{{ context.load_component("x") }} ‸"', id="outside-the-template"),
        pytest.param(HEAD + '"{{ (1 + ‸', id="grouping-parenthesis"),
        pytest.param(HEAD + '"{{ range(‸', id="builtin-without-signature"),
        pytest.param(HEAD + "load_component(‸", id="no-template"),
        pytest.param(HEAD + '"{{ unknown_fn(‸', id="unknown-name"),
    ],
)
def test_no_signature(marked, ctx):
    assert help_at(marked, ctx) is None
