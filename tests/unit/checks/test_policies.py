import json
from pathlib import Path

import jsonschema
import pytest
from carets import with_marks
from odd_documents import ODD_DOCUMENTS

from dagster_components_ls.checks.policies.asset_rules import AssetViolation, asset_policy_problems, asset_problems
from dagster_components_ls.checks.policies.config import (
    NO_POLICIES,
    PolicyConfig,
    Setting,
    glob_problem,
    load_policy_config,
    parse_policy_config,
)
from dagster_components_ls.checks.policies.document_rules import policy_problems
from dagster_components_ls.checks.policies.platform import (
    entry_point_problems,
    policy_batch_request,
    policy_error_problems,
    policy_request,
    split_policy_answer,
)
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.registry import Registry

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).parents[3]
SCHEMA = json.loads((REPO / "schemas" / "policies.schema.json").read_text())
HEADER = "[tool.dagster-components-ls.policies]\n"
RESEARCH = "type: acme_platform.ResearchJob\nattributes:\n  asset_key: research/x\n  owner: team:r\n  script: s.py\n"
DBT = "type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: p\n"

# --- configuration -------------------------------------------------------------------------------


def test_reads_the_example_projects_policies():
    assert load_policy_config(REPO / "examples" / "acme_analytics" / "pyproject.toml") == (
        PolicyConfig(
            allowed_types=Setting(
                ("acme_platform.*", "acme_analytics.*", "dagster_dbt.*", "dagster.DefsFolderComponent")
            ),
            required_attributes=Setting((("dagster_dbt.*", (("translation", "owners"),)),)),
            require_owners=Setting(True),
            asset_key_pattern=Setting("^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*$", "warning"),
        ),
        [],
    )


def test_reads_every_rule_in_short_long_and_sub_table_forms():
    text = HEADER + (
        'allowed-types = { value = ["acme_platform.*"], severity = "hint" }\n'
        'forbidden-values = { "acme_platform.*" = { compute_size = ["xlarge", 4, true], "observability.log_level" = ["debug"] } }\n'
        "require-owners = false\n"
        "required-tags = [\n  \"team\",  # who to call\n  'tier',\n]\n"
        "\n[tool.dagster-components-ls.policies.required-attributes]\n"
        '"dagster_dbt.*" = ["translation.owners", "project"]\n'
        "\n[tool.dagster-components-ls.policies.asset-key-pattern]\n"
        "value = '''^[a-z/]+$'''\nseverity = \"information\"\n"
    )
    assert parse_policy_config(text) == (
        PolicyConfig(
            allowed_types=Setting(("acme_platform.*",), "hint"),
            required_attributes=Setting((("dagster_dbt.*", (("translation", "owners"), ("project",))),)),
            forbidden_values=Setting(
                (
                    (
                        "acme_platform.*",
                        ((("compute_size",), ("xlarge", 4, True)), (("observability", "log_level"), ("debug",))),
                    ),
                )
            ),
            require_owners=Setting(False),
            required_tags=Setting(("team", "tier")),
            asset_key_pattern=Setting("^[a-z/]+$", "information"),
        ),
        [],
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty-file"),
        pytest.param("[project]\nname = 'x'\n[tool.dg]\ndirectory_type = 'project'\n", id="no-table"),
        pytest.param("[tool.dagster-components-ls]\n", id="no-policies"),
        pytest.param(HEADER, id="empty-policies"),
    ],
)
def test_no_policies(text):
    assert parse_policy_config(text) == (NO_POLICIES, [])


def test_a_file_outside_any_project_has_no_policies(tmp_path):
    assert (load_policy_config(None), load_policy_config(tmp_path / "pyproject.toml")) == ((NO_POLICIES, []),) * 2


def test_dotted_keys_outside_the_policies_header():
    text = '[tool.dagster-components-ls]\npolicies.required-tags = ["team"]\npolicies.[[alowed-types]] = []\n'
    assert config_errors(text) == ["Unknown policy rule 'alowed-types'. Did you mean 'allowed-types'?"]
    assert parse_policy_config(with_marks(text)[0])[0] == PolicyConfig(required_tags=Setting(("team",)))


