import pytest
from carets import with_marks

from dagster_components_ls.checks.diagnostics import diagnose_text
from dagster_components_ls.model.context import CheckContext, rank_typenames

RESEARCH = "type: acme_platform.ResearchJob\nattributes:\n  asset_key: research/x\n  owner: team:r\n  script: s.py\n"


def run(text: str, registry, **ctx):
    """(code, marked text, message) for each problem, in order."""
    problems = diagnose_text(text, CheckContext(registry=registry, **ctx))
    return [(p.code, text[p.span.start : p.span.end], p.message) for p in problems]


def expect(marked: str, registry, **ctx):
    text, spans = with_marks(marked)
    got = run(text, registry, **ctx)
    assert [text[a:b] for a, b in spans] == [g[1] for g in got], got
    return [(code, message) for code, _, message in got]


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(RESEARCH, [], id="clean"),
        pytest.param(
            "type: [[dagster_dbt.DbtProjectComponnt]]\n",
            [
                (
                    "unknown-type",
                    "Unknown component type 'dagster_dbt.DbtProjectComponnt'. Did you mean 'dagster_dbt.DbtProjectComponent'?",
                )
            ],
            id="unknown-type",
        ),
        pytest.param(
            RESEARCH + "  [[compute_sise]]: small\n",
            [
                (
                    "unknown-attribute",
                    "Unknown attribute 'compute_sise' for acme_platform.ResearchJob. Did you mean 'compute_size'?",
                )
            ],
            id="unknown-attribute",
        ),
        pytest.param(
            RESEARCH + "  compute_size: [[xlarge]]\n",
            [("invalid-value", "attributes.compute_size: 'xlarge' is not one of ['small', 'medium', 'large']")],
            id="enum-member",
        ),
        pytest.param(
            RESEARCH + "  description: 2025-01-01\n  tags:\n    since: 2025-01-01T10:00:00Z\n",
            [],
            id="dates-stay-text-as-dagster-reads-them",
        ),
        pytest.param(
            RESEARCH + "  description: [[yes]]\n",
            [
                (
                    "invalid-value",
                    "attributes.description: True is not a string (YAML reads the unquoted "
                    "`yes` as a boolean: write 'yes' to keep it text)",
                )
            ],
            id="yaml-1.1-boolean-where-text-is-expected",
        ),
        pytest.param(
            RESEARCH + "  description: [[017]]\n",
            [
                (
                    "invalid-value",
                    "attributes.description: 15 is not a string (YAML reads the unquoted "
                    "`017` as a number: write '017' to keep it text)",
                )
            ],
            id="octal-number-where-text-is-expected",
        ),
        pytest.param(
            RESEARCH + '  compute_size: "{{ env.SIZE }}"\n',
            [],
            id="templated-enum-is-not-judged",
        ),
        pytest.param(
            RESEARCH + "  observability:\n    sla_minutes: [[2]]\n    log_level: [[loud]]\n",
            [
                ("invalid-value", "attributes.observability.sla_minutes: 2 is less than the minimum of 5"),
                (
                    "invalid-value",
                    "attributes.observability.log_level: 'loud' is not one of ['debug', 'info', 'warning']",
                ),
            ],
            id="nested-constraint-and-literal",
        ),
        pytest.param(
            "type: acme_platform.ResearchJob\n[[attributes]]:\n  asset_key: research/x\n",
            [("missing-attribute", "Missing required attribute 'owner' in attributes")],
            id="missing-attribute",
        ),
        pytest.param(
            "[[type]]: acme_platform.ResearchJob\n",
            [("missing-attribute", "acme_platform.ResearchJob requires attributes: 'asset_key', 'owner'")],
            id="no-attributes-at-all",
        ),
        pytest.param(
            "[[attributes]]:\n  x: 1\n",
            [("missing-attribute", "Missing `type:`: every component document names its component type")],
            id="missing-type",
        ),
        pytest.param(
            "type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: p\n  prepare_if_dev: [[maybe]]\n  select: [[5]]\n",
            [
                ("invalid-value", "attributes.prepare_if_dev: 'maybe' is not a boolean (true or false)"),
                ("invalid-value", "attributes.select: 5 is not a string"),
            ],
            id="bool-and-string",
        ),
        pytest.param(
            "type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: [[5]]\n",
            [("invalid-value", "attributes.project: 5 is not a mapping or a string")],
            id="anyOf-without-cascade",
        ),
        pytest.param(
            "type: dagster_dbt.DbtProjectComponent\nattributes:\n  project:\n    project_dir: p\n    [[bogus]]: 1\n",
            [
                (
                    "unknown-attribute",
                    "Unknown attribute 'bogus' in attributes.project. Allowed: packaged_project_dir, "
                    "prepare_project_cli_args, profile, profiles_dir, project_dir, state_path, target, target_path "
                    "(judged as DbtProjectArgs, the closest alternative)",
                )
            ],
            id="anyOf-picks-the-intended-object",
        ),
        pytest.param(
            "type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: p\n  translation:\n    owners: [[team:x]]\n",
            [("invalid-value", "attributes.translation.owners: 'team:x' is not a list")],
            id="ref-resolved-nested",
        ),
        pytest.param(
            'type: dagster.DefsFolderComponent\npost_processing:\n  assets:\n    - [[target]]: "*"\n      [[attributez]]: {}\n',
            [
                ("missing-attribute", "Missing required attribute 'attributes' in post_processing.assets[0]"),
                (
                    "unknown-attribute",
                    "Unknown attribute 'attributez' in post_processing.assets[0]. Did you mean 'attributes'?",
                ),
            ],
            id="post-processing-schema",
        ),
        pytest.param(
            "type: dagster.DefsFolderComponent\n[[attrs]]: {}\n",
            [("unknown-attribute", "Unknown top-level key 'attrs'. Did you mean 'attributes'?")],
            id="unknown-top-level-key",
        ),
        pytest.param(
            "[[- type: a]]\n",
            [("invalid-value", "A component document must be a mapping with `type:` and `attributes:`, not a list")],
            id="document-is-a-list",
        ),
        pytest.param(
            "[[just text]]\n",
            [
                (
                    "invalid-value",
                    "A component document must be a mapping with `type:` and `attributes:`, not a single value",
                )
            ],
            id="document-is-a-scalar",
        ),
        pytest.param(
            "[[# nothing here]]\n",
            [("missing-attribute", "Empty document: a component document needs at least `type:`")],
            id="comment-only",
        ),
        pytest.param(
            RESEARCH + '  description: "[[{{ context.project_root }]]"\n',
            [
                ("template-syntax", "Unclosed '{{': the expression needs a closing '}}'"),
            ],
            id="template-syntax",
        ),
        pytest.param(
            'type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: "{{ [[contxt]].project_root }}/p"\n',
            [("unknown-template-variable", "Unknown template variable 'contxt'. Did you mean 'context'?")],
            id="unknown-template-variable",
        ),
        pytest.param(
            'type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: p\n  translation:\n    description: "{{ node.name }}"\n'
            '  op:\n    name: "{{ [[node]].name }}"\n',
            [("unknown-template-variable", "Unknown template variable 'node'")],
            id="per-type-scope-only-inside-translation",
        ),
        pytest.param(
            'type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: "{{ [[project_root]] }}/p"\n',
            [("deprecated", "`project_root` is deprecated in templates: use {{ context.project_root }}")],
            id="deprecated-template-name",
        ),
        pytest.param(
            'type: acme_platform.ResearchJob\nrequirements:\n  env: [A]\nattributes:\n  asset_key: "{{ env.A }}"\n'
            "  owner: \"{{ env('[[B]]') }}\"\n  script: s.py\n",
            [("undeclared-env-var", "Environment variable 'B' is used but not declared in `requirements.env`")],
            id="undeclared-env-var",
        ),
        pytest.param(
            'type: [[a.B]]\nattributes:\n  owner: "{{ whatever }}"\n',
            [("unknown-type", "Unknown component type 'a.B'")],
            id="unknown-type-makes-scope-incomplete",
        ),
        pytest.param(
            RESEARCH + "  compute_size: xlarge  # dagster-components-ls: ignore[invalid-value]\n",
            [],
            id="suppressed-at-end-of-line",
        ),
        pytest.param(
            RESEARCH + "  # dagster-components-ls: ignore\n  compute_size: xlarge\n  [[tier]]: 1\n",
            [
                (
                    "unknown-attribute",
                    "Unknown attribute 'tier' for acme_platform.ResearchJob. Allowed: asset_key, "
                    "compute_size, deps, description, notebook, observability, owner, script, tags",
                )
            ],
            id="suppressed-on-the-line-above-only",
        ),
        pytest.param(
            RESEARCH + "  compute_size: [[xlarge]]  # dagster-components-ls: ignore[yaml-syntax]\n",
            [("invalid-value", "attributes.compute_size: 'xlarge' is not one of ['small', 'medium', 'large']")],
            id="suppression-of-another-code",
        ),
    ],
)
def test_diagnostics(marked, expected, registry):
    assert expect(marked, registry) == expected


