"""What `dg scaffold defs` runs: Dagster's own scaffolding code path."""

# Dagster is imported inside the functions, never at module level; the releases supported and the
# rule for renames are in adapter.py.

from pathlib import Path


def scaffold_object(
    target: Path, typename: str, json_params: str | None, project_root: Path | None, append: bool
) -> None:
    """`dg scaffold defs`'s own code path: the component's scaffolder and its params model."""
    import contextlib
    import io

    from dagster.components.component_scaffolding import scaffold_object as dagster_scaffold

    with contextlib.redirect_stdout(io.StringIO()):  # it echoes "Creating defs at ..."
        dagster_scaffold(target, typename, json_params, "yaml", project_root, append=append)