def config_errors(marked: str) -> list[str]:
    """The policy-config messages of a TOML text whose `[[...]]` marks say where each one is."""
    text, spans = with_marks(marked)
    _, problems = parse_policy_config(text)
    assert [(p.code, p.severity) for p in problems] == [("policy-config", "error")] * len(problems)
    assert [text[p.span.start : p.span.end] for p in problems] == [text[a:b] for a, b in spans], problems
    return [p.message for p in problems]


CONFIG_ERRORS = [
    pytest.param(
        HEADER + '[[alowed-types]] = ["a.*"]\n',
        ["Unknown policy rule 'alowed-types'. Did you mean 'allowed-types'?"],
        id="unknown-rule-did-you-mean",
    ),
    pytest.param(
        HEADER + "[[max-assets]] = 3\n",
        [
            "Unknown policy rule 'max-assets'. Known rules: allowed-types, required-attributes, forbidden-values, "
            "require-owners, required-tags, asset-key-pattern"
        ],
        id="unknown-rule",
    ),
    pytest.param(
        HEADER + 'allowed-types = [["acme_platform.*"]]\n',
        ["allowed-types must be a list, not a string"],
        id="short-form-wrong-type",
    ),
    pytest.param(
        HEADER + 'allowed-types = ["a.*", [[3]]]\n',
        ["allowed-types[1] must be a string, not an integer"],
        id="list-item-wrong-type",
    ),
    pytest.param(
        HEADER + 'require-owners = [["yes"]]\n',
        ["require-owners must be true or false, not a string"],
        id="boolean-rule",
    ),
    pytest.param(
        HEADER + 'required-tags = { value = ["team"], severity = [["warn"]] }\n',
        [
            "Unknown severity 'warn' for required-tags. Did you mean 'warning'? Allowed: error, warning, "
            "information, hint"
        ],
        id="bad-severity",
    ),
    pytest.param(
        HEADER + "require-owners = { value = true, severity = [[2]] }\n",
        ["The severity of require-owners must be a string (error, warning, information, hint), not an integer"],
        id="severity-wrong-type",
    ),
    pytest.param(
        HEADER + 'require-owners = { value = true, [[sevrity]] = "hint" }\n',
        [
            "Unknown key 'sevrity' in require-owners (its long form takes `value` and `severity`). "
            "Did you mean 'severity'?"
        ],
        id="long-form-unknown-key",
    ),
    pytest.param(
        HEADER + '[[required-tags]] = { severity = "hint" }\n',
        ["required-tags sets a severity but no `value`"],
        id="long-form-without-value",
    ),
    pytest.param(
        HEADER + 'asset-key-pattern = [["^[a-z(/"]]\n',
        ["asset-key-pattern is not a valid regular expression: unterminated character set at position 1"],
        id="invalid-regex",
    ),
    pytest.param(HEADER + "[asset-key-pattern]\n", [], id="not-in-the-table"),
    pytest.param(
        HEADER + "allowed-types = [ [['acme platform.*']] ]\n",
        ["'acme platform.*' in allowed-types cannot match a type key: ' ' never appears in one"],
        id="glob-space",
    ),
    pytest.param(
        HEADER + 'allowed-types = [ [["acme_platform"]] ]\n',
        [
            "'acme_platform' in allowed-types matches no type key (keys look like 'package.Class'). "
            "Did you mean 'acme_platform.*'?"
        ],
        id="glob-without-dot",
    ),
    pytest.param(
        HEADER + 'allowed-types = [ [[".Local"]] ]\n',
        ["'.Local' in allowed-types is relative: globs match canonical type keys, such as 'acme_analytics.defs.Local'"],
        id="glob-relative",
    ),
    pytest.param(
        HEADER + 'allowed-types = [ [["dagster.[Dd*"]] ]\n',
        ["'dagster.[Dd*' in allowed-types has an unbalanced or empty `[...]` (or a `!` outside one)"],
        id="glob-unbalanced",
    ),
    pytest.param(
        HEADER + 'required-attributes = { [["dagster dbt.*"]] = ["translation.owners"] }\n',
        ["'dagster dbt.*' in required-attributes cannot match a type key: ' ' never appears in one"],
        id="glob-as-key",
    ),
    pytest.param(
        HEADER + 'required-attributes = { "dagster_dbt.*" = [ [["translation..owners"]] ] }\n',
        [
            "'translation..owners' in required-attributes is not a key path under `attributes`: write keys "
            "joined by '.', such as 'translation.owners'"
        ],
        id="bad-key-path",
    ),
    pytest.param(
        HEADER + 'required-attributes = [["translation.owners"]]\n',
        ["required-attributes must be a table, not a string"],
        id="per-type-not-a-table",
    ),
    pytest.param(
        HEADER + 'required-attributes = { "dagster_dbt.*" = [["translation.owners"]] }\n',
        ["required-attributes for 'dagster_dbt.*' must be a list, not a string"],
        id="per-type-value",
    ),
    pytest.param(
        HEADER + 'forbidden-values = { "acme_platform.*" = { compute_size = ["xl", [[{ a = 1 }]]] } }\n',
        ["forbidden-values for 'acme_platform.*'.compute_size[1] must be a string, number or boolean, not a table"],
        id="forbidden-value-wrong-type",
    ),
    pytest.param(
        HEADER + 'forbidden-values = { "acme_platform.*" = { compute_size = [["xlarge"]] } }\n',
        ["forbidden-values for 'acme_platform.*'.compute_size must be a list, not a string"],
        id="forbidden-values-not-a-list",
    ),
    pytest.param(
        HEADER + 'required-tags = ["team", [["  "]]]\n', ["required-tags[1] is an empty tag name"], id="empty-tag"
    ),
]


