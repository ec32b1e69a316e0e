import pytest
from carets import with_marks
from lsprotocol import converters, types
from odd_documents import ODD_DOCUMENTS

from dagster_components_ls.checks.diagnostics import diagnose, diagnose_text
from dagster_components_ls.checks.fixes import Fix, apply_fixes, broken_by_fixes, fix_all, fixes_for
from dagster_components_ls.features.code_actions import code_actions, of_kinds
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import LineIndex, Span
from dagster_components_ls.model.problems import Problem

RESEARCH = "type: acme_platform.ResearchJob\nattributes:\n  asset_key: research/x\n  owner: team:r\n"
SCRIPT = "type: dagster.PythonScriptComponent\nattributes:\n"
FOLDER = "type: dagster.DefsFolderComponent\n"
URI = "file:///p/defs/x/defs.yaml"


@pytest.fixture
def ctx(registry) -> CheckContext:
    return CheckContext(registry=registry, exists=lambda path: True)


def describe(fix: Fix) -> str:
    flags = [name for name, on in (("preferred", fix.is_preferred), ("safe", fix.safe)) if on]
    return fix.title + (f" [{', '.join(flags)}]" if flags else "")


def marked_problem(marked: str, code: str, ctx: CheckContext) -> tuple[str, Problem]:
    """The text and its problem with this code whose span is marked `[[...]]`."""
    text, spans = with_marks(marked)
    found = [p for p in diagnose_text(text, ctx) if p.code == code and (p.span.start, p.span.end) == spans[0]]
    assert found, diagnose_text(text, ctx)
    return text, found[0]  # several at one mark (missing keys of one mapping): the first


def fixed(text: str, problem: Problem, ctx: CheckContext, title: str) -> str:
    fixes = fixes_for(parse_file(text), problem, ctx)
    return apply_fixes(text, [fix for fix in fixes if fix.title == title])


def still_reported(text: str, problem: Problem, ctx: CheckContext) -> bool:
    return any((p.code, p.data) == (problem.code, problem.data) for p in diagnose_text(text, ctx))


