"""dagster-dbt as the dbt selection check uses it: the component class, its project and manifest, and its selection function."""

# dagster-dbt is imported by name (importlib), inside the functions: a project without it never pays
# for it, and the worker's modules stay stdlib + Dagster. The names are dagster-dbt 0.27 to 0.29's:
# `DbtProjectComponent._project_manager.get_project(state_path)` is what its `build_defs_from_state`
# reads the project from, and `dagster_dbt.utils.select_unique_ids` what `build_dbt_specs` selects with.

import importlib
from pathlib import Path
from typing import Any, Callable

SELECTION_MODULES = ("dagster_dbt.utils", "dbt.graph.cli", "dbt.graph.selector", "dbt.contracts.graph.manifest")


def warm() -> None:
    """Imports dbt's selection engine in the worker itself (dagster-dbt imports it on first use: 1.5 s),
    so every forked call finds it imported; without dbt-core, the call's child says so."""
    for name in SELECTION_MODULES:
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - the call's child reports what is missing
            return


def is_dbt_project_component(component: Any) -> bool:
    try:
        cls = importlib.import_module("dagster_dbt").DbtProjectComponent
    except (ImportError, AttributeError):
        return False
    return isinstance(component, cls)


def dbt_project(component: Any, root: Path) -> Any:
    """The DbtProject the component builds from: its stored state's copy when there is one (as its
    build reads it), else the project as written."""
    return component._project_manager.get_project(_state_path(component, root))


def source_project_dir(component: Any, project: Any) -> str:
    """The dbt project's folder as the user writes it (absolute), not the stored state's copy the
    build reads: where a model's file is edited. The copy's when the project has no folder of its
    own on disk (a remote git project)."""
    try:
        written = Path(component._project_manager.get_project(None).project_dir)
    except Exception:  # noqa: BLE001 - e.g. a remote project not cloned outside the state
        written = Path(project.project_dir)
    return str((written if written.is_dir() else Path(project.project_dir)).resolve())


def _state_path(component: Any, root: Path) -> Path | None:
    try:
        from dagster.components.utils.project_paths import get_local_state_path
    except ImportError:  # before stored state (1.11.x): dagster-dbt reads target/manifest.json
        return None
    key = getattr(getattr(component, "defs_state_config", None), "key", None)
    if not key:
        return None
    state = get_local_state_path(key, root)
    return state if state.exists() else None


def selection_function(project: Any, manifest: dict[str, Any]) -> Callable[[str, str, str], set[str]]:
    """(select, exclude, selector) -> the unique ids dagster-dbt selects on this manifest."""
    select_unique_ids = importlib.import_module("dagster_dbt.utils").select_unique_ids
    _quiet_dbt_events()

    def select(select_: str, exclude: str, selector: str) -> set[str]:
        return set(select_unique_ids(select_, exclude, selector, project, manifest))

    return select


def _quiet_dbt_events() -> None:
    """No dbt log line per criterion that matches nothing ("The selection criterion 'x' does not match
    any enabled nodes") on the worker's stderr: the answer says it. In the call's forked child only."""
    try:
        importlib.import_module("dbt_common.events.functions").get_event_manager().loggers = []
    except (ImportError, AttributeError):  # another dbt: its lines stay on stderr
        pass