@pytest.mark.parametrize("marked, expected", CONFIG_ERRORS)
def test_config_errors_are_reported_at_the_offending_key_or_value(marked, expected):
    assert config_errors(marked) == expected


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(
            "[tool.dagster-components-ls]\n[[polices]] = {}\n",
            ["Unknown key 'polices' in [tool.dagster-components-ls]. Did you mean 'policies'?"],
            id="tool-key",
        ),
        pytest.param(
            '[tool.dagster-components-ls]\npolicies = [["strict"]]\n',
            ["[tool.dagster-components-ls.policies] must be a table, not a string"],
            id="policies-not-a-table",
        ),
        pytest.param(
            HEADER + "[[require-owners = tru]]\n",
            ["pyproject.toml cannot be read as TOML: Invalid value (at line 2, column 18)"],
            id="toml-syntax",
        ),
    ],
)
def test_errors_around_the_table(marked, expected):
    assert config_errors(marked) == expected


def test_a_bad_rule_or_entry_costs_only_itself():
    text = HEADER + (
        'allowed-types = ["acme_platform", "dagster_dbt.*"]\nrequire-owners = "yes"\n'
        'required-tags = ["team"]\nasset-key-pattern = "("\n'
    )
    config, problems = parse_policy_config(text)
    assert (config, len(problems)) == (
        PolicyConfig(allowed_types=Setting(("dagster_dbt.*",)), required_tags=Setting(("team",))),
        3,
    )


@pytest.mark.parametrize("marked, expected", CONFIG_ERRORS)
def test_the_schema_agrees_with_the_reader(marked, expected):
    text, _ = with_marks(marked)
    table = tomllib.loads(text)["tool"]["dagster-components-ls"]["policies"]
    errors = list(jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).iter_errors(table))
    assert bool(errors) == bool(expected), errors


