import copy

import pytest
from carets import with_caret
from lsprotocol import types
from odd_documents import ODD_DOCUMENTS

from dagster_components_ls.features.hover import hover, rst_to_markdown
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import LineIndex
from dagster_components_ls.model.registry import Registry
from dagster_components_ls.model.schemas import type_label

FOLDER = "/repo/src/acme/defs/research"
RESEARCH = "type: acme_platform.ResearchJob\nattributes:\n"
DBT = "type: dagster_dbt.DbtProjectComponent\nattributes:\n"


@pytest.fixture(scope="module")
def ctx(registry):
    """The snapshot's registry with a source file for ResearchJob and a template vars module."""
    snapshot = copy.deepcopy(registry.to_snapshot())
    for t in snapshot["types"]:
        if t["key"] == "acme_platform.ResearchJob":
            t["source"] = {"path": "/repo/src/acme_platform/components/research_job.py", "line": 12}
    snapshot["template_scope"]["user_vars"] = {
        f"{FOLDER}/template_vars.py": ["table_prefix"],
        "dagster.PythonScriptComponent": ["script_var"],
    }
    return CheckContext(
        registry=Registry.from_snapshot(snapshot),
        folder=FOLDER,
        folder_module="acme.defs.research",
        project_root="/repo",
    )


def hover_at(marked: str, ctx: CheckContext):
    """(Markdown, the hovered text) or None."""
    text, offset = with_caret(marked)
    result = hover(parse_file(text), offset, ctx, LineIndex(text))
    if result is None:
        return None
    assert result.contents.kind == types.MarkupKind.Markdown
    index = LineIndex(text)
    return result.contents.value, text[index.offset_at(result.range.start) : index.offset_at(result.range.end)]


def test_type_value_shows_the_component(ctx):
    description = ctx.registry.lookup("acme_platform.ResearchJob").description
    assert hover_at("type: acme_platform.Research|Job\n", ctx) == (
        f"**ResearchJob** `acme_platform.ResearchJob`\n\n{description}\n\n---\n\n"
        "Package `acme-platform` 0.1.0 · "
        "[research_job.py:12](file:///repo/src/acme_platform/components/research_job.py#L12)",
        "acme_platform.ResearchJob",
    )


