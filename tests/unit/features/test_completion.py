import dataclasses

import pytest
from carets import with_caret
from lsprotocol import types
from odd_documents import ODD_DOCUMENTS

from dagster_components_ls.features.completion import complete
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import LineIndex
from dagster_components_ls.model.registry import ComponentType

ENVIRON = {"HOME": "/home/ada", "DBT_TARGET": "dev", "NOT-AN-IDENTIFIER": "x"}
RESEARCH = "type: acme_platform.ResearchJob\nattributes:\n"
SCRIPT = "type: dagster.PythonScriptComponent\nattributes:\n"
DBT = "type: dagster_dbt.DbtProjectComponent\nattributes:\n"

ENVELOPE_KEYS = ["type", "attributes", "template_vars_module", "requirements", "post_processing"]
RESEARCH_KEYS = [
    "asset_key",
    "owner",
    "notebook",
    "script",
    "compute_size",
    "observability",
    "deps",
    "description",
    "tags",
]
ASSET_SPEC_KEYS = [
    "deps",
    "description",
    "metadata",
    "group_name",
    "skippable",
    "code_version",
    "owners",
    "tags",
    "kinds",
    "automation_condition",
    "partitions_def",
    "freshness_policy",
]
TYPES = [
    "acme_platform.ResearchJob",
    "dagster.DefsFolderComponent",
    "dagster.PythonScriptComponent",
    "dagster_dbt.DbtProjectComponent",
]
# What choosing a type inserts in a document that has nothing else: the required attributes as tab stops.
SKELETONS = {
    "acme_platform.ResearchJob": "acme_platform.ResearchJob\nattributes:\n  asset_key: ${1:research/churn_model}\n  owner: ${2:team:research}",
    "dagster.DefsFolderComponent": "dagster.DefsFolderComponent",
    "dagster.PythonScriptComponent": "dagster.PythonScriptComponent\nattributes:\n  execution:\n    path: ${1}",
    "dagster_dbt.DbtProjectComponent": "dagster_dbt.DbtProjectComponent\nattributes:\n  project: ${1:'{{ project_root \\}\\}/path/to/dbt_project'}",
}
TEMPLATE_GLOBALS = [
    "context",
    "datetime",
    "dg",
    "env",
    "automation_condition",
    "build_defs_at_path",
    "load_component_at_path",
    "project_root",
]
CONTEXT_MEMBERS = ["project_root", "load_component", "build_defs"]
DG_MEMBERS = [
    "AutomationCondition",
    "FreshnessPolicy",
    "DailyPartitionsDefinition",
    "WeeklyPartitionsDefinition",
    "MonthlyPartitionsDefinition",
    "HourlyPartitionsDefinition",
    "StaticPartitionsDefinition",
    "TimeWindowPartitionsDefinition",
]
DEPRECATED = [types.CompletionItemTag.Deprecated]


def run(marked: str, ctx: CheckContext) -> tuple[str, list[types.CompletionItem]]:
    """The text and its completion items in the order the client shows them (by sort_text)."""
    text, offset = with_caret(marked)
    items = complete(parse_file(text), offset, ctx, LineIndex(text), ENVIRON)
    return text, sorted(items, key=lambda item: item.sort_text)


def labels(marked: str, ctx: CheckContext) -> list[str]:
    return [item.label for item in run(marked, ctx)[1]]


def edits(marked: str, ctx: CheckContext) -> dict[str, tuple[str, str]]:
    """label -> (new text, the text it replaces with `|` at the cursor)."""
    text, items = run(marked, ctx)
    _, offset = with_caret(marked)
    index = LineIndex(text)
    out = {}
    for item in items:
        start, end = index.offset_at(item.text_edit.range.start), index.offset_at(item.text_edit.range.end)
        out[item.label] = (item.text_edit.new_text, f"{text[start:offset]}|{text[offset:end]}")
    return out


def component(key: str, schema: dict, aliases: tuple[str, ...] = ()) -> ComponentType:
    return ComponentType(
        key=key,
        aliases=aliases,
        summary=f"{key} summary",
        description=None,
        schema=schema,
        scaffold_params_schema=None,
        source_path=None,
        source_line=None,
        package=None,
        version=None,
    )


@pytest.fixture
def ctx(registry) -> CheckContext:
    return CheckContext(registry=registry)