# Dagster's `partitions_def` is a union of five models, each fixing `type` to its own constant.
PARTITIONED = (
    "type: dagster.PythonScriptComponent\nattributes:\n  execution:\n    path: s.py\n  assets:\n"
    "    - key: a\n      partitions_def:\n"
)
WHERE = "attributes.assets[0].partitions_def"


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(
            PARTITIONED + "        type: daily\n        start_date: '2024-01-01'\n", [], id="tag-chosen-branch-fits"
        ),
        pytest.param(
            PARTITIONED + "        type: daily\n        start_date: '2024-01-01'\n        hour_offset: [[x]]\n",
            [("invalid-value", f"{WHERE}.hour_offset: 'x' is not an integer")],
            id="error-of-the-tagged-branch-never-another-tag",
        ),
        pytest.param(
            PARTITIONED + "        type: daily\n        start_date: '2024-01-01'\n        [[bogus]]: 1\n",
            [
                (
                    "unknown-attribute",
                    f"Unknown attribute 'bogus' in {WHERE}. Allowed: end_date, hour_offset, "
                    "minute_offset, start_date, timezone, type",
                )
            ],
            id="unknown-key-against-the-tagged-branch",
        ),
        pytest.param(
            "type: dagster.PythonScriptComponent\nattributes:\n  execution:\n    path: s.py\n  assets:\n"
            "    - key: a\n      [[partitions_def]]:\n        type: daily\n",
            [("missing-attribute", f"Missing required attribute 'start_date' in {WHERE}")],
            id="missing-key-of-the-tagged-branch",
        ),
        pytest.param(
            PARTITIONED + "        type: [[montly]]\n        start_date: '2024-01-01'\n",
            [
                (
                    "invalid-value",
                    f"{WHERE}.type: 'montly' is not one of ['hourly', 'daily', 'weekly', 'time_window', 'static']",
                )
            ],
            id="unknown-tag-is-the-one-error",
        ),
        pytest.param(
            PARTITIONED + "        partition_keys: [a]\n        [[bogus]]: 1\n",
            [
                (
                    "unknown-attribute",
                    f"Unknown attribute 'bogus' in {WHERE}. Allowed: partition_keys, type "
                    "(judged as StaticPartitionsDefinition, the closest alternative)",
                )
            ],
            id="no-tag-closest-branch-named",
        ),
    ],
)
def test_unions_are_judged_by_the_branch_that_applies(marked, expected, registry):
    assert expect(marked, registry) == expected