def test_type_value_of_a_project_type_without_package_or_source(registry):
    snapshot = copy.deepcopy(registry.to_snapshot())
    snapshot["types"] = [
        {
            "key": "acme.defs.research.local.Report",
            "aliases": [],
            "summary": "Builds a report.",
            "description": "A weekly report.",
            "schema": None,
            "source": None,
        }
    ]
    ctx = CheckContext(registry=Registry.from_snapshot(snapshot), folder_module="acme.defs.research")
    assert hover_at('type: ".local.Rep|ort"\n', ctx) == (
        "**Report** `acme.defs.research.local.Report`\n\nBuilds a report.\n\nA weekly report.",
        '".local.Report"',
    )


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(
            RESEARCH + "  observability:\n    sla_min|utes: 60\n",
            (
                "`sla_minutes: int (5..1440)`\n\n"
                "Maximum minutes a run may take before the platform alerts (5 to 1440, one day).\n\n"
                "Optional, default `60`. Accepts `{{ }}` templates.\n\n"
                "Example:\n\n```yaml\nsla_minutes: 60\n```",
                "sla_minutes",
            ),
            id="bounded-int-under-a-ref",
        ),
        pytest.param(
            RESEARCH + "  compute_|size: medium\n",
            (
                "`compute_size: 'small' | 'medium' | 'large'`\n\n"
                "Compute size from the platform whitelist: `small`, `medium` or `large`.\n\n"
                "Optional. Accepts `{{ }}` templates.\n\n"
                "Example:\n\n```yaml\ncompute_size: medium\n```",
                "compute_size",
            ),
            id="enum-field",
        ),
        pytest.param(
            RESEARCH + "  asset_|key: research/x\n",
            (
                "`asset_key: str`\n\n"
                "Key of the asset this job materializes, `/`-separated, e.g. `research/churn_model`. At least two "
                "lowercase snake_case segments; the first (the namespace) must not be `marts`, `raw` or `staging`.\n\n"
                "Required.\n\n"
                "Example:\n\n```yaml\nasset_key: research/churn_model\n```",
                "asset_key",
            ),
            id="required-string-no-template-note",
        ),
        pytest.param(
            RESEARCH + "  |observability: {}\n",
            (
                "`observability: Observability`\n\n"
                "Log level, alert channel and SLA of the job's runs.\n\n"
                "Optional. Accepts `{{ }}` templates.\n\n"
                "Example:\n\n```yaml\nobservability:\n  alert_channel: '#research-alerts'\n  log_level: info\n"
                "  sla_minutes: 60\n```",
                "observability",
            ),
            id="object-named-after-its-def",
        ),
        pytest.param(
            DBT + "  cli_args|:\n    - build\n",
            (
                "`cli_args: list[str | dict[str, Any]]`\n\n"
                "Arguments to pass to the dbt CLI when executing. Defaults to `['build']`.\n\n"
                "Optional. Accepts `{{ }}` templates.\n\n"
                "Examples:\n\n```yaml\ncli_args:\n- run\n```\n\n"
                "```yaml\ncli_args:\n- build\n- --full_refresh\n- --vars:\n    end_date: '{{ partition_range_end }}'\n"
                "    start_date: '{{ partition_range_start }}'\n```",
                "cli_args",
            ),
            id="list-of-union-and-several-examples",
        ),
        pytest.param(
            DBT + "  transl|ation: {}\n",
            ("`translation: str | AssetSpecUpdateKwargs`\n\nOptional.", "translation"),
            id="real-str-first-is-kept-null-default-hidden",
        ),
        pytest.param(
            DBT + "  sel|ect: x\n",
            (
                "`select: str`\n\nThe dbt selection string for models in the project you want to include.\n\n"
                "Optional, default `fqn:*`.\n\nExample:\n\n```yaml\nselect: tag:dagster\n```",
                "select",
            ),
            id="string-default",
        ),
        pytest.param(
            "type: dagster_dbt.DbtProjectComponent\npost_processing:\n  assets:\n    - target: x\n"
            "      attributes:\n        own|ers: [a]\n",
            (
                "`owners: list[str] | None`\n\n"
                "A list of strings representing owners of the asset. Each string can be a user's email address, or a "
                "team name prefixed with `team:`, e.g. `team:finops`.\n\n"
                "Optional. Accepts `{{ }}` templates.\n\n"
                "Example:\n\n```yaml\nowners:\n- team:analytics\n- nelson@hooli.com\n```",
                "owners",
            ),
            id="post-processing-through-a-list",
        ),
        pytest.param(
            "type: x\npost_processing:\n  assets:\n    - tar|get: x\n",
            (
                "`target: str`\n\nThe assets to update, as an asset selection (`*` for all of them).\n\n"
                "Optional, default `'*'`.",
                "target",
            ),
            id="post-processing-key-with-builtin-description",
        ),
        pytest.param(
            "|type: x\n",
            (
                "`type: str`\n\nThe component type: a registered class such as `dagster_dbt.DbtProjectComponent`, "
                "or `.module.Class` relative to this folder's module.\n\nRequired.",
                "type",
            ),
            id="envelope-key",
        ),
        pytest.param(
            "type: x\nrequirements:\n  en|v: [A]\n",
            (
                "`env: list[str] | None`\n\n"
                "The environment variables the component reads; every `{{ env.NAME }}` should be listed.\n\nOptional.",
                "env",
            ),
            id="requirements-env",
        ),
        pytest.param(
            RESEARCH.replace("attributes", "attrib|utes") + "  asset_key: x\n",
            (
                "`attributes: ResearchJob`\n\nThe attributes of `acme_platform.ResearchJob`.\n\n"
                "Required: `asset_key`, `owner`.",
                "attributes",
            ),
            id="attributes-of-a-known-type",
        ),
        pytest.param(
            RESEARCH + "  tags:\n    dom|ain: x\n",
            ("`domain: str`\n\nOptional.", "domain"),
            id="additional-properties-key",
        ),
        pytest.param(
            RESEARCH + "  asset_key: x\n  tags: [\n  comp|ute_size: small\n",
            (
                "`compute_size: 'small' | 'medium' | 'large'`\n\n"
                "Compute size from the platform whitelist: `small`, `medium` or `large`.\n\n"
                "Optional. Accepts `{{ }}` templates.\n\n"
                "Example:\n\n```yaml\ncompute_size: medium\n```",
                "compute_size",
            ),
            id="broken-yaml-key-by-indentation",
        ),
        pytest.param(
            RESEARCH + "  script: job|.py\n",
            (
                "`script: str | None`\n\n"
                "Python script to run, relative to this `defs.yaml`'s folder. Set this or `notebook`, not both.\n\n"
                "Optional.\n\nExample:\n\n```yaml\nscript: features.py\n```",
                "job.py",
            ),
            id="plain-value-shows-its-field",
        ),
        pytest.param(RESEARCH + "  compute_siz|e_typo: x\n", None, id="unknown-attribute"),
        pytest.param("type: unknown.Thing\nattributes:\n  fo|o: 1\n", None, id="unknown-type-attribute"),
        pytest.param("type: unknown.Thi|ng\n", None, id="unknown-type-value"),
        pytest.param("other|: 1\n", None, id="unknown-top-level-key"),
        pytest.param(RESEARCH + "  deps:\n    - |\n", None, id="empty-item"),
        pytest.param("# just a |comment\n", None, id="comment"),
    ],
)
def test_field_hover(marked, expected, ctx):
    assert hover_at(marked, ctx) == expected


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(
            RESEARCH + "  compute_size: med|ium\n",
            (
                "`ComputeSize`\n\nWhitelisted compute sizes. Each maps to a fixed CPU/memory profile on the shared "
                "cluster.\n\nAllowed values: `small`, `medium`, `large`",
                "medium",
            ),
            id="enum-def-description",
        ),
        pytest.param(
            RESEARCH + "  observability:\n    log_level: |info\n",
            ("`log_level`\n\nLog level of the job's run logs.\n\nAllowed values: `debug`, `info`, `warning`", "info"),
            id="inline-enum-uses-the-field-description",
        ),
        pytest.param(
            DBT + "  include_metadata: [row_count, insi|ghts]\n",
            (
                "`include_metadata`\n\nOptionally include additional metadata in materializations generated while "
                "executing your dbt models\n\nAllowed values: `column_metadata`, `row_count`, `insights`",
                "insights",
            ),
            id="enum-list-item",
        ),
        pytest.param(
            "type: x\npost_processing:\n  assets:\n    - operation: repl|ace\n",
            (
                "`operation`\n\n`merge` adds to the assets' properties, `replace` overwrites them.\n\n"
                "Allowed values: `merge`, `replace`",
                "replace",
            ),
            id="post-processing-enum",
        ),
    ],
)
def test_enum_value_hover(marked, expected, ctx):
    assert hover_at(marked, ctx) == expected


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(
            DBT + '  project: "{{ cont|ext.project_root }}/dbt"\n',
            (
                "`context`: the load context: `project_root`, `load_component`, `build_defs`\n\n"
                "From Dagster's template scope.",
                "context",
            ),
            id="context",
        ),
        pytest.param(
            DBT + '  project: "{{ context.project_ro|ot }}/dbt"\n',
            ("`context.project_root`: the project's root folder, as an absolute path", "project_root"),
            id="context-attribute",
        ),
        pytest.param(
            DBT + '  project: "{{ |project_root }}/dbt"\n',
            (
                "`project_root`: the project's root folder\n\nFrom Dagster's template scope.\n\n"
                "**Deprecated**: use `{{ context.project_root }}`.",
                "project_root",
            ),
            id="deprecated",
        ),
        pytest.param(
            RESEARCH + '  owner: "{{ en|v.OWNER }}"\n',
            (
                "`env`: environment variables: `env.NAME`, or `env('NAME', 'default')` with a default\n\n"
                "From Dagster's template scope.",
                "env",
            ),
            id="env",
        ),
        pytest.param(
            "requirements:\n  env: [OWNER]\n" + RESEARCH + '  owner: "{{ env.OWN|ER }}"\n',
            ("`env.OWNER`: the environment variable `OWNER`\n\nDeclared in `requirements.env`.", "OWNER"),
            id="env-variable-declared",
        ),
        pytest.param(
            RESEARCH + "  owner: '{{ env.OWN|ER }}'\n",
            ("`env.OWNER`: the environment variable `OWNER`\n\nNot declared in `requirements.env`.", "OWNER"),
            id="env-variable-undeclared",
        ),
        pytest.param(
            DBT + '  translation:\n    key: "{{ no|de.name }}"\n',
            (
                "`node`: the dbt manifest node of each model\n\n"
                "From `dagster_dbt.DbtProjectComponent`, inside `attributes.translation`.",
                "node",
            ),
            id="per-type-name",
        ),
        pytest.param(
            "template_vars_module: .template_vars\n" + RESEARCH + '  asset_key: "{{ table_|prefix }}/x"\n',
            (
                "`table_prefix`\n\nA `@template_var` from "
                "[`src/acme/defs/research/template_vars.py`](file:///repo/src/acme/defs/research/template_vars.py).",
                "table_prefix",
            ),
            id="user-var-from-module",
        ),
        pytest.param(
            'type: dagster.PythonScriptComponent\nattributes:\n  execution: "{{ script_v|ar }}"\n',
            ("`script_var`\n\nA `@template_var` of `dagster.PythonScriptComponent`.", "script_var"),
            id="user-var-of-the-class",
        ),
        pytest.param(
            RESEARCH + "  asset_key: >\n    {{ ran|ge(3) }}\n",
            ("`range`\n\nA Jinja built-in.", "range"),
            id="jinja-global-in-a-folded-scalar",
        ),
        pytest.param(
            RESEARCH + '  owner: "{% for i in it|ems %}{{ i }}{% endfor %}"\n',
            None,
            id="unknown-name-in-a-block-is-not-described",
        ),
        pytest.param(RESEARCH + '  owner: "{{ i|  }}"\n', None, id="unknown-name"),
        pytest.param(RESEARCH + '  owner: "{{ context.x.proj|ect_root }}"\n', None, id="deeper-attribute"),
        pytest.param(RESEARCH + "  owner: \"{{ 'li|teral' }}\"\n", None, id="string-literal"),
    ],
)
def test_template_variable_hover(marked, expected, ctx):
    assert hover_at(marked, ctx) == expected