def test_the_schema_accepts_the_example_and_design_configs():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    design = HEADER + (
        'allowed-types = ["acme_platform.*", "dagster_dbt.*"]\n'
        'required-attributes = { "dagster_dbt.*" = ["translation.owners"] }\n'
        'forbidden-values = { "acme_platform.*" = { compute_size = ["xlarge"] } }\n'
        'require-owners = true\nrequired-tags = ["team"]\n'
        'asset-key-pattern = { value = "^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*$", severity = "warning" }\n'
    )
    example = (REPO / "examples" / "acme_analytics" / "pyproject.toml").read_text()
    for text in (design, example):
        table = tomllib.loads(text)["tool"]["dagster-components-ls"]["policies"]
        jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(table)
        assert parse_policy_config(text)[1] == []


@pytest.mark.parametrize(
    "glob, expected",
    [
        ("acme_platform.*", None),
        ("*", None),
        ("dagster.[!X]*Component", None),
        ("", "is empty"),
        ("acme_platform", "matches no type key (keys look like 'package.Class'). Did you mean 'acme_platform.*'?"),
    ],
)
def test_glob_problem(glob, expected):
    assert glob_problem(glob) == expected


# --- document-level rules ------------------------------------------------------------------------


def policy_run(marked: str, config: PolicyConfig, registry, **ctx) -> list[tuple[str, str, str]]:
    """(code, severity, message) of each policy problem, with `[[...]]` marking where each one is."""
    text, spans = with_marks(marked)
    context = CheckContext(registry=registry, **ctx)
    got = [(doc, p) for doc in parse_file(text).documents for p in policy_problems(doc, context, config)]
    assert [text[doc.start + p.span.start : doc.start + p.span.end] for doc, p in got] == [text[a:b] for a, b in spans]
    return [(p.code, p.severity, p.message) for _, p in got]


ALLOWED = PolicyConfig(allowed_types=Setting(("acme_platform.*", "dagster_dbt.*")))


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(RESEARCH, [], id="allowed"),
        pytest.param(
            "type: [[dagster.PythonScriptComponent]]\n",
            [
                "Type 'dagster.PythonScriptComponent' is not allowed by the project's policy (allowed: "
                "acme_platform.*, dagster_dbt.*)"
            ],
            id="not-allowed",
        ),
        pytest.param("type: acme_platform.components.research_job.ResearchJob\n", [], id="alias-resolved"),
        pytest.param("type: dagster_dbt.DbtProjectComponnt\n", [], id="unknown-type-is-unknown-type's-business"),
        pytest.param(
            "type: [[dagster.DefsFolderComponent]]\n---\n" + RESEARCH,
            [
                "Type 'dagster.DefsFolderComponent' is not allowed by the project's policy (allowed: acme_platform.*, "
                "dagster_dbt.*)"
            ],
            id="each-document",
        ),
        pytest.param(
            "type: [[dagster.components.core.defs_module.DefsFolderComponent]]\n",
            [
                "Type 'dagster.components.core.defs_module.DefsFolderComponent' (dagster.DefsFolderComponent) is not "
                "allowed by the project's policy (allowed: acme_platform.*, dagster_dbt.*)"
            ],
            id="alias-shown-with-its-key",
        ),
    ],
)
def test_allowed_types(marked, expected, registry):
    assert policy_run(marked, ALLOWED, registry) == [("policy:allowed-types", "error", m) for m in expected]


def local_registry(registry):
    """The fixture's types plus a project-local `.Local` whose canonical key is not its module path."""
    snapshot = registry.to_snapshot()
    snapshot["types"].append({"key": "proj.Local", "aliases": ["proj.defs.sub.Local"], "schema": {"type": "object"}})
    return Registry.from_snapshot(snapshot)