# --- keys ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param("type: acme_platform.ResearchJob\n|", ENVELOPE_KEYS[1:], id="envelope-without-present-type"),
        pytest.param(RESEARCH + "  |", RESEARCH_KEYS, id="attributes-required-first-then-ui-order"),
        pytest.param(RESEARCH + "  asset_key: x\n  |\n  owner: y\n", RESEARCH_KEYS[2:], id="present-above-and-below"),
        pytest.param(RESEARCH + "  ob|", RESEARCH_KEYS, id="partial-key"),
        pytest.param(
            RESEARCH + "  observability:\n    |",
            ["log_level", "alert_channel", "sla_minutes"],
            id="nested-through-ref-and-anyOf",
        ),
        pytest.param(SCRIPT + "  assets:\n    - |", ["key", *ASSET_SPEC_KEYS], id="new-list-item-of-objects"),
        pytest.param(
            SCRIPT + "  assets:\n    - key: a\n      |\n    - key: b\n      deps: []\n",
            ASSET_SPEC_KEYS,
            id="second-key-of-a-list-item",
        ),
        pytest.param(
            SCRIPT + "  assets:\n    - key: a\n    - |\n      deps: []\n",
            ["key", *ASSET_SPEC_KEYS[1:]],
            id="new-item-sees-only-its-own-keys",
        ),
        pytest.param(
            DBT + "  project:\n    |",
            [
                "project_dir",
                "target_path",
                "profiles_dir",
                "profile",
                "target",
                "packaged_project_dir",
                "state_path",
                "prepare_project_cli_args",
                "repo_url",
                "repo_relative_path",
                "token",
            ],
            id="union-of-object-alternatives",
        ),
        pytest.param("type: x\npost_processing:\n  |", ["assets"], id="post-processing"),
        pytest.param(
            "type: x\npost_processing:\n  assets:\n    - |",
            ["attributes", "target", "operation"],
            id="post-processing-item",
        ),
        pytest.param("type: x\nrequirements:\n  |", ["env"], id="requirements"),
        pytest.param(
            RESEARCH + "  observability: {log_level: info, |}", ["alert_channel", "sla_minutes"], id="flow-mapping"
        ),
        pytest.param(
            RESEARCH + "  observability: {|, sla_minutes: 5}",
            ["log_level", "alert_channel"],
            id="flow-mapping-key-after-cursor",
        ),
        pytest.param(
            "type: dagster.DefsFolderComponent\n---\n" + RESEARCH + "  observability:\n    l|",
            ["log_level", "alert_channel", "sla_minutes"],
            id="second-document",
        ),
        pytest.param(
            RESEARCH + '  observability:\n    |\n  owner: "never closed\n',
            ["log_level", "alert_channel", "sla_minutes"],
            id="yaml-error-elsewhere",
        ),
        pytest.param(
            RESEARCH.replace("\n", "\r\n") + "  observability:\r\n    |\r\n",
            ["log_level", "alert_channel", "sla_minutes"],
            id="crlf",
        ),
        pytest.param("type: acme_platform.Nope\nattributes:\n  |", [], id="unknown-type"),
        pytest.param(RESEARCH + "  asset_key: x\n    |", [], id="continuation-of-a-scalar"),
        pytest.param(RESEARCH + "  # |", [], id="comment"),
    ],
)
def test_keys(marked, expected, ctx):
    assert labels(marked, ctx) == expected


@pytest.mark.parametrize(
    "marked, label, expected",
    [
        pytest.param(RESEARCH + "  |", "asset_key", ("asset_key: ", "|"), id="scalar"),
        pytest.param(RESEARCH + "  |", "observability", ("observability:\n    ", "|"), id="object"),
        pytest.param(RESEARCH + "  |", "deps", ("deps:\n    - ", "|"), id="list"),
        pytest.param(RESEARCH + "  ob|", "observability", ("observability:\n    ", "ob|"), id="replaces-partial"),
        pytest.param(RESEARCH + "  ob|servability: x", "owner", ("owner", "ob|servability"), id="before-a-colon"),
        pytest.param(SCRIPT + "  assets:\n    - |", "owners", ("owners:\n        - ", "|"), id="indented-under-item"),
        pytest.param(
            RESEARCH + "  observability: {log_level: info, |}", "sla_minutes", ("sla_minutes: ", "|"), id="flow"
        ),
        pytest.param(RESEARCH.replace("\n", "\r\n") + "  |\r\n", "tags", ("tags:\r\n    ", "|"), id="crlf"),
    ],
)
def test_key_edits(marked, label, expected, ctx):
    assert edits(marked, ctx)[label] == expected