# Each case: the document with its problem marked, the problem's code, every action's title (with its
# flags), the action taken, and the exact document after it.
CASES = [
    # --- unknown-type: one action per suggestion, the first preferred; safe only when it is the only one
    pytest.param(
        "type: [[dagster_dbt.DbtProjectComponnt]]\n",
        "unknown-type",
        ["Change type to 'dagster_dbt.DbtProjectComponent' [preferred, safe]", "Ignore unknown-type on this line"],
        "Change type to 'dagster_dbt.DbtProjectComponent'",
        "type: dagster_dbt.DbtProjectComponent\n",
        id="type-one-suggestion",
    ),
    pytest.param(
        'type: [["dagster.DbtProjectComponent"]]  # the dbt one\n',
        "unknown-type",
        [
            "Change type to 'dagster_dbt.DbtProjectComponent' [preferred]",
            "Change type to 'dagster_dbt.components.dbt_project.component.DbtProjectComponent'",
            "Change type to 'dagster.PythonScriptComponent'",
            "Ignore unknown-type on this line",
        ],
        "Change type to 'dagster_dbt.components.dbt_project.component.DbtProjectComponent'",
        'type: "dagster_dbt.components.dbt_project.component.DbtProjectComponent"  # the dbt one\n',
        id="type-several-suggestions-quotes-and-comment-kept",
    ),
    # --- unknown-attribute: rename to the suggestion, or remove the key with its block and comment
    pytest.param(
        RESEARCH + "  [[compute_sise]]: small  # for now\n  script: s.py\n",
        "unknown-attribute",
        [
            "Rename 'compute_sise' to 'compute_size' [preferred, safe]",
            "Remove 'compute_sise'",
            "Ignore unknown-attribute on this line",
        ],
        "Rename 'compute_sise' to 'compute_size'",
        RESEARCH + "  compute_size: small  # for now\n  script: s.py\n",
        id="key-rename",
    ),
    pytest.param(
        RESEARCH + "  [[observabilty]]:  # alerts\n    log_level: info\n    # quiet hours\n    sla_minutes: 60\n"
        "  # the script\n  script: s.py  # kept\n",
        "unknown-attribute",
        [
            "Rename 'observabilty' to 'observability' [preferred, safe]",
            "Remove 'observabilty'",
            "Ignore unknown-attribute on this line",
        ],
        "Remove 'observabilty'",
        RESEARCH + "  # the script\n  script: s.py  # kept\n",
        id="key-remove-nested-block-and-comments",
    ),
    pytest.param(
        RESEARCH + "  script: s.py\n  [[bogus]]:\n    - a\n    - b: |\n        text\n\n",
        "unknown-attribute",
        ["Remove 'bogus'", "Ignore unknown-attribute on this line"],
        "Remove 'bogus'",
        RESEARCH + "  script: s.py\n\n",
        id="key-remove-last-with-block-scalar",
    ),
    pytest.param(
        RESEARCH + '  script: s.py\n  [["scrpt"]]: x.py',
        "unknown-attribute",
        ["Remove 'scrpt'", "Ignore unknown-attribute on this line"],
        "Remove 'scrpt'",
        RESEARCH + "  script: s.py",
        id="key-remove-at-end-without-newline",
    ),
    pytest.param(
        RESEARCH + '  [["scrpt"]]: x.py\n',
        "unknown-attribute",
        ["Rename 'scrpt' to 'script' [preferred, safe]", "Remove 'scrpt'", "Ignore unknown-attribute on this line"],
        "Rename 'scrpt' to 'script'",
        RESEARCH + '  "script": x.py\n',
        id="quoted-key-rename-keeps-quotes",
    ),
    pytest.param(
        RESEARCH + "  script: s.py\n  [[scrip]]: t.py\n",
        "unknown-attribute",
        ["Remove 'scrip'", "Ignore unknown-attribute on this line"],
        "Remove 'scrip'",
        RESEARCH + "  script: s.py\n",
        id="no-rename-onto-an-existing-key",
    ),
    pytest.param(
        RESEARCH + "  observability: {log_level: info, [[sla_minute]]: 60, alert_channel: x}\n",
        "unknown-attribute",
        [
            "Rename 'sla_minute' to 'sla_minutes' [preferred, safe]",
            "Remove 'sla_minute'",
            "Ignore unknown-attribute on this line",
        ],
        "Remove 'sla_minute'",
        RESEARCH + "  observability: {log_level: info, alert_channel: x}\n",
        id="flow-key-remove-middle",
    ),
    pytest.param(
        RESEARCH + "  observability: {log_level: info, [[sla_minute]]: [60]}\n",
        "unknown-attribute",
        [
            "Rename 'sla_minute' to 'sla_minutes' [preferred, safe]",
            "Remove 'sla_minute'",
            "Ignore unknown-attribute on this line",
        ],
        "Remove 'sla_minute'",
        RESEARCH + "  observability: {log_level: info}\n",
        id="flow-key-remove-last",
    ),
    pytest.param(
        RESEARCH + "  observability: {[[sla_minute]]: 60}\n",
        "unknown-attribute",
        [
            "Rename 'sla_minute' to 'sla_minutes' [preferred, safe]",
            "Remove 'sla_minute'",
            "Ignore unknown-attribute on this line",
        ],
        "Remove 'sla_minute'",
        RESEARCH + "  observability: {}\n",
        id="flow-key-remove-only",
    ),
    pytest.param(
        FOLDER + 'post_processing:\n  assets:\n    - [[targt]]: "*"  # all\n      attributes: {}\n',
        "unknown-attribute",
        ["Rename 'targt' to 'target' [preferred, safe]", "Remove 'targt'", "Ignore unknown-attribute on this line"],
        "Remove 'targt'",
        FOLDER + "post_processing:\n  assets:\n    - attributes: {}\n",
        id="list-item-first-key-remove",
    ),
    pytest.param(
        FOLDER + "post_processing:\n  assets:\n    - attributes: {}\n    - [[bogus]]: 1  # x\n",
        "unknown-attribute",
        ["Remove 'bogus'", "Ignore unknown-attribute on this line"],
        "Remove 'bogus'",
        FOLDER + "post_processing:\n  assets:\n    - attributes: {}\n    - {}\n",
        id="list-item-only-key-remove",
    ),
    pytest.param(
        FOLDER + "[[attrs]]: {}\n",
        "unknown-attribute",
        ["Rename 'attrs' to 'attributes' [preferred, safe]", "Remove 'attrs'", "Ignore unknown-attribute on this line"],
        "Rename 'attrs' to 'attributes'",
        FOLDER + "attributes: {}\n",
        id="top-level-key-rename",
    ),
    # --- invalid-value: each allowed member, the closest first (preferred only when it is close)
    pytest.param(
        RESEARCH + "  compute_size: [[xlarge]]  # big\n",
        "invalid-value",
        [
            "Change to 'large' [preferred]",
            "Change to 'small'",
            "Change to 'medium'",
            "Ignore invalid-value on this line",
        ],
        "Change to 'large'",
        RESEARCH + "  compute_size: large  # big\n",
        id="enum-closest-first",
    ),
    pytest.param(
        RESEARCH + "  compute_size: [['medum']]\n",
        "invalid-value",
        [
            "Change to 'medium' [preferred]",
            "Change to 'small'",
            "Change to 'large'",
            "Ignore invalid-value on this line",
        ],
        "Change to 'medium'",
        RESEARCH + "  compute_size: 'medium'\n",
        id="enum-quotes-kept",
    ),
    pytest.param(
        RESEARCH + "  observability:\n    log_level: [[loud]]\n",
        "invalid-value",
        ["Change to 'info'", "Change to 'debug'", "Change to 'warning'", "Ignore invalid-value on this line"],
        "Change to 'debug'",
        RESEARCH + "  observability:\n    log_level: debug\n",
        id="literal-nothing-close-nothing-preferred",
    ),
    pytest.param(
        FOLDER + "post_processing:\n  assets:\n    - attributes: {}\n      operation: [[mrge]]\n",
        "invalid-value",
        ["Change to 'merge' [preferred]", "Change to 'replace'", "Ignore invalid-value on this line"],
        "Change to 'merge'",
        FOLDER + "post_processing:\n  assets:\n    - attributes: {}\n      operation: merge\n",
        id="post-processing-enum",
    ),
    pytest.param(
        "type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: p\n  prepare_if_dev: [[maybe]]\n",
        "invalid-value",
        ["Ignore invalid-value on this line"],
        "Ignore invalid-value on this line",
        "type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: p\n"
        "  prepare_if_dev: maybe  # dagster-components-ls: ignore[invalid-value]\n",
        id="not-an-enum-only-ignore",
    ),
    # --- template names
    pytest.param(
        RESEARCH + '  description: "{{ [[projct_root]] }}/x"\n',
        "unknown-template-variable",
        ["Change 'projct_root' to 'project_root' [preferred, safe]", "Ignore unknown-template-variable on this line"],
        "Change 'projct_root' to 'project_root'",
        RESEARCH + '  description: "{{ project_root }}/x"\n',
        id="template-variable",
    ),
    pytest.param(
        RESEARCH + '  description: "{{ context.[[projct_root]] }}/x"\n',
        "unknown-template-variable",
        ["Change 'projct_root' to 'project_root' [preferred, safe]", "Ignore unknown-template-variable on this line"],
        "Change 'projct_root' to 'project_root'",
        RESEARCH + '  description: "{{ context.project_root }}/x"\n',
        id="template-object-attribute",
    ),
    pytest.param(
        RESEARCH + "  description: '{{ [[project_root]] }}/x'\n",
        "deprecated",
        ["Replace 'project_root' with 'context.project_root' [preferred, safe]", "Ignore deprecated on this line"],
        "Replace 'project_root' with 'context.project_root'",
        RESEARCH + "  description: '{{ context.project_root }}/x'\n",
        id="deprecated-template-name",
    ),
    pytest.param(
        RESEARCH + "  description: '{{ [[automation_condition]].eager() }}'\n",
        "deprecated",
        ["Ignore deprecated on this line"],
        "Ignore deprecated on this line",
        RESEARCH + "  description: '{{ automation_condition.eager() }}'  # dagster-components-ls: ignore[deprecated]\n",
        id="deprecated-without-one-replacement",
    ),
    # --- missing attributes: placeholders at the right indentation, `attributes:` created when absent
    pytest.param(
        "[[type]]: acme_platform.ResearchJob  # research\nrequirements:\n  env: [A]\n",
        "missing-attribute",
        ["Add missing attributes 'asset_key', 'owner' [preferred]", "Ignore missing-attribute on this line"],
        "Add missing attributes 'asset_key', 'owner'",
        "type: acme_platform.ResearchJob  # research\nattributes:\n  asset_key: research/churn_model\n"
        "  owner: team:research\nrequirements:\n  env: [A]\n",
        id="attributes-created-after-type",
    ),
    pytest.param(
        "---\n" + FOLDER + "---\n[[type]]: acme_platform.ResearchJob\n---\n" + FOLDER,
        "missing-attribute",
        ["Add missing attributes 'asset_key', 'owner' [preferred]", "Ignore missing-attribute on this line"],
        "Add missing attributes 'asset_key', 'owner'",
        "---\n" + FOLDER + "---\ntype: acme_platform.ResearchJob\nattributes:\n  asset_key: research/churn_model\n"
        "  owner: team:research\n---\n" + FOLDER,
        id="attributes-created-in-a-middle-document",
    ),
    pytest.param(
        "{[[type]]: acme_platform.ResearchJob}",
        "missing-attribute",
        ["Add missing attributes 'asset_key', 'owner' [preferred]", "Ignore missing-attribute on this line"],
        "Add missing attributes 'asset_key', 'owner'",
        "{type: acme_platform.ResearchJob, attributes: {asset_key: research/churn_model, owner: 'team:research'}}",
        id="attributes-created-in-a-flow-document",
    ),
    pytest.param(
        "type: dagster.PythonScriptComponent\n[[attributes]]:    # todo\n",
        "missing-attribute",
        ["Add missing attribute 'execution' [preferred]", "Ignore missing-attribute on this line"],
        "Add missing attribute 'execution'",
        'type: dagster.PythonScriptComponent\nattributes:    # todo\n  execution:\n    path: ""\n',
        id="empty-attributes-nested-required",
    ),
    pytest.param(
        "type: dagster_dbt.DbtProjectComponent\n[[attributes]]: null",
        "missing-attribute",
        ["Add missing attribute 'project' [preferred]", "Ignore missing-attribute on this line"],
        "Add missing attribute 'project'",
        "type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: '{{ context.project_root }}/path/to/dbt_project'",
        id="null-attributes-example-without-deprecated-names",
    ),
    pytest.param(
        "type: acme_platform.ResearchJob\n[[attributes]]:\n    script: s.py  # the job\n\n# notes\n",
        "missing-attribute",
        [
            "Add missing attribute 'asset_key' [preferred]",
            "Add missing attributes 'asset_key', 'owner'",
            "Ignore missing-attribute on this line",
        ],
        "Add missing attributes 'asset_key', 'owner'",
        "type: acme_platform.ResearchJob\nattributes:\n    script: s.py  # the job\n"
        "    asset_key: research/churn_model\n    owner: team:research\n\n# notes\n",
        id="siblings-at-the-users-indentation",
    ),
    pytest.param(
        "type: acme_platform.ResearchJob\n[[attributes]]:\n    script: s.py\n",
        "missing-attribute",
        [
            "Add missing attribute 'asset_key' [preferred]",
            "Add missing attributes 'asset_key', 'owner'",
            "Ignore missing-attribute on this line",
        ],
        "Add missing attribute 'asset_key'",
        "type: acme_platform.ResearchJob\nattributes:\n    script: s.py\n    asset_key: research/churn_model\n",
        id="one-key",
    ),
    pytest.param(
        SCRIPT + "  [[execution]]: {args: [a]}\n",
        "missing-attribute",
        ["Add missing attribute 'path' [preferred]", "Ignore missing-attribute on this line"],
        "Add missing attribute 'path'",
        SCRIPT + '  execution: {args: [a], path: ""}\n',
        id="flow-mapping",
    ),
    pytest.param(
        FOLDER + 'post_processing:\n  assets:\n    - [[target]]: "*"\n      operation: merge\n',
        "missing-attribute",
        ["Add missing attribute 'attributes' [preferred]", "Ignore missing-attribute on this line"],
        "Add missing attribute 'attributes'",
        FOLDER + 'post_processing:\n  assets:\n    - target: "*"\n      operation: merge\n      attributes: {}\n',
        id="list-item-mapping",
    ),
    pytest.param(
        "type: acme_platform.ResearchJob\r\n[[attributes]]:\r\n  owner: me\r\n",
        "missing-attribute",
        ["Add missing attribute 'asset_key' [preferred]", "Ignore missing-attribute on this line"],
        "Add missing attribute 'asset_key'",
        "type: acme_platform.ResearchJob\r\nattributes:\r\n  owner: me\r\n  asset_key: research/churn_model\r\n",
        id="crlf",
    ),
    pytest.param(
        "[[attributes]]:\n  x: 1\n",
        "missing-attribute",
        ["Ignore missing-attribute on this line"],
        "Ignore missing-attribute on this line",
        "attributes:  # dagster-components-ls: ignore[missing-attribute]\n  x: 1\n",
        id="missing-type-only-ignore",
    ),
    # --- undeclared env vars: appended to requirements.env as it is written
    pytest.param(
        RESEARCH + "  description: '{{ env.[[TOKEN]] }}'\nrequirements:\n  env:\n    - A  # first\n# end\n",
        "undeclared-env-var",
        ["Declare 'TOKEN' in requirements.env [preferred, safe]", "Ignore undeclared-env-var on this line"],
        "Declare 'TOKEN' in requirements.env",
        RESEARCH + "  description: '{{ env.TOKEN }}'\nrequirements:\n  env:\n    - A  # first\n    - TOKEN\n# end\n",
        id="env-block-list",
    ),
    pytest.param(
        RESEARCH + "  description: \"{{ env('[[TOKEN]]') }}\"\nrequirements:\n  env:\n  - A\n",
        "undeclared-env-var",
        ["Declare 'TOKEN' in requirements.env [preferred, safe]", "Ignore undeclared-env-var on this line"],
        "Declare 'TOKEN' in requirements.env",
        RESEARCH + "  description: \"{{ env('TOKEN') }}\"\nrequirements:\n  env:\n  - A\n  - TOKEN\n",
        id="env-block-list-not-indented",
    ),
    pytest.param(
        RESEARCH + "  description: '{{ env.[[TOKEN]] }}'\nrequirements: {env: [A, B]}  # declared\n",
        "undeclared-env-var",
        ["Declare 'TOKEN' in requirements.env [preferred, safe]", "Ignore undeclared-env-var on this line"],
        "Declare 'TOKEN' in requirements.env",
        RESEARCH + "  description: '{{ env.TOKEN }}'\nrequirements: {env: [A, B, TOKEN]}  # declared\n",
        id="env-flow-list",
    ),
    pytest.param(
        "requirements:\n  env: []\n" + RESEARCH + "  description: '{{ env.[[TOKEN]] }}'\n",
        "undeclared-env-var",
        ["Declare 'TOKEN' in requirements.env [preferred, safe]", "Ignore undeclared-env-var on this line"],
        "Declare 'TOKEN' in requirements.env",
        "requirements:\n  env: [TOKEN]\n" + RESEARCH + "  description: '{{ env.TOKEN }}'\n",
        id="env-empty-flow-list",
    ),
    pytest.param(
        RESEARCH + "  description: [[|\n    {{ projct_root }}/a\n    {{ projct_root }}/b\n]]  script: s.py\n",
        "unknown-template-variable",
        ["Change 'projct_root' to 'project_root' [preferred, safe]", "Ignore unknown-template-variable on this line"],
        "Change 'projct_root' to 'project_root'",
        RESEARCH + "  description: |\n    {{ project_root }}/a\n    {{ project_root }}/b\n  script: s.py\n",
        id="template-variable-every-use-in-a-block-string",
    ),
    # --- suppression comments
    pytest.param(
        RESEARCH + "  compute_size: [[huge]]  # ask ops  # dagster-components-ls: ignore[unknown-attribute]\n",
        "invalid-value",
        ["Change to 'large'", "Change to 'medium'", "Change to 'small'", "Ignore invalid-value on this line"],
        "Ignore invalid-value on this line",
        RESEARCH
        + "  compute_size: huge  # ask ops  # dagster-components-ls: ignore[unknown-attribute, invalid-value]\n",
        id="ignore-extends-the-line's-comment",
    ),
    pytest.param(
        RESEARCH + "  # dagster-components-ls: ignore[unknown-attribute]\n  compute_size: [[huge]]\n",
        "invalid-value",
        ["Change to 'large'", "Change to 'medium'", "Change to 'small'", "Ignore invalid-value on this line"],
        "Ignore invalid-value on this line",
        RESEARCH + "  # dagster-components-ls: ignore[unknown-attribute, invalid-value]\n  compute_size: huge\n",
        id="ignore-extends-the-comment-above",
    ),
    pytest.param(
        RESEARCH + '  description: [["{{ projct_root }} and\n    more"]]\n',
        "unknown-template-variable",
        ["Change 'projct_root' to 'project_root' [preferred, safe]", "Ignore unknown-template-variable on this line"],
        "Ignore unknown-template-variable on this line",
        RESEARCH + "  # dagster-components-ls: ignore[unknown-template-variable]\n"
        '  description: "{{ projct_root }} and\n    more"\n',
        id="ignore-above-a-multi-line-string",
    ),
    pytest.param(
        "---\n" + RESEARCH + "---\ntype: [[acme_platform.ResearchJb]]\n",
        "unknown-type",
        ["Change type to 'acme_platform.ResearchJob' [preferred, safe]", "Ignore unknown-type on this line"],
        "Ignore unknown-type on this line",
        "---\n" + RESEARCH + "---\ntype: acme_platform.ResearchJb  # dagster-components-ls: ignore[unknown-type]\n",
        id="ignore-in-a-later-document",
    ),
]