@pytest.mark.parametrize(
    "allowed, expected",
    [
        pytest.param(("proj.Local",), [], id="canonical-key-matches"),
        pytest.param(
            ("proj.defs.*",),
            ["Type '.Local' (proj.Local) is not allowed by the project's policy (allowed: proj.defs.*)"],
            id="module-path-does-not",
        ),
    ],
)
def test_allowed_types_judges_relative_types_by_their_canonical_key(allowed, expected, registry):
    marked = "type: [[.Local]]\n" if expected else "type: .Local\n"
    config = PolicyConfig(allowed_types=Setting(allowed, "warning"))
    assert policy_run(marked, config, local_registry(registry), folder_module="proj.defs.sub") == [
        ("policy:allowed-types", "warning", m) for m in expected
    ]


def test_no_policy_problems_before_the_registry_is_ready():
    config = PolicyConfig(allowed_types=Setting(("x.*",)), required_attributes=Setting((("*", (("a",),)),)))
    assert policy_run("type: dagster.PythonScriptComponent\n", config, None) == []


REQUIRED = PolicyConfig(
    required_attributes=Setting(
        (("dagster_dbt.*", (("translation", "owners"),)), ("dagster.PythonScriptComponent", (("assets", "owners"),)))
    )
)


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(DBT + "  translation:\n    owners: [team:a]\n", [], id="present"),
        pytest.param(
            "type: dagster_dbt.DbtProjectComponent\n[[attributes]]:\n  project: p\n",
            ["Missing attribute 'translation.owners', required by the project's policy for dagster_dbt.*"],
            id="at-attributes",
        ),
        pytest.param(
            DBT + "  [[translation]]:\n    group_name: g\n",
            ["Missing attribute 'translation.owners', required by the project's policy for dagster_dbt.*"],
            id="at-the-deepest-existing-key",
        ),
        pytest.param(
            DBT + "  translation:\n    [[owners]]:\n",
            ["Missing attribute 'translation.owners', required by the project's policy for dagster_dbt.*"],
            id="null-counts-as-missing",
        ),
        pytest.param(
            "[[type]]: dagster_dbt.DbtProjectComponent\n",
            ["Missing attribute 'translation.owners', required by the project's policy for dagster_dbt.*"],
            id="no-attributes",
        ),
        pytest.param(DBT + '  translation: "{{ my_translation }}"\n', [], id="templated-not-judged"),
        pytest.param(RESEARCH, [], id="other-type"),
        pytest.param(
            "type: dagster.PythonScriptComponent\nattributes:\n  execution: {path: s.py}\n  assets:\n"
            "    - key: a\n      owners: [team:x]\n    - [[key]]: b\n",
            [
                "Missing attribute 'assets[1].owners', required by the project's policy for "
                "dagster.PythonScriptComponent"
            ],
            id="every-list-item",
        ),
    ],
)
def test_required_attributes(marked, expected, registry):
    assert policy_run(marked, REQUIRED, registry) == [("policy:required-attributes", "error", m) for m in expected]


def test_required_attributes_data_carries_the_full_path(registry):
    doc = parse_file(DBT + "  translation:\n    group_name: g\n").documents[0]
    [problem] = policy_problems(doc, CheckContext(registry=registry), REQUIRED)
    assert problem.data == {"path": ["attributes", "translation", "owners"]}


FORBIDDEN = PolicyConfig(
    forbidden_values=Setting(
        (
            (
                "acme_platform.*",
                ((("compute_size",), ("xlarge", "large")), (("tags", "tier"), (1,)), (("deps",), ("raw/pii",))),
            ),
        ),
        "warning",
    )
)


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(RESEARCH + "  compute_size: medium\n", [], id="allowed-value"),
        pytest.param(
            RESEARCH + "  compute_size: [[xlarge]]\n",
            ["Value 'xlarge' for compute_size is forbidden by the project's policy for acme_platform.*"],
            id="forbidden-value",
        ),
        pytest.param(RESEARCH + '  compute_size: "{{ env.SIZE }}"\n', [], id="templated-not-judged"),
        pytest.param(
            RESEARCH + "  deps: [a, [[raw/pii]], b]\n",
            ["Value 'raw/pii' for deps[1] is forbidden by the project's policy for acme_platform.*"],
            id="list-items",
        ),
        pytest.param(
            RESEARCH + "  tags: {tier: [[1]]}\n",
            ["Value 1 for tags.tier is forbidden by the project's policy for acme_platform.*"],
            id="nested-number",
        ),
        pytest.param(RESEARCH + "  tags: {tier: true}\n", [], id="true-is-not-1"),
        pytest.param(RESEARCH + "  tags: {tier: '1'}\n", [], id="a-string-is-not-a-number"),
        pytest.param(DBT + "  compute_size: xlarge\n", [], id="other-type"),
    ],
)
def test_forbidden_values(marked, expected, registry):
    assert policy_run(marked, FORBIDDEN, registry) == [("policy:forbidden-values", "warning", m) for m in expected]