def test_multi_line_key_inserts_keep_their_indentation(ctx):
    _, items = run(RESEARCH + "  |", ctx)
    assert {i.label: i.insert_text_mode for i in items if i.insert_text_mode} == {
        "observability": types.InsertTextMode.AsIs,
        "deps": types.InsertTextMode.AsIs,
        "tags": types.InsertTextMode.AsIs,
    }


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(
            RESEARCH + "  |",
            {
                "asset_key": "str",
                "owner": "str",
                "notebook": "str | None",
                "script": "str | None",
                "compute_size": "'small' | 'medium' | 'large'",
                "observability": "Observability",
                "deps": "list[str]",
                "description": "str | None",
                "tags": "dict[str, str]",
            },
            id="research-job",
        ),
        pytest.param(
            RESEARCH + "  observability:\n    |",
            {
                "log_level": "'debug' | 'info' | 'warning'",
                "alert_channel": "str | None",
                "sla_minutes": "int (5..1440)",
            },
            id="observability",
        ),
        pytest.param(
            DBT + "  project: p\n  |",
            {
                "cli_args": "list[str | dict[str, Any]]",
                "include_metadata": "list['column_metadata' | 'row_count' | 'insights']",
                "op": "OpSpec | None",
                "select": "str",
                "exclude": "str",
                "selector": "str",
                "translation": "str | AssetSpecUpdateKwargs",
                "translation_settings": "DagsterDbtComponentTranslatorSettings | None",
                "prepare_if_dev": "bool",
            },
            id="dbt",
        ),
        pytest.param(
            "type: x\n|",
            {
                "attributes": "dict[str, Any] | None",
                "template_vars_module": "str | None",
                "requirements": "ComponentRequirements | None",
                "post_processing": "dict[str, Any] | None",
            },
            id="envelope",
        ),
    ],
)
def test_key_details_are_readable_types(marked, expected, ctx):
    assert {item.label: item.detail for item in run(marked, ctx)[1]} == expected


def test_key_documentation_is_the_field_description(ctx):
    _, items = run(RESEARCH + "  comp|", ctx)
    item = next(i for i in items if i.label == "compute_size")
    assert (item.kind, item.documentation) == (
        types.CompletionItemKind.Property,
        types.MarkupContent(
            kind=types.MarkupKind.Markdown,
            value="Compute size from the platform whitelist: `small`, `medium` or `large`.",
        ),
    )