@pytest.mark.parametrize(
    "schema, expected",
    [
        pytest.param({"anyOf": [{"type": "integer"}, {"type": "string"}]}, "int", id="injected-str-dropped"),
        pytest.param({"type": "string"}, "str", id="plain-str"),
        pytest.param(
            {"anyOf": [{"type": "null"}, {"items": {"type": "string"}, "type": "array"}]},
            "list[str] | None",
            id="none-last",
        ),
        pytest.param({"type": "number", "exclusiveMinimum": 0}, "float (> 0)", id="exclusive-bound"),
        pytest.param({"type": "integer", "maximum": 10.0}, "int (<= 10)", id="upper-bound"),
        pytest.param({"enum": ["a", 1, None]}, "'a' | 1 | None", id="mixed-enum"),
        pytest.param({"const": True}, "True", id="const"),
        pytest.param({"type": ["string", "null"]}, "str | None", id="type-list"),
        pytest.param(
            {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}, "tuple[str, int]", id="tuple"
        ),
        pytest.param({"type": "object", "additionalProperties": {"type": "integer"}}, "dict[str, int]", id="dict"),
        pytest.param(
            {"type": "object", "title": "Retry Policy", "properties": {"n": {}}},
            "RetryPolicy",
            id="inline-object-by-title",
        ),
        pytest.param({}, "Any", id="anything"),
        pytest.param({"$ref": "#/$defs/Loop"}, "list[list[list[list[list[...]]]]]", id="recursive"),
    ],
)
def test_type_label(schema, expected):
    root = {"$defs": {"Loop": {"type": "array", "items": {"$ref": "#/$defs/Loop"}}}}
    assert type_label(root, schema) == expected