@pytest.mark.parametrize("marked, code, titles, chosen, after", CASES)
def test_fixes(marked, code, titles, chosen, after, ctx):
    text, problem = marked_problem(marked, code, ctx)
    assert [describe(f) for f in fixes_for(parse_file(text), problem, ctx)] == titles
    result = fixed(text, problem, ctx, chosen)
    assert result == after
    assert not still_reported(result, problem, ctx), diagnose_text(result, ctx)


def test_relative_type_stays_relative(registry):
    ctx = CheckContext(registry=registry, folder_module="acme_platform", exists=lambda path: True)
    text, problem = marked_problem("type: [[.ResearchJb]]\n", "unknown-type", ctx)
    assert [describe(f) for f in fixes_for(parse_file(text), problem, ctx)] == [
        "Change type to '.ResearchJob' [preferred, safe]",
        "Ignore unknown-type on this line",
    ]
    assert fixed(text, problem, ctx, "Change type to '.ResearchJob'") == "type: .ResearchJob\n"


def test_deprecated_file_name_can_only_be_ignored(registry):
    ctx = CheckContext(registry=registry, file_name="component.yaml", exists=lambda path: True)
    text = RESEARCH
    [problem] = diagnose_text(text, ctx)
    assert [describe(f) for f in fixes_for(parse_file(text), problem, ctx)] == ["Ignore deprecated on this line"]
    result = fixed(text, problem, ctx, "Ignore deprecated on this line")
    assert result.startswith("type: acme_platform.ResearchJob  # dagster-components-ls: ignore[deprecated]\n")
    assert diagnose_text(result, ctx) == []