# --- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(RESEARCH + "  compute_size: |", [("small", None), ("medium", None), ("large", None)], id="enum"),
        pytest.param(
            RESEARCH + "  observability:\n    log_level: |",
            [("debug", None), ("info", "default"), ("warning", None)],
            id="literal-with-default",
        ),
        pytest.param(
            RESEARCH + "  observability:\n    sla_minutes: |", [("60", "default")], id="int-default-and-example"
        ),
        pytest.param(
            RESEARCH + "  observability:\n    alert_channel: |",
            [("null", "default"), ("'#research-alerts'", "example")],
            id="null-default-and-quoted-example",
        ),
        pytest.param(DBT + "  prepare_if_dev: |", [("true", "default"), ("false", None)], id="boolean"),
        pytest.param(
            SCRIPT + "  assets:\n    - key: a\n      skippable: |",
            [("true", None), ("false", None), ("null", "default")],
            id="boolean-or-null",
        ),
        pytest.param(SCRIPT + "  execution:\n    type: |", [("script", "default")], id="const"),
        pytest.param(
            DBT + "  exclude: |", [("''", "default"), ("tag:skip_dagster", "example")], id="empty-string-default"
        ),
        pytest.param(RESEARCH + "  deps: |", [("[customers, orders]", "example")], id="list-example-in-flow-style"),
        pytest.param(
            RESEARCH + "  observability: |",
            [("{alert_channel: '#research-alerts', log_level: info, sla_minutes: 60}", "example")],
            id="mapping-example-in-flow-style",
        ),
        pytest.param(
            DBT + "  project: |",
            [
                ("'{{ project_root }}/path/to/dbt_project'", "example"),
                ("{profile: your_profile, project_dir: path/to/dbt_project, target: your_target}", "example"),
                ("{prepare_project_cli_args: [compile, --quiet], project_dir: path/to/dbt_project}", "example"),
            ],
            id="examples-of-every-alternative",
        ),
        pytest.param(
            RESEARCH + "  deps:\n    - |",
            [("customers", "example"), ("orders", "example")],
            id="list-item-from-the-list-examples",
        ),
        pytest.param(
            RESEARCH + "  deps: [customers, |]",
            [("customers", "example"), ("orders", "example")],
            id="flow-sequence-item",
        ),
        pytest.param(
            DBT + "  include_metadata:\n    - |",
            [("column_metadata", None), ("row_count", None), ("insights", None)],
            id="list-item-enum-examples-already-listed",
        ),
        pytest.param(
            RESEARCH + "  observability: {log_level: |}",
            [("debug", None), ("info", "default"), ("warning", None)],
            id="flow-mapping-value",
        ),
        pytest.param(
            RESEARCH + "  compute_size:\n    |",
            [("small", None), ("medium", None), ("large", None)],
            id="value-on-the-next-line",
        ),
        pytest.param(
            RESEARCH + '  compute_size: "m|"', [("small", None), ("medium", None), ("large", None)], id="inside-quotes"
        ),
        pytest.param(RESEARCH + '  observability:\n    sla_minutes: "|', [], id="inside-quotes-only-strings"),
        pytest.param(RESEARCH + '  compute_size: "small" |', [], id="after-a-closed-string"),
        pytest.param(RESEARCH + "  compute_size: small # |", [], id="in-a-comment"),
    ],
)
def test_values(marked, expected, ctx):
    assert [(item.label, item.detail) for item in run(marked, ctx)[1]] == expected


@pytest.mark.parametrize(
    "marked, label, expected",
    [
        pytest.param(RESEARCH + "  compute_size: me|", "medium", ("medium", "me|"), id="replaces-partial"),
        pytest.param(RESEARCH + "  compute_size: me|d", "medium", ("medium", "me|d"), id="replaces-the-word"),
        pytest.param(RESEARCH + '  compute_size: "m|"', "medium", ("medium", "m|"), id="inside-quotes"),
        pytest.param(
            RESEARCH + "  observability:\n    alert_channel: |",
            "'#research-alerts'",
            ("'#research-alerts'", "|"),
            id="quoted-where-plain-would-be-a-comment",
        ),
        pytest.param(
            RESEARCH + "  observability:\n    alert_channel: '|",
            "#research-alerts",
            ("#research-alerts", "|"),
            id="raw-inside-quotes",
        ),
        pytest.param(RESEARCH + "  deps: |", "[customers, orders]", ("[customers, orders]", "|"), id="flow-list"),
    ],
)
def test_value_edits(marked, label, expected, ctx):
    assert edits(marked, ctx)[label] == expected


def test_the_default_value_is_preselected(ctx):
    _, items = run(RESEARCH + "  observability:\n    log_level: |", ctx)
    assert [(item.label, item.kind, item.preselect) for item in items] == [
        ("debug", types.CompletionItemKind.EnumMember, None),
        ("info", types.CompletionItemKind.EnumMember, True),
        ("warning", types.CompletionItemKind.EnumMember, None),
    ]


def test_dagster_unset_default_is_never_shown(registry):
    unset = "__DAGSTER_UNSET_DEFAULT__"
    schema = {
        "type": "object",
        "properties": {
            "mode": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": unset, "examples": ["fast"]},
            "options": {"type": "object", "additionalProperties": True, "default": {"a": unset}},
        },
    }
    ctx = CheckContext(registry=dataclasses.replace(registry, types={"acme.Unset": component("acme.Unset", schema)}))
    assert labels("type: acme.Unset\nattributes:\n  mode: |", ctx) == ["null", "fast"]
    assert labels("type: acme.Unset\nattributes:\n  options: |", ctx) == []


def test_requirements_env_items_offer_unlisted_environment_variables(ctx):
    assert labels("type: x\nrequirements:\n  env:\n    - HOME\n    - |", ctx) == ["DBT_TARGET", "NOT-AN-IDENTIFIER"]


