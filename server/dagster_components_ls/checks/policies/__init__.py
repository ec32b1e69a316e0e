"""Policies: the project's `[tool.dagster-components-ls.policies]`, its rules, and platform policies' results.

Three kinds of rule, one code each (`policy:<rule>`, severity as configured, default error), one module each:

- **Document-level built-ins** (`allowed-types`, `required-attributes`, `forbidden-values`): the small
  functions in `document_rules.POLICIES`, run on the keystroke path like any other document rule.
- **Asset-level built-ins** (`require-owners`, `required-tags`, `asset-key-pattern`): the functions in
  `asset_rules.ASSET_POLICIES`, run on loaded assets only (lineage and `check --load`).
- **Platform policies**: functions that Python packages register under the entry-point group
  `dagster_components_ls.policies`. The worker calls them (`worker/policies.py`) and `platform` turns
  their answers into problems.

The configuration (`schemas/policies.schema.json` describes it) is read from the project's
`pyproject.toml` by `config`; where a finding goes in a document is `spans`.
"""