def test_deprecated_name_from_an_explicit_replacement_name(ctx):
    text = RESEARCH + "  description: '{{ automation_condition }}'\n"
    at = text.index("automation_condition")
    problem = Problem(
        Span(at, at + 20),
        "deprecated",
        "",
        data={
            "name": "automation_condition",
            "replacement": "use {{ dg.AutomationCondition.* }}",
            "replacement_name": "dg.AutomationCondition",
        },
    )
    [replace, _] = fixes_for(parse_file(text), problem, ctx)
    assert apply_fixes(text, [replace]) == RESEARCH + "  description: '{{ dg.AutomationCondition }}'\n"


def test_no_ignore_comment_for_a_problem_on_a_comment_line(ctx):
    # An empty document's problem sits on its first comment line: no comment placement reaches it.
    text, problem = marked_problem("[[# nothing here]]\n", "missing-attribute", ctx)
    assert fixes_for(parse_file(text), problem, ctx) == []


# Declaring an env var where `requirements.env` does not exist yet (diagnostics only report it when
# the list exists, so these problems are made by hand with the data the diagnostic carries).
@pytest.mark.parametrize(
    "before, after",
    [
        pytest.param(
            "type: acme_platform.ResearchJob\n# what it runs\nattributes:\n  description: '{{ env.TOKEN }}'\n",
            "type: acme_platform.ResearchJob\nrequirements:\n  env:\n    - TOKEN\n# what it runs\nattributes:\n"
            "  description: '{{ env.TOKEN }}'\n",
            id="created-before-attributes-and-its-comment",
        ),
        pytest.param(
            "type: x.Y\nattributes:\n    a:\n    - '{{ env.TOKEN }}'\n",
            "type: x.Y\nrequirements:\n    env:\n    - TOKEN\nattributes:\n    a:\n    - '{{ env.TOKEN }}'\n",
            id="created-in-the-users-style",
        ),
        pytest.param(
            "type: x.Y\nrequirements:  # none yet\nattributes: {a: '{{ env.TOKEN }}'}\n",
            "type: x.Y\nrequirements:  # none yet\n  env:\n    - TOKEN\nattributes: {a: '{{ env.TOKEN }}'}\n",
            id="empty-requirements",
        ),
        pytest.param(
            "type: x.Y\nrequirements:\n  env: ~\nattributes: {a: '{{ env.TOKEN }}'}\n",
            "type: x.Y\nrequirements:\n  env:\n    - TOKEN\nattributes: {a: '{{ env.TOKEN }}'}\n",
            id="null-env",
        ),
        pytest.param(
            "{type: x.Y, attributes: {a: '{{ env.TOKEN }}'}}\n",
            "{type: x.Y, attributes: {a: '{{ env.TOKEN }}'}, requirements: {env: [TOKEN]}}\n",
            id="flow-document",
        ),
    ],
)
def test_env_declaration_created(before, after, ctx):
    at = before.index("TOKEN")
    problem = Problem(Span(at, at + 5), "undeclared-env-var", "", data={"name": "TOKEN"})
    [declare, _] = fixes_for(parse_file(before), problem, ctx)
    assert apply_fixes(before, [declare]) == after
    assert parse_file(after).documents[0].value["requirements"] == {"env": ["TOKEN"]}