EVERY_RULE = PolicyConfig(
    allowed_types=Setting(("acme_platform.*",)),
    required_attributes=Setting((("*", (("translation", "owners"), ("a", "b", "c"))),)),
    forbidden_values=Setting((("*", ((("project",), ("p", 1)), (("a", "b"), (True,)))),)),
)


@pytest.mark.parametrize("text", ODD_DOCUMENTS)
def test_never_raises(text, registry):
    for doc in parse_file(text).documents:
        for problem in policy_problems(doc, CheckContext(registry=registry, folder_module="p.defs"), EVERY_RULE):
            assert 0 <= problem.span.start <= problem.span.end <= len(doc.text)


# --- platform policies: the worker's answer as problems ------------------------------------------

TWO = "# owners\ntype: acme_platform.ResearchJob\nattributes:\n  owner: ada@x\n  tags: {a: b}\n---\ntype: x.Y\n"


@pytest.mark.parametrize(
    "path, marked",
    [
        pytest.param(
            ["attributes", "owner"],
            "type: acme_platform.ResearchJob\nattributes:\n  owner: [[ada@x]]\n  tags: {a: b}\n",
            id="scalar",
        ),
        pytest.param(
            ["attributes", "tags"],
            "type: acme_platform.ResearchJob\nattributes:\n  owner: ada@x\n  [[tags]]: {a: b}\n",
            id="mapping-at-its-key",
        ),
        pytest.param(
            ["attributes", "tags", "zz", 3],
            "type: acme_platform.ResearchJob\nattributes:\n  owner: ada@x\n  [[tags]]: {a: b}\n",
            id="missing-at-the-deepest-key",
        ),
        pytest.param(
            [],
            "[[type]]: acme_platform.ResearchJob\nattributes:\n  owner: ada@x\n  tags: {a: b}\n",
            id="whole-document",
        ),
        pytest.param(
            ["nope"],
            "[[type]]: acme_platform.ResearchJob\nattributes:\n  owner: ada@x\n  tags: {a: b}\n",
            id="missing-top-key",
        ),
    ],
)
def test_entry_point_violations_are_placed_at_their_path(path, marked):
    text = "# owners\n" + with_marks(marked)[0] + "---\ntype: x.Y\n"
    start = with_marks(marked)[1][0][0] + len("# owners\n")
    end = with_marks(marked)[1][0][1] + len("# owners\n")
    assert text == TWO
    problems = entry_point_problems(
        parse_file(text),
        [
            {
                "policy": "acme-naming",
                "package": "acme-platform",
                "index": 0,
                "violations": [{"path": path, "message": "owner 'ada@x' is a person"}],
            }
        ],
    )
    assert [(p.span.start, p.span.end, p.code, p.severity, p.message, p.data) for p in problems] == [
        (
            start,
            end,
            "policy:acme-naming",
            "error",
            "owner 'ada@x' is a person (from acme-platform)",
            {"policy": "acme-naming", "package": "acme-platform", "path": path},
        )
    ]


