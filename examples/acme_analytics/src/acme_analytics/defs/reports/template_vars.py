"""Template variables for `reports/defs.yaml` (its `template_vars_module: .template_vars`)."""

import dagster as dg


@dg.template_var
def research_owner() -> str:
    """The team that owns every research report."""
    return "team:research"


@dg.template_var
def monday_morning() -> str:
    """07:00 UTC every Monday, before the weekly research review."""
    return "0 7 * * MON"