def test_fix_all_applies_only_safe_fixes_until_none_is_left(ctx):
    text = (
        RESEARCH + "  description: '{{ env.A }} {{ env.B }} {{ project_root }}'\n  scrpt: s.py\n"
        "  compute_size: huge\nrequirements:\n  env: []\n---\ntype: dagster_dbt.DbtProjectComponnt\n"
    )
    result, applied = fix_all(text, ctx)
    assert result == (
        RESEARCH + "  description: '{{ env.A }} {{ env.B }} {{ context.project_root }}'\n  script: s.py\n"
        "  compute_size: huge\nrequirements:\n  env: [A, B]\n---\n"
        "type: dagster_dbt.DbtProjectComponent\n"
    )
    assert applied == 5
    assert [p.code for p in diagnose_text(result, ctx)] == ["invalid-value", "missing-attribute"]


def test_fix_all_keeps_a_byte_order_mark_and_edits_the_right_characters(ctx):
    text = "\ufeff" + RESEARCH + "  scrpt: s.py\n"
    result, applied = fix_all(text, ctx)
    assert (result, applied) == ("\ufeff" + RESEARCH + "  script: s.py\n", 1)


@pytest.mark.parametrize(
    "before, after, reason",
    [
        pytest.param("a:\n  selectt: x\n", "a:\n  select: x\n", None, id="still-parses"),
        pytest.param(
            "a:\n  selectt: x\n  b: 1\n",
            "a:\n select: x\n  b: 1\n",
            "line 3, column 4: Mapping values are not allowed in this context",
            id="indentation-broken",
        ),
        pytest.param("a: 'x\n", "a: 'y\n", None, id="already-broken-the-same-way"),
        pytest.param("a: 1\n", "a: 1\n---\nb: 2\n", "it would have 2 YAML documents instead of 1", id="new-document"),
    ],
)
def test_fixed_text_that_breaks_the_yaml_is_refused(before, after, reason):
    assert broken_by_fixes(before, after) == reason


