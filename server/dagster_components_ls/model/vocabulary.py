"""Dagster's words, each written once: envelope keys, component file names, template globals."""

ENVELOPE_KEYS = ("type", "attributes", "template_vars_module", "requirements", "post_processing")
"""The top-level keys of a component document."""

COMPONENT_FILE_NAMES = ("defs.yaml", "defs.yml", "component.yaml")
"""The files Dagster reads a folder's components from, in its order of precedence (dagster 1.13's
`find_defs_or_component_yaml`). `component.yml` was never one: Dagster ignores it. Copied, and tested
equal, in worker/registry.py, worker/adapter.py, vscode-client/src/constants.ts and package.json."""

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
