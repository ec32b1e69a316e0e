"""The diagnostic codes as rules for report formats: default level, a title and what each means (DESIGN's table)."""

from __future__ import annotations

from dataclasses import dataclass

from ..model.problems import ERROR, WARNING

DOCS_URI = "https://github.com/dagster-components-ls/dagster-components-ls/blob/HEAD/docs/reference/"
"""Where the codes are documented (the project's published address, as in pyproject.toml's URLs)."""


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    title: str
    when: str
    """The `when` column of docs/reference/diagnostics.md (a test keeps them equal)."""


RULES = (
    Rule("yaml-syntax", ERROR, "YAML syntax error", "the YAML cannot be parsed (scanner and parser errors alike)"),
    Rule(
        "unknown-type",
        ERROR,
        "Unknown component type",
        "`type:` names no component type (message and `data` carry the best suggestion)",
    ),
    Rule(
        "type-import-error",
        ERROR,
        "Component type fails to import",
        "the type's module exists but fails to import (a missing binary or variable): the cause and, where known, "
        "the fix",
    ),
    Rule(
        "unknown-attribute",
        ERROR,
        "Unknown attribute",
        "a key the schema does not allow, anywhere: envelope, `attributes`, `post_processing`",
    ),
    Rule("missing-attribute", ERROR, "Missing required attribute", "a required key is absent, `type:` included"),
    Rule(
        "invalid-value",
        ERROR,
        "Invalid value",
        "a value of the wrong type, enum/Literal member or constraint, for every non-string type (bool, int, number, "
        "enum, Literal, object, list) when the value contains no `{{`",
    ),
    Rule("template-syntax", ERROR, "Template syntax error", "unbalanced `{{ }}` or a Jinja syntax error"),
    Rule(
        "unknown-template-variable",
        ERROR,
        "Unknown template variable",
        "a name not in the template scope, or an unknown attribute of a known template object "
        "(`context.projct_root`); none when the scope is incomplete (a custom resolver's own names)",
    ),
    Rule(
        "deprecated",
        WARNING,
        "Deprecated usage",
        "a deprecated template name (`project_root`), the `component.yaml` file name, a field Dagster or the "
        "integration deprecates",
    ),
    Rule(
        "undeclared-env-var",
        WARNING,
        "Undeclared environment variable",
        "`{{ env.X }}` / `{{ env('X') }}` used while `requirements.env` exists without X",
    ),
    Rule(
        "missing-file",
        WARNING,
        "Missing file",
        "a path in the YAML (script, notebook, dbt project, `template_vars_module`) that does not exist",
    ),
    Rule(
        "component-validation",
        ERROR,
        "Component validation error",
        "the component's own model validation, from the worker",
    ),
    Rule(
        "policy-config",
        ERROR,
        "Policy configuration error",
        "the policy configuration itself is wrong (shown in `pyproject.toml`)",
    ),
    Rule("load-error", ERROR, "Load error", "loading the definitions failed because of this document"),
    Rule(
        "worker-error",
        WARNING,
        "Worker error",
        "the worker could not run for this document's project (once per document)",
    ),
    Rule(
        "dbt-selection",
        WARNING,
        "dbt selection matches nothing",
        "a dbt `select`/`exclude`/`selector` that matches no node, judged by dagster-dbt's own selection (error for "
        "an invalid expression)",
    ),
    Rule(
        "unmatched-upstream",
        WARNING,
        "Unmatched upstream asset",
        "after a load: a dbt source (or other external asset) whose key no component of the project produces",
    ),
    Rule(
        "component-docs",
        WARNING,
        "Component type documentation",
        "authoring lint of a component type of the workspace's own packages (undocumented attribute, no docstring, "
        "no example, a field that degrades to a bare string)",
    ),
)
POLICY_PREFIX = "policy:"


def rule_for(code: str) -> Rule:
    """The rule of a code; a policy's (`policy:<rule>`) is made from its name: severity as configured, default error."""
    for rule in RULES:
        if rule.code == code:
            return rule
    if code.startswith(POLICY_PREFIX):
        name = code[len(POLICY_PREFIX) :]
        return Rule(
            code,
            ERROR,
            f"Policy {name}",
            f"a violation of the policy rule `{name}` (a built-in rule or a platform package's entry point)",
        )
    return Rule(code, WARNING, code, code)


def help_uri(code: str) -> str:
    return f"{DOCS_URI}policies.md#rules" if code.startswith(POLICY_PREFIX) else f"{DOCS_URI}diagnostics.md#codes"