def test_fix_all_respects_the_selection(ctx):
    text = RESEARCH + "  scrpt: s.py\n  description: '{{ project_root }}'\n"
    result, applied = fix_all(text, ctx, selected=lambda problem: problem.code == "deprecated")
    assert (result, applied) == (RESEARCH + "  scrpt: s.py\n  description: '{{ context.project_root }}'\n", 1)


@pytest.mark.parametrize(
    "fixes, expected",
    [
        pytest.param([((0, 1), "X"), ((2, 3), "Y")], "XbYde", id="independent"),
        pytest.param([((0, 2), "X"), ((1, 3), "Y")], "Xcde", id="overlap-skipped"),
        pytest.param([((1, 1), "X"), ((1, 1), "Y")], "aXbcde", id="two-insertions-at-one-place"),
        pytest.param([((1, 1), "X"), ((1, 1), "X")], "aXbcde", id="identical-once"),
        pytest.param([((1, 3), "X"), ((3, 3), "Y"), ((1, 1), "Z")], "aZXYde", id="touching-edges"),
        pytest.param([((0, 1), "X"), ((4, 5), "Y"), ((0, 0), "Z")], "ZXbcdY", id="insertion-before-replacement"),
    ],
)
def test_apply_fixes(fixes, expected):
    assert apply_fixes("abcde", [Fix("f", ((Span(*span), text),)) for span, text in fixes]) == expected