DBT = "type: dagster_dbt.DbtProjectComponent\nattributes:\n"


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(
            DBT + '  project: "{{ context.[[projct_root]] }}/dbt"\n',
            [
                (
                    "unknown-template-variable",
                    "Unknown attribute 'projct_root' of `context` in templates. Did you mean 'project_root'?",
                )
            ],
            id="typo-in-a-context-attribute",
        ),
        pytest.param(
            DBT + '  project: "{{ context.project_root }}/dbt"\n  translation:\n'
            '    automation_condition: "{{ dg.AutomationCondition.eager() }}"\n'
            '    group_name: "{{ datetime.[[dattime]].now() }}"\n',
            [
                (
                    "unknown-template-variable",
                    "Unknown attribute 'dattime' of `datetime` in templates. Did you mean 'datetime'?",
                )
            ],
            id="known-members-pass-and-a-typo-does-not",
        ),
        pytest.param(
            DBT + '  project: "{{ dg.[[Nothing]] }}"\n',
            [
                (
                    "unknown-template-variable",
                    "Unknown attribute 'Nothing' of `dg` in templates. It has: AutomationCondition, DailyPartitionsDefinition, "
                    "FreshnessPolicy, HourlyPartitionsDefinition, MonthlyPartitionsDefinition, StaticPartitionsDefinition, "
                    "TimeWindowPartitionsDefinition, WeeklyPartitionsDefinition",
                )
            ],
            id="no-close-member-lists-them",
        ),
        pytest.param(
            DBT + '  project: p\n  translation:\n    key: "{{ node.whatever }}"\n    group_name: "{{ env.ANY }}"\n',
            [],
            id="objects-without-a-whitelist-are-not-judged",
        ),
    ],
)
def test_attributes_of_template_objects(marked, expected, registry):
    assert expect(marked, registry) == expected