def test_entry_point_results_for_other_documents_and_odd_results():
    parsed = parse_file(TWO)
    problems = entry_point_problems(
        parsed,
        [
            {"policy": "p", "package": None, "index": 1, "violations": [{"path": ["type"], "message": "m"}]},
            {"policy": "p", "package": "x", "index": 7, "violations": [{"path": ["type"], "message": "stale"}]},
            {"policy": "p", "package": "x", "index": "0", "violations": []},
            {"policy": "p", "package": "x", "index": 0, "violations": [5, {"path": ["type"]}]},
            {
                "policy": "assets",
                "package": "x",
                "index": 0,
                "violations": [{"asset_key": "research/a", "message": "m"}],
            },
        ],
    )
    assert [(TWO[p.span.start : p.span.end], p.code, p.message) for p in problems] == [
        ("x.Y", "policy:p", "m"),
        ("acme_platform.ResearchJob", "policy:assets", "m (from x)"),
    ]


def test_failed_policies_are_reported_once_per_file_on_its_first_line():
    parsed = parse_file(TWO)
    problems = policy_error_problems(
        parsed,
        [
            {"policy": "bad", "package": "bad-policies", "index": 0, "message": "raised ValueError: boom"},
            {"policy": "bad", "package": "bad-policies", "index": 1, "message": "raised ValueError: boom"},
            {"policy": "lonely", "package": None, "index": None, "message": "could not be loaded: ImportError: x"},
        ],
    )
    assert [(TWO[p.span.start : p.span.end], p.code, p.severity, p.message, p.data) for p in problems] == [
        (
            "# owners",
            "policy-config",
            "warning",
            "Policy 'bad' from package 'bad-policies' raised ValueError: boom",
            {"policy": "bad", "package": "bad-policies"},
        ),
        (
            "# owners",
            "policy-config",
            "warning",
            "Policy 'lonely' (no package) could not be loaded: ImportError: x",
            {"policy": "lonely", "package": None},
        ),
    ]


def test_policy_request_sends_mapping_documents_with_their_canonical_type(registry):
    text = (
        "type: acme_platform.components.research_job.ResearchJob\nattributes:\n  when: 2024-01-02\n  3: x\n"
        "---\n- a list\n---\ntype: nope.Nope\n"
    )
    assert policy_request(parse_file(text), CheckContext(registry=registry)) == {
        "documents": [
            {
                "index": 0,
                "type": "acme_platform.ResearchJob",
                "document": {
                    "type": "acme_platform.components.research_job.ResearchJob",
                    "attributes": {"when": "2024-01-02", "3": "x"},
                },
            },
            {"index": 2, "type": None, "document": {"type": "nope.Nope"}},
        ]
    }
    assert json.dumps(policy_request(parse_file(text), CheckContext(registry=registry)))


def test_policy_requests_carry_each_documents_loaded_assets(registry):
    one, two = parse_file("type: a.B\n---\ntype: c.D\n"), parse_file("type: e.F\n")
    ctx = CheckContext(registry=registry)
    orders = {"key": "orders", "owners": [], "tags": {}}
    single = policy_request(one, ctx, {1: [orders]})
    assert [d.get("assets") for d in single["documents"]] == [None, [orders]]
    batch = policy_batch_request([(one, ctx), (two, ctx)], [{0: []}, {0: [orders]}])
    assert [(d["index"], d.get("assets")) for d in batch["documents"]] == [(0, []), (1, None), (100_000, [orders])]


def test_a_batch_request_for_several_files_splits_back_per_file(registry):
    one, two = parse_file("type: a.B\n---\ntype: c.D\n"), parse_file("type: e.F\n")
    ctx = CheckContext(registry=registry)
    request = policy_batch_request([(one, ctx), (two, ctx)])
    assert [d["index"] for d in request["documents"]] == [0, 1, 100_000]
    answer = {
        "results": [
            {"policy": "p", "package": "x", "index": 100_000, "violations": []},
            {"policy": "p", "package": "x", "index": 1, "violations": []},
        ],
        "errors": [{"policy": "q", "package": "x", "index": None, "message": "could not be loaded: E"}],
    }
    error = {"policy": "q", "package": "x", "index": None, "message": "could not be loaded: E"}
    assert split_policy_answer(answer, 2) == [
        {"results": [{"policy": "p", "package": "x", "index": 1, "violations": []}], "errors": [error]},
        {"results": [{"policy": "p", "package": "x", "index": 0, "violations": []}], "errors": [error]},
    ]