def test_a_fix_is_applied_whole_or_not_at_all():
    first = Fix("a", ((Span(0, 1), "X"),))
    second = Fix("b", ((Span(3, 4), "Y"), (Span(0, 2), "Z")))
    assert apply_fixes("abcde", [first, second]) == "Xbcde"


def lsp_diagnostic(payload: dict) -> types.Diagnostic:
    """A Diagnostic as pygls reads it from a client's codeAction request (`data` stays a plain dict)."""
    return converters.get_converter().structure(payload, types.Diagnostic)


def text_edit(start: tuple[int, int], end: tuple[int, int], new_text: str) -> types.TextEdit:
    return types.TextEdit(range=types.Range(start=types.Position(*start), end=types.Position(*end)), new_text=new_text)


def test_code_actions_from_a_client_diagnostic(ctx):
    text = RESEARCH + "  compute_sise: small\n"
    diagnostic = lsp_diagnostic(
        {
            "range": {"start": {"line": 4, "character": 2}, "end": {"line": 4, "character": 14}},
            "message": "Unknown attribute 'compute_sise' for acme_platform.ResearchJob. Did you mean 'compute_size'?",
            "severity": 1,
            "code": "unknown-attribute",
            "source": "dagster",
            "data": {"path": ["attributes"], "key": "compute_sise", "suggestion": "compute_size"},
        }
    )
    assert isinstance(diagnostic.data, dict)

    def action(title, edit, preferred=None):
        return types.CodeAction(
            title=title,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            is_preferred=preferred,
            edit=types.WorkspaceEdit(changes={URI: [edit]}),
        )

    assert code_actions(parse_file(text), [diagnostic], ctx, LineIndex(text), URI) == [
        action("Rename 'compute_sise' to 'compute_size'", text_edit((4, 2), (4, 14), "compute_size"), preferred=True),
        action("Remove 'compute_sise'", text_edit((4, 0), (5, 0), "")),
        action(
            "Ignore unknown-attribute on this line",
            text_edit((4, 21), (4, 21), "  # dagster-components-ls: ignore[unknown-attribute]"),
        ),
    ]