def test_rst_code_blocks_and_links_become_markdown():
    text = (
        "See `Jaffle shop <https://example.com/jaffle>`_.\n\nExample:\n\n    .. code-block:: yaml\n\n"
        "        # defs.yaml\n\n        type: a.B\n        attributes:\n          x: 1\n\nAfter."
    )
    assert rst_to_markdown(text) == (
        "See [Jaffle shop](https://example.com/jaffle).\n\nExample:\n\n```yaml\n# defs.yaml\n\ntype: a.B\n"
        "attributes:\n  x: 1\n```\n\nAfter."
    )


@pytest.mark.parametrize("text", ODD_DOCUMENTS)
def test_never_raises(text, ctx, registry):
    parsed, index = parse_file(text), LineIndex(text)
    for context in (ctx, CheckContext(registry=None), CheckContext(registry=registry)):
        for offset in range(len(text) + 1):
            hover(parsed, offset, context, index)


def test_a_deprecated_field_says_so_and_why(deprecating_registry):
    ctx = CheckContext(registry=deprecating_registry)
    assert hover_at("type: acme.Sling\nattributes:\n  sl|ing: {}\n", ctx) == (
        "`sling: SlingResource | None`\n\n**Deprecated**: The `sling` field is deprecated, use `connections` instead. "
        "This field will be removed in a future release.\n\nOptional.",
        "sling",
    )
    assert hover_at("type: acme.Sling\nattributes:\n  replications:\n    - old_pa|th: x\n", ctx) == (
        "`old_path: str`\n\n**Deprecated**.\n\nOptional.",
        "old_path",
    )


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(
            RESEARCH + '  owner: "{{ reg|ion }}"\n',
            (
                "`region`\n\nFrom `acme_platform.ResearchJob`'s additional scope (its `get_additional_scope()`).",
                "region",
            ),
            id="additional-scope",
        ),
        pytest.param(
            RESEARCH + '  tags:\n    team: "{{ pro|ps.team }}"\n',
            (
                "`props`\n\nNot in Dagster's template scope: `attributes.tags` is rendered by "
                "`acme_platform.ResearchJob`'s own code, with names of its own that cannot be read from here.",
                "props",
            ),
            id="own-scope-of-a-field",
        ),
        pytest.param(RESEARCH + '  owner: "{{ pro|ps.team }}"\n', None, id="a-field-with-the-components-scope"),
    ],
)
def test_names_a_component_adds_say_where_they_come_from(marked, expected, registry):
    snapshot = copy.deepcopy(registry.to_snapshot())
    scope = snapshot["template_scope"]
    scope["user_vars"] = {"acme_platform.ResearchJob": ["region"]}
    scope["additional"] = {"acme_platform.ResearchJob": ["region"]}
    scope["own_scope"] = {"acme_platform.ResearchJob": {"tags": "inside"}}
    assert hover_at(marked, CheckContext(registry=Registry.from_snapshot(snapshot), folder=FOLDER)) == expected