# --- component types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(
            "type: |",
            {name: (SKELETONS[name], "|") for name in TYPES},
            id="alone-in-the-document-writes-required-attributes",
        ),
        pytest.param(
            "# a comment\ntype: acme|\n\n",
            {name: (SKELETONS[name], "acme|") for name in TYPES},
            id="comments-and-blank-lines-do-not-count",
        ),
        pytest.param(
            "type: dagster.DefsFolderComponent\n---\ntype: |",
            {name: (SKELETONS[name], "|") for name in TYPES},
            id="second-document-alone",
        ),
        pytest.param(
            "type: dagster_dbt.|Proj\nattributes: {}\n",
            {name: (name, "dagster_dbt.|Proj") for name in TYPES},
            id="with-attributes-only-the-name",
        ),
        pytest.param('type: "dag|"', {name: (name, "dag|") for name in TYPES}, id="inside-quotes"),
    ],
)
def test_type_edits(marked, expected, ctx):
    assert edits(marked, ctx) == expected


def test_type_items_carry_summary_markdown_and_snippet_format(ctx):
    _, items = run("type: |", ctx)
    summary = "Runs a researcher's notebook or script on the shared cluster and materializes one asset."
    assert [
        (i.label, i.kind, i.detail.split(".")[0], i.documentation.kind, i.insert_text_format, i.insert_text_mode)
        for i in items
    ] == [
        (
            "acme_platform.ResearchJob",
            types.CompletionItemKind.Class,
            summary[:-1],
            types.MarkupKind.Markdown,
            types.InsertTextFormat.Snippet,
            types.InsertTextMode.AsIs,
        ),
        (
            "dagster.DefsFolderComponent",
            types.CompletionItemKind.Class,
            "A component that represents a directory containing multiple Dagster definition modules",
            types.MarkupKind.Markdown,
            None,
            None,
        ),  # nothing required: plain text
        (
            "dagster.PythonScriptComponent",
            types.CompletionItemKind.Class,
            "Represents a Python script, alongside the set of assets and asset checks that it is responsible for "
            "executing",
            types.MarkupKind.Markdown,
            types.InsertTextFormat.Snippet,
            types.InsertTextMode.AsIs,
        ),
        (
            "dagster_dbt.DbtProjectComponent",
            types.CompletionItemKind.Class,
            "Expose a DBT project to Dagster as a set of assets",
            types.MarkupKind.Markdown,
            types.InsertTextFormat.Snippet,
            types.InsertTextMode.AsIs,
        ),
    ]
    assert items[0].documentation.value.startswith(summary + "\n\nThe platform team's governed way")


def test_relative_types_first_and_shorter_aliases(registry):
    local = dataclasses.replace(
        registry,
        types={
            **registry.types,
            "acme_analytics.defs.reports.Local": component("acme_analytics.defs.reports.Local", {}),
            "pkg.deep.module.Thing": component(
                "pkg.deep.module.Thing", {}, aliases=("pkg.Thing", "pkg.deep.module.impl.Thing")
            ),
        },
    )
    ctx = CheckContext(registry=local, folder_module="acme_analytics.defs.reports")
    assert labels("type: x|\nattributes: {}", ctx) == [".Local", *TYPES, "pkg.Thing", "pkg.deep.module.Thing"]


def test_an_empty_document_offers_envelope_keys_then_one_snippet_per_type(ctx):
    assert edits("|", ctx) == {
        "type": ("type: ", "|"),
        "attributes": ("attributes:\n  ", "|"),
        "template_vars_module": ("template_vars_module: ", "|"),
        "requirements": ("requirements:\n  ", "|"),
        "post_processing": ("post_processing:\n  ", "|"),
        **{f"type: {name}": (f"type: {SKELETONS[name]}", "|") for name in TYPES},
    }


def test_new_document_snippets_escape_placeholders(registry):
    schema = {
        "type": "object",
        "required": ["cost", "flag", "items"],
        "properties": {
            "cost": {"type": "string", "examples": ["$5 {a} \\ b"]},
            "flag": {"type": "boolean"},
            "items": {"type": "array", "items": {"type": "string"}},
        },
    }
    ctx = CheckContext(registry=dataclasses.replace(registry, types={"acme.Priced": component("acme.Priced", schema)}))
    assert edits("ty|", ctx)["type: acme.Priced"] == (
        "type: acme.Priced\nattributes:\n  cost: ${1:\\$5 {a\\} \\\\ b}\n  flag: ${2:true}\n  items:\n    - ${3}",
        "ty|",
    )


