"""Dagster's words, each written once: envelope keys, component file names, template globals."""

ENVELOPE_KEYS = ("type", "attributes", "template_vars_module", "requirements", "post_processing")
"""The top-level keys of a component document."""

COMPONENT_FILE_NAMES = ("defs.yaml", "defs.yml", "component.yaml")
"""The files Dagster reads a folder's components from, in its order of precedence (dagster 1.13's
`find_defs_or_component_yaml`). `component.yml` was never one: Dagster ignores it. Copied, and tested
equal, in worker/registry.py, worker/adapter_tree.py, vscode-client/src/constants.ts and package.json."""

DEPRECATED_FILE_NAMES = {"component.yaml": "defs.yaml"}
"""A component file name Dagster still reads but deprecates, and the name to use instead."""

DEFAULT_FILE_NAME = "defs.yaml"

JINJA_GLOBALS = frozenset(
    {
        "range",
        "dict",
        "lipsum",
        "cycler",
        "joiner",
        "namespace",
        "true",
        "false",
        "none",
        "True",
        "False",
        "None",
        "loop",
    }
)
"""The names Jinja itself gives every template, whatever Dagster's scope."""

CONTEXT_BEFORE_1_13 = {
    "project_root": "project_root",
    "load_component": "load_component_at_path",
    "build_defs": "build_defs_at_path",
}
"""What each `context.X` of Dagster 1.13 was called in templates before it (a global of its own)."""

# What each envelope key is for, by key path without list indices (the envelope and post_processing
# schemas have titles only): hover shows it, completion documents its items with it.
ENVELOPE_DESCRIPTIONS = {
    "type": "The component type: a registered class such as `dagster_dbt.DbtProjectComponent`, "
    "or `.module.Class` relative to this folder's module.",
    "attributes": "The component's attributes, checked against its type's schema.",
    "template_vars_module": "A module whose `@template_var` functions this document's `{{ }}` templates can use; "
    "`.name` is relative to this folder.",
    "requirements": "What the component needs to load: `env` lists the environment variables it reads.",
    "post_processing": "Changes to the component's assets after they are built: `assets` is a list of "
    "`target`, `operation` and `attributes`.",
    "requirements.env": "The environment variables the component reads; every `{{ env.NAME }}` should be listed.",
    "post_processing.assets": "Updates to the component's assets, applied in order.",
    "post_processing.assets.target": "The assets to update, as an asset selection (`*` for all of them).",
    "post_processing.assets.operation": "`merge` adds to the assets' properties, `replace` overwrites them.",
    "post_processing.assets.attributes": "The asset properties to set.",
}

# Dagster's template scope (dagster/components/resolved/scopes.py and Component.load): hover's words
# and completion's item details.
TEMPLATE_GLOBAL_DESCRIPTIONS = {
    "env": "environment variables: `env.NAME`, or `env('NAME', 'default')` with a default",
    "context": "the load context: `project_root`, `load_component`, `build_defs`",
    "dg": "Dagster's template helpers: `AutomationCondition`, `FreshnessPolicy` and the partitions definitions",
    "datetime": "Python's `datetime` module (`datetime`, `timedelta`)",
    "project_root": "the project's root folder",
    "load_component_at_path": "loads the component at a path of the defs folder",
    "build_defs_at_path": "builds the definitions at a path of the defs folder",
    "automation_condition": "Dagster's automation conditions",
}