def test_context_on_a_dagster_without_it_suggests_the_old_name(registry):
    from dagster_components_ls.model.registry import Registry

    older = registry.to_snapshot()
    older["template_scope"] = {
        **older["template_scope"],
        "deprecated": {},
        "members": {},
        "globals": ["env", "automation_condition", "project_root", "load_component_at_path", "build_defs_at_path"],
    }
    marked = DBT + '  project: "{{ [[context.project_root]] }}/dbt"\n'
    assert expect(marked, Registry.from_snapshot(older)) == [
        (
            "unknown-template-variable",
            "Unknown template variable 'context': this Dagster has no `context` in templates. Did you mean 'project_root'?",
        ),
    ]


def test_every_document_is_checked_on_its_own(registry):
    marked = RESEARCH + "  [[ownr]]: x\n---\n" + RESEARCH + "---\n" + RESEARCH + "  compute_size: [[huge]]\n"
    assert expect(marked, registry) == [
        ("unknown-attribute", "Unknown attribute 'ownr' for acme_platform.ResearchJob. Did you mean 'owner'?"),
        ("invalid-value", "attributes.compute_size: 'huge' is not one of ['small', 'medium', 'large']"),
    ]


def test_syntax_error_in_one_document_leaves_others_checked(registry):
    marked = "type: x.Y\nattributes: [[{]]\n---\n" + RESEARCH + "  [[bad_key]]: 1\n"
    assert [code for code, _ in expect(marked, registry)] == ["yaml-syntax", "unknown-attribute"]


def test_nothing_about_types_before_the_registry_is_ready():
    marked = "type: not.Real\nattributes:\n  x: \"[[{{ oops]]\"\n  y: 'fine'\n"
    assert expect(marked, None) == [("template-syntax", "Unclosed '{{': the expression needs a closing '}}'")]


def test_relative_type_resolves_against_the_folder_module(registry):
    text = "type: .research_job.ResearchJob\nattributes:\n  asset_key: research/x\n  owner: team:r\n  script: s.py\n"
    assert run(text, registry, folder_module="acme_platform.components") == []
    assert run(text, registry) == [
        (
            "unknown-type",
            ".research_job.ResearchJob",
            "Relative type '.research_job.ResearchJob' can only be resolved inside a dg project's defs folder",
        ),
    ]


def test_deprecated_file_name(registry):
    assert run(RESEARCH, registry, file_name="component.yaml") == [
        (
            "deprecated",
            "type: acme_platform.ResearchJob",
            "`component.yaml` is deprecated: rename the file to `defs.yaml`",
        ),
    ]


def test_type_suggestions_prefer_the_same_class_name():
    known = ["dagster_dbt.DbtProjectComponent", "dagster_dbt.DbtCloudComponent", "dagster.PythonScriptComponent"]
    assert rank_typenames("dbt.DbtProjectComponent", known) == ["dagster_dbt.DbtProjectComponent"]
    assert rank_typenames("dagster_dbt.DbtProjectComponnt", known)[0] == "dagster_dbt.DbtProjectComponent"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "---\n---\n",
        "\x00\x01\x02",
        "type:\n",
        "type: [a, b]\n",
        "type: 1\n",
        "attributes: 5\ntype: x.Y\n",
        "type: acme_platform.ResearchJob\nattributes: [1]\n",
        "? [a]\n: 1\n",
        "type: x.Y\n\tattributes: 1\n",
        "type: acme_platform.ResearchJob\nattributes:\n  deps: {{ x }}\n",
        "&a [*a]\n",
        "type: !!binary aGk=\n",
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi")
        ),
    ],
)
def test_bad_input_gives_diagnostics_never_exceptions(text, registry):
    problems = diagnose_text(text, CheckContext(registry=registry))
    assert all(p.code and p.message for p in problems)


SLING = "type: dagster_sling.SlingReplicationCollectionComponent\nattributes:\n  replications:\n    - path: "