# --- templates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(RESEARCH + '  owner: "{{ |"', TEMPLATE_GLOBALS, id="top-level-names"),
        pytest.param(RESEARCH + "  owner: team-{{ con|", TEMPLATE_GLOBALS, id="plain-scalar-partial-name"),
        pytest.param(RESEARCH + '  owner: "{{ context.|"', CONTEXT_MEMBERS, id="context"),
        pytest.param(RESEARCH + '  owner: "{{ dg.|"', DG_MEMBERS, id="dg"),
        pytest.param(RESEARCH + '  owner: "{{ datetime.|"', ["datetime", "timedelta"], id="datetime"),
        pytest.param(
            'type: x\nrequirements:\n  env: [TEAM, HOME]\nattributes:\n  owner: "{{ env.|"',
            ["TEAM", "HOME", "DBT_TARGET"],
            id="env-requirements-first",
        ),
        pytest.param(
            RESEARCH + "  owner: \"{{ env('|') }}\"", ["DBT_TARGET", "HOME", "NOT-AN-IDENTIFIER"], id="env-call"
        ),
        pytest.param(RESEARCH + '  owner: "{{ env.|', ["DBT_TARGET", "HOME"], id="unclosed-quote"),
        pytest.param(
            DBT + '  translation:\n    group_name: "{{ |"',
            [*TEMPLATE_GLOBALS[:4], "node", "spec", *TEMPLATE_GLOBALS[4:]],
            id="dbt-translation-extras",
        ),
        pytest.param(DBT + '  project: "{{ |"', TEMPLATE_GLOBALS, id="no-extras-outside-translation"),
        pytest.param(RESEARCH + '  deps:\n    - "{{ dg.|"', DG_MEMBERS, id="list-item"),
        pytest.param(
            RESEARCH + '  observability: {alert_channel: "{{ datetime.|"}', ["datetime", "timedelta"], id="flow"
        ),
        pytest.param(RESEARCH + "  description: >\n    Owned by {{ context.pro|", CONTEXT_MEMBERS, id="block-scalar"),
        pytest.param(RESEARCH + '  owner: "{{ dg.AutomationCondition.|"', [], id="no-deeper-members"),
        pytest.param(RESEARCH + '  owner: "{{ node.|"', [], id="unknown-owner"),
        pytest.param(
            RESEARCH + '  owner: "{{ env.HOME }} |"',
            ["team:research", "ada@acme.example"],
            id="after-a-closed-expression-values-again",
        ),
    ],
)
def test_template_names(marked, expected, ctx):
    assert labels(marked, ctx) == expected


def test_template_items_detail_and_deprecation(ctx):
    _, items = run(DBT + '  translation:\n    group_name: "{{ |"', ctx)
    assert [(i.label, i.detail, i.tags) for i in items] == [
        ("context", "the load context: project_root, load_component, build_defs", None),
        ("datetime", "Python's datetime module (datetime, timedelta)", None),
        ("dg", "Dagster's template helpers: AutomationCondition, FreshnessPolicy and the partitions definitions", None),
        ("env", "environment variables: env.NAME, or env('NAME', 'default') with a default", None),
        ("node", "from dagster_dbt.DbtProjectComponent", None),
        ("spec", "from dagster_dbt.DbtProjectComponent", None),
        ("automation_condition", "use {{ dg.AutomationCondition.* }}", DEPRECATED),
        ("build_defs_at_path", "use {{ context.build_defs }}", DEPRECATED),
        ("load_component_at_path", "use {{ context.load_component }}", DEPRECATED),
        ("project_root", "use {{ context.project_root }}", DEPRECATED),
    ]


@pytest.mark.parametrize(
    "marked, label, expected",
    [
        pytest.param(RESEARCH + '  owner: "{{ con|"', "context", ("context", "con|"), id="name"),
        pytest.param(
            RESEARCH + '  owner: "{{ con|text.project_root }}"', "context", ("context", "con|text"), id="name-mid-word"
        ),
        pytest.param(RESEARCH + '  owner: "{{ context.pro| }}"', "project_root", ("project_root", "pro|"), id="member"),
        pytest.param(RESEARCH + '  owner: "{{ env.H|OME }}"', "HOME", ("HOME", "H|OME"), id="env-name"),
        pytest.param(
            RESEARCH + "  owner: \"{{ env('NOT|') }}\"",
            "NOT-AN-IDENTIFIER",
            ("NOT-AN-IDENTIFIER", "NOT|"),
            id="env-call",
        ),
    ],
)
def test_template_edits(marked, label, expected, ctx):
    assert edits(marked, ctx)[label] == expected