def test_code_actions_utf16_ranges_on_a_line_with_an_emoji(ctx):
    text = RESEARCH + '  description: "😀 {{ env.TOKEN }}"\nrequirements: {env: [A]}\n'
    [problem] = diagnose_text(text, ctx)
    index = LineIndex(text)
    (sl, sc), (el, ec) = index.range_of(problem.span)
    diagnostic = lsp_diagnostic(
        {
            "range": {"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}},
            "message": problem.message,
            "code": problem.code,
            "source": "dagster",
            "data": problem.data,
        }
    )
    assert (sl, sc, ec) == (4, 26, 31)  # `TOKEN` after `  description: "😀 {{ env.` (25 code points, 26 units)
    [declare, ignore] = code_actions(parse_file(text), [diagnostic], ctx, index, URI)
    assert declare.edit.changes[URI] == [text_edit((5, 22), (5, 22), ", TOKEN")]
    assert ignore.edit.changes[URI] == [
        text_edit((4, 35), (4, 35), "  # dagster-components-ls: ignore[undeclared-env-var]")
    ]


def test_code_actions_merge_one_fix_for_several_diagnostics_and_skip_other_sources(ctx):
    text = RESEARCH + "  description: '{{ env.T }} {{ env.T }}'\nrequirements: {env: [A]}\n"
    index = LineIndex(text)
    diagnostics = []
    for problem in diagnose_text(text, ctx):
        (sl, sc), (el, ec) = index.range_of(problem.span)
        diagnostics.append(
            lsp_diagnostic(
                {
                    "range": {"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}},
                    "message": problem.message,
                    "code": problem.code,
                    "source": "dagster",
                    "data": problem.data,
                }
            )
        )
    other = lsp_diagnostic(
        {  # yaml-language-server's, which VS Code passes along too
            "range": {"start": {"line": 4, "character": 0}, "end": {"line": 4, "character": 3}},
            "message": "Property x is not allowed.",
            "code": 0,
            "source": "yaml",
        }
    )
    actions = code_actions(parse_file(text), [*diagnostics, other], ctx, index, URI)
    assert [(a.title, len(a.diagnostics)) for a in actions] == [
        ("Declare 'T' in requirements.env", 2),
        ("Ignore undeclared-env-var on this line", 2),
    ]


def test_code_actions_recover_data_a_client_dropped(ctx):
    text = "type: dagster_dbt.DbtProjectComponnt\n"
    diagnostic = lsp_diagnostic(
        {
            "range": {"start": {"line": 0, "character": 6}, "end": {"line": 0, "character": 36}},
            "message": "Unknown component type",
            "code": "unknown-type",
            "source": "dagster",
        }
    )
    actions = code_actions(parse_file(text), [diagnostic], ctx, LineIndex(text), URI)
    assert [a.title for a in actions] == [
        "Change type to 'dagster_dbt.DbtProjectComponent'",
        "Ignore unknown-type on this line",
    ]


ODD_DATA = [
    None,
    {},
    {"path": "attributes", "key": 5, "suggestion": ["x"]},
    {"suggestions": "abc", "typename": ""},
    {"path": [True, None], "key": "type", "keys": "ab", "allowed": "abc"},
    {"name": "X", "replacement": "use {{ }}", "rename_to": 3},
    {"name": "", "suggestion": None},
    ["a"],
    "data",
]


@pytest.mark.parametrize("text", ODD_DOCUMENTS)
def test_odd_documents_never_raise(text, registry):
    contexts = [
        CheckContext(registry=registry, exists=lambda path: True),
        CheckContext(registry=None),
        CheckContext(registry=registry, file_name="component.yaml"),
    ]
    parsed = parse_file(text)
    for ctx in contexts:
        problems = diagnose(parsed, ctx)
        for problem in problems:
            for fix in fixes_for(parsed, problem, ctx):
                spans = sorted((span for span, _ in fix.edits), key=lambda s: (s.start, s.end))
                assert all(0 <= a.start <= a.end <= len(text) for a in spans), fix
                assert all(a.end <= b.start for a, b in zip(spans, spans[1:])), fix
                parse_file(apply_fixes(text, [fix]))
        fix_all(text, ctx)
    # Stale or foreign problems: every code with odd data at every offset of this text.
    codes = [
        "unknown-type",
        "unknown-attribute",
        "missing-attribute",
        "invalid-value",
        "unknown-template-variable",
        "deprecated",
        "undeclared-env-var",
        "policy:x",
        "",
        "a]b",
    ]
    for start in range(0, len(text) + 2):
        for code in codes:
            for data in ODD_DATA:
                problem = Problem(Span(start, min(start + 3, len(text) + 2)), code, "", data=data)
                for fix in fixes_for(parsed, problem, contexts[0]):
                    apply_fixes(text, [fix])
    index = LineIndex(text)
    diagnostics = [
        types.Diagnostic(
            range=types.Range(start=types.Position(line=n, character=0), end=types.Position(line=n + 1, character=99)),
            message="m",
            code=code,
            source="dagster",
            data=data,
        )
        for n in range(3)
        for code in codes
        for data in ODD_DATA
    ]
    code_actions(parsed, diagnostics, contexts[0], index, URI)


def test_only_the_asked_kinds_are_returned():
    fix = types.CodeAction(title="Change to 'medium'", kind=types.CodeActionKind.QuickFix)
    scaffold = types.CodeAction(title="Scaffold acme_platform.ResearchJob", kind=types.CodeActionKind.Refactor)
    rewrite = types.CodeAction(title="Rewrite", kind="refactor.rewrite")
    actions = [fix, scaffold, rewrite]
    assert [a.title for a in of_kinds(actions, [types.CodeActionKind.QuickFix])] == ["Change to 'medium'"]
    assert [a.title for a in of_kinds(actions, [types.CodeActionKind.Refactor])] == [
        "Scaffold acme_platform.ResearchJob",
        "Rewrite",
    ]
    assert of_kinds(actions, None) == actions
    assert of_kinds(actions, []) == actions