# A path Dagster reads at load (a dbt project, a sling replication, a template_vars_module) is an
# error when it is missing; one read only when the asset runs (a script) is a warning.
@pytest.mark.parametrize(
    "marked, existing, expected",
    [
        pytest.param(
            RESEARCH.replace("script: s.py", "script: [[scrpt.py]]"),
            {"/p/defs/s.py"},
            [("missing-file", "warning", "'scrpt.py' does not exist next to this file")],
            id="relative-to-the-file",
        ),
        pytest.param(RESEARCH, {"/p/defs/s.py"}, [], id="exists"),
        pytest.param(
            'type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: "[[{{ context.project_root }}/dbt/x]]"\n',
            set(),
            [("missing-file", "error", "'{{ context.project_root }}/dbt/x' does not exist (dbt/x)")],
            id="project-root-template-resolved",
        ),
        pytest.param(
            'type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: "{{ env.DIR }}/x"\n',
            set(),
            [],
            id="other-templates-are-not-judged",
        ),
        pytest.param(
            "type: dagster.DefsFolderComponent\ntemplate_vars_module: [[.vars]]\n",
            set(),
            [("missing-file", "error", "Module '.vars' not found: there is no vars.py")],
            id="template-vars-module",
        ),
        pytest.param(
            SLING + "[[replication.yaml]]\n",
            set(),
            [("missing-file", "error", "'replication.yaml' does not exist next to this file")],
            id="sling-replication-is-read-at-load",
        ),
    ],
)
def test_missing_files(marked, existing, expected, registry):
    from dagster_components_ls.model.registry import Registry

    snapshot = registry.to_snapshot()
    snapshot["types"] = [*snapshot["types"], {"key": "dagster_sling.SlingReplicationCollectionComponent"}]
    text, spans = with_marks(marked)
    ctx = CheckContext(
        registry=Registry.from_snapshot(snapshot),
        folder="/p/defs",
        project_root="/p",
        exists=lambda p: str(p) in existing,
    )
    problems = [p for p in diagnose_text(text, ctx) if p.code == "missing-file"]
    assert [(p.code, p.severity, p.message) for p in problems] == expected
    assert [(p.span.start, p.span.end) for p in problems] == spans


def test_deprecated_fields_warn_with_the_reason_the_code_gives(deprecating_registry):
    marked = (
        "type: acme.Sling\nattributes:\n  [[sling]]:\n    connections: []\n  replications:\n"
        "    - path: r.yaml\n      [[old_path]]: s.yaml\n"
    )
    assert expect(marked, deprecating_registry) == [
        (
            "deprecated",
            "The `sling` field is deprecated, use `connections` instead. This field will be removed in a "
            "future release.",
        ),
        ("deprecated", "`old_path` is deprecated"),
    ]
    text, _ = with_marks(marked)
    problems = diagnose_text(text, CheckContext(registry=deprecating_registry))
    assert [(p.severity, p.data) for p in problems] == [
        ("warning", {"path": ["attributes"], "key": "sling", "reason": problems[0].data["reason"]}),
        ("warning", {"path": ["attributes", "replications", 0], "key": "old_path", "reason": ""}),
    ]


@pytest.mark.parametrize(
    "own_scope, marked, expected",
    [
        # `deps` is read by a custom Resolver (say): its list items reach it as written, unrendered.
        pytest.param({"deps": "inside"}, '  deps:\n    - "{{ props.upstream }}"\n', [], id="inside-a-list-item"),
        # ...but a plain string value is rendered with the component's scope before the resolver sees it.
        pytest.param(
            {"deps": "inside"},
            '  deps: "{{ [[props]].upstream }}"\n',
            [("unknown-template-variable", "Unknown template variable 'props'")],
            id="inside-the-string-value",
        ),
        pytest.param({"tags": "inside"}, '  tags:\n    team: "{{ props.team }}"\n', [], id="inside-a-mapping"),
        # Resolver.from_model: the whole value is the resolver's.
        pytest.param({"description": "all"}, '  description: "{{ props.text }}"\n', [], id="all"),
        # get_additional_scope() raised: no unknown name of the document is judged, attributes neither...
        pytest.param(
            {"": "all"}, '  description: "{{ props.text }} {{ context.projct_root }}"\n', [], id="the-whole-document"
        ),
        # ...but a deprecated name is still deprecated.
        pytest.param(
            {"": "all"},
            '  description: "{{ [[project_root]] }}"\n',
            [("deprecated", "`project_root` is deprecated in templates: use {{ context.project_root }}")],
            id="deprecated-names-still-warn",
        ),
        # Another field of the same type is still checked.
        pytest.param(
            {"deps": "inside"},
            '  description: "{{ [[props]] }}"\n',
            [("unknown-template-variable", "Unknown template variable 'props'")],
            id="other-fields",
        ),
    ],
)
def test_names_a_components_own_resolver_renders_are_not_judged(own_scope, marked, expected, registry):
    from dagster_components_ls.model.registry import Registry

    snapshot = registry.to_snapshot()
    snapshot["template_scope"] = {**snapshot["template_scope"], "own_scope": {"acme_platform.ResearchJob": own_scope}}
    assert expect(RESEARCH + marked, Registry.from_snapshot(snapshot)) == expected