def test_user_template_vars_from_the_component_and_template_vars_module(registry):
    folder = "/p/src/acme_analytics/defs/jobs"  # the worker keys a template_vars_module by its file
    scope = {
        **registry.template_scope,
        "user_vars": {"acme_platform.ResearchJob": ["cluster"], f"{folder}/template_vars.py": ["region"]},
    }
    ctx = CheckContext(registry=dataclasses.replace(registry, template_scope=scope), folder=folder)
    marked = 'type: acme_platform.ResearchJob\ntemplate_vars_module: .template_vars\nattributes:\n  owner: "{{ |"'
    assert [(i.label, i.detail) for i in run(marked, ctx)[1] if not i.tags] == [
        ("cluster", "template var"),
        ("context", "the load context: project_root, load_component, build_defs"),
        ("datetime", "Python's datetime module (datetime, timedelta)"),
        ("dg", "Dagster's template helpers: AutomationCondition, FreshnessPolicy and the partitions definitions"),
        ("env", "environment variables: env.NAME, or env('NAME', 'default') with a default"),
        ("region", "template var"),
    ]


# --- before the registry, and any input ----------------------------------------------------------


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param("|", ENVELOPE_KEYS, id="envelope-keys"),
        pytest.param("type: x\nrequirements:\n  |", ["env"], id="requirements"),
        pytest.param("type: |", [], id="no-types"),
        pytest.param(RESEARCH + "  |", [], id="no-attributes"),
        pytest.param(RESEARCH + '  owner: "{{ |"', [], id="no-template-scope"),
        pytest.param(
            "requirements:\n  env: [TEAM]\n" + RESEARCH + '  owner: "{{ env.|"',
            ["TEAM", "DBT_TARGET", "HOME"],
            id="env-names-need-no-registry",
        ),
    ],
)
def test_before_the_registry_is_ready(marked, expected):
    assert labels(marked, CheckContext(registry=None)) == expected


# The shared odd documents, plus one that needs a real component around it.
COMPLETION_ODD_DOCUMENTS = [
    *ODD_DOCUMENTS,
    SCRIPT + "  assets:\n  - key: a\n  - \n    x\n  - - - -\n",
]


@pytest.mark.parametrize("text", COMPLETION_ODD_DOCUMENTS)
@pytest.mark.parametrize("ready", [True, False], ids=["registry", "no-registry"])
def test_completes_at_every_offset_without_exceptions(text, ready, registry):
    ctx = CheckContext(registry=registry if ready else None, folder_module="acme_platform")
    parsed, index = parse_file(text), LineIndex(text)
    for offset in range(len(text) + 1):
        for item in complete(parsed, offset, ctx, index, ENVIRON):
            assert item.text_edit.range.start.line == item.text_edit.range.end.line


def test_sort_text_keeps_the_returned_order(ctx):
    text = RESEARCH + "  "
    items = complete(parse_file(text), len(text), ctx, LineIndex(text), ENVIRON)
    assert [i.sort_text for i in items] == [f"{i:04d}" for i in range(9)]


def test_deprecated_fields_come_last_tagged_with_the_reason(deprecating_registry):
    _, items = run("type: acme.Sling\nattributes:\n  |", CheckContext(registry=deprecating_registry))
    assert [(i.label, i.tags, i.documentation.value if i.documentation else None) for i in items] == [
        ("connections", None, "Connections by name."),
        ("replications", None, None),
        (
            "sling",
            DEPRECATED,
            "**Deprecated**: The `sling` field is deprecated, use `connections` instead. This "
            "field will be removed in a future release.",
        ),
    ]
    _, nested = run(
        "type: acme.Sling\nattributes:\n  replications:\n    - |", CheckContext(registry=deprecating_registry)
    )
    assert [(i.label, i.tags, i.documentation.value if i.documentation else None) for i in nested] == [
        ("path", None, None),
        ("old_path", DEPRECATED, "**Deprecated**."),
    ]