# --- asset-level rules ---------------------------------------------------------------------------

ASSET_RULES = PolicyConfig(
    require_owners=Setting(True),
    required_tags=Setting(("team", "tier"), "warning"),
    asset_key_pattern=Setting("[a-z_]+(/[a-z_]+)*", "hint"),
)


@pytest.mark.parametrize(
    "asset, expected",
    [
        pytest.param(
            {"key": "research/churn", "owners": ["team:r"], "tags": {"team": "r", "tier": "1"}}, [], id="clean"
        ),
        pytest.param(
            {"key": "research/churn", "owners": [], "tags": {"team": "r", "tier": "1"}},
            [
                (
                    "require-owners",
                    "Asset 'research/churn' has no owners; the project's policy requires at least one",
                    "error",
                )
            ],
            id="no-owners",
        ),
        pytest.param(
            {"key": "research/churn", "owners": ["team:r"], "tags": {"dagster/kind/python": ""}},
            [
                (
                    "required-tags",
                    "Asset 'research/churn' lacks tags 'team', 'tier', required by the project's policy",
                    "warning",
                )
            ],
            id="missing-tags",
        ),
        pytest.param(
            {"key": "research/churn", "owners": ["team:r"], "tags": {"team": "r"}},
            [("required-tags", "Asset 'research/churn' lacks tag 'tier', required by the project's policy", "warning")],
            id="missing-one-tag",
        ),
        pytest.param(
            {"key": "Research/churn", "owners": ["team:r"], "tags": {"team": "r", "tier": "1"}},
            [
                (
                    "asset-key-pattern",
                    "Asset key 'Research/churn' does not match the project's pattern [a-z_]+(/[a-z_]+)*",
                    "hint",
                )
            ],
            id="whole-key-must-match",
        ),
        pytest.param(
            {"key": ["raw", "orders"], "owners": "team:x", "tags": None},
            [
                (
                    "require-owners",
                    "Asset 'raw/orders' has no owners; the project's policy requires at least one",
                    "error",
                ),
                (
                    "required-tags",
                    "Asset 'raw/orders' lacks tags 'team', 'tier', required by the project's policy",
                    "warning",
                ),
            ],
            id="odd-shapes-tolerated",
        ),
        pytest.param({"owners": []}, [], id="no-key-skipped"),
    ],
)
def test_asset_rules(asset, expected):
    violations = asset_policy_problems(ASSET_RULES, {2: [asset]})
    assert [(v.rule, v.message, v.severity) for v in violations] == expected
    assert {v.document for v in violations} <= {2}


def test_asset_rules_off_when_not_configured():
    assert asset_policy_problems(PolicyConfig(require_owners=Setting(False)), {0: [{"key": "A B", "owners": []}]}) == []


def test_asset_violations_are_placed_at_the_producing_document():
    text = "type: acme_platform.ResearchJob\nattributes:\n  asset_key: research/churn\n---\ntype: dagster_dbt.DbtProjectComponent\n"
    parsed = parse_file(text)
    violations = asset_policy_problems(
        ASSET_RULES,
        {0: [{"key": "research/churn"}], 1: [{"key": "orders", "owners": ["a"], "tags": {"team": "", "tier": ""}}]},
    )
    violations.append(AssetViolation(9, "gone", "require-owners", "stale"))
    assert [(text[p.span.start : p.span.end], p.code) for p in asset_problems(parsed, violations)] == [
        ("research/churn", "policy:require-owners"),
        ("research/churn", "policy:required-tags"),
    ]
