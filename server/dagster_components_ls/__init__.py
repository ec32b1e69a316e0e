"""dagster-components-ls: a language server for Dagster Components YAML."""

__version__ = "0.1.0"
