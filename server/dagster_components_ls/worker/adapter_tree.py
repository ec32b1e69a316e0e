"""The project's component tree: its declarations, their files, and state-backed components' state."""

# Dagster is imported inside the functions, never at module level; the releases supported and the
# rule for renames are in adapter.py.

import importlib
import importlib.metadata
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import adapter

# The loader is Dagster's own: `ComponentTree.for_project(root)` then `build_defs` on the defs
# folder, which is what `dg list defs --path <defs>` runs. The root (`build_defs()` without a loc)
# also enriches the definitions with every component type's JSON snapshot for the UI: 0.9 s of the
# 1.3 s warm load on examples/acme_analytics, and nothing the lineage needs.


@dataclass(frozen=True)
class Leaf:
    """A component declaration that produces definitions itself (not a folder or a file of documents)."""

    loc: Any
    path: Path
    """The defs.yaml file of a document, or the Python file."""
    document: int | None
    """The document's index in its file; None for a Python file."""


def refresh_stored_state_only_when_asked(manifest_is_current: Callable[[Path, Path], bool]) -> None:
    """Under dg (DAGSTER_IS_DEV_CLI) dbt is parsed on every load: by state-backed components
    (`refresh_if_dev`) and by a project's own `DbtProject.prepare_if_dev()`. The load prepares stale
    state itself, so state-backed components no longer refresh on their own, and `prepare_if_dev`
    parses only when `manifest_is_current(manifest, project_dir)` says the manifest is older than
    the dbt project. The variable, which project code may read, is left as dg sets it; which files
    the project uses is unchanged. Called in the load's forked child only."""
    try:
        from dagster.components.component import state_backed_component
    except ImportError:  # before state-backed components (1.11): nothing refreshes on its own
        pass
    else:
        if hasattr(state_backed_component, "using_dagster_dev"):
            state_backed_component.using_dagster_dev = lambda: False
    # Only once the worker has dagster-dbt imported (warm, after a first load that used it): importing
    # it here would cost a project without dbt seconds per load.
    preparer_module = sys.modules.get("dagster_dbt.dbt_project")
    DagsterDbtProjectPreparer = getattr(preparer_module, "DagsterDbtProjectPreparer", None)
    if DagsterDbtProjectPreparer is None:
        return
    original = DagsterDbtProjectPreparer.prepare_if_dev

    def prepare_if_stale(self: Any, project: Any) -> None:
        try:
            current = manifest_is_current(Path(project.manifest_path), Path(project.project_dir))
        except Exception:  # noqa: BLE001 - another dagster-dbt's project: prepare as dg would
            current = False
        if not current:
            original(self, project)

    DagsterDbtProjectPreparer.prepare_if_dev = prepare_if_stale


def project_env_file(project_root: Path) -> dict[str, str]:
    """The variables of the project's `.env`, which `dg list defs` puts in the environment of the code
    it loads (`_inject_local_env_file`, for the folder dg runs in: the project's)."""
    from dagster._core.secrets.env_file import get_env_var_dict

    return get_env_var_dict(str(project_root))


class TreeUnsupported(Exception):
    """This Dagster's component tree cannot say which declaration built what (1.11.0, 1.11.1)."""


def tree_module() -> ModuleType:
    try:
        return importlib.import_module("dagster.components.core.component_tree")
    except ModuleNotFoundError:  # 1.11.0 to 1.11.4
        return importlib.import_module("dagster.components.core.tree")


def component_tree(project_root: Path) -> Any:
    """The project's component tree, as `load_from_defs_folder` builds it. Raises TreeUnsupported on a
    Dagster whose tree has no declarations: the code location then loads without it."""
    from dagster._core.definitions.definitions_load_context import DefinitionsLoadContext, DefinitionsLoadType

    tree_class = tree_module().ComponentTree
    if not hasattr(tree_class, "find_root_decl"):
        raise TreeUnsupported(f"Dagster {adapter.dagster_version()}'s component tree has no declarations")
    DefinitionsLoadContext.set(DefinitionsLoadContext(load_type=DefinitionsLoadType.INITIALIZATION))
    for_project = getattr(tree_class, "for_project", None) or tree_class.load  # 1.11.2, 1.11.3: `load`
    return for_project(project_root)


def load_code_location(project_root: Path, module_name: str) -> Any | None:
    """The project's code location as `dg list defs` loads it: the repository of its target module
    (`definitions.py`, or `code_location_target_module`), which may be a legacy `load_defs(...)`,
    a `Definitions.merge` or `load_from_defs_folder`. None when this Dagster has no such loader."""
    try:
        from dagster._cli.workspace.cli_target import get_repository_python_origin_from_cli_opts
        from dagster._utils.hosted_user_process import recon_repository_from_origin
        from dagster_shared.cli import PythonPointerOpts
    except ImportError:
        return None
    from dagster._core.definitions.definitions_load_context import DefinitionsLoadContext, DefinitionsLoadType

    DefinitionsLoadContext.set(DefinitionsLoadContext(load_type=DefinitionsLoadType.INITIALIZATION))
    origin = get_repository_python_origin_from_cli_opts(
        PythonPointerOpts(module_name=module_name, working_directory=str(project_root))
    )
    return recon_repository_from_origin(origin).get_definition()


def build_defs(tree: Any, loc: Any = None) -> Any:
    # 1.13's `build_defs(loc)` calls this; 1.11's `build_defs()` takes no loc (and adds the snapshots).
    return tree.build_defs_at_path(tree.defs_module_path if loc is None else loc)


def leaves(tree: Any) -> list[Leaf]:
    """Every YAML document and Python file of the defs folder that produces definitions."""
    from dagster.components.core import decl as decls

    python_file_decls = tuple(
        getattr(decls, name)
        for name in ("PythonFileDecl", "DagsterDefsDecl")  # 1.11.2
        if hasattr(decls, name)
    )
    found = []
    for loc, decl in _loc_decl_pairs(tree):
        path = _loc_path(loc)
        if isinstance(decl, decls.YamlDecl):
            found.append(Leaf(loc, _component_file(path), int(loc.instance_key or 0)))
        elif isinstance(decl, python_file_decls):
            found.append(Leaf(loc, path, None))
    return found


def _loc_path(loc: Any) -> Path:
    """A declaration's file or folder: `file_path_posix` on 1.13's ComponentLoc, `file_path` on 1.11.2's ComponentPath."""
    posix = getattr(loc, "file_path_posix", None)
    return Path(posix) if posix else Path(getattr(loc, "file_path", None) or ".")


def folder_documents(tree: Any) -> list[Leaf]:
    """The documents of type DefsFolderComponent (they own their folder's post_processing)."""
    from dagster.components.core.decl import DefsFolderDecl

    return [
        Leaf(loc, _component_file(_loc_path(loc)), int(loc.instance_key))
        for loc, decl in _loc_decl_pairs(tree)
        if isinstance(decl, DefsFolderDecl) and getattr(loc, "instance_key", None) is not None
    ]


def _loc_decl_pairs(tree: Any) -> Any:
    """(loc, decl) for every declaration under the defs folder; a loc has `file_path_posix` and `instance_key`."""
    root = tree.find_root_decl()
    pairs = getattr(root, "iterate_loc_component_decl_pairs", None)
    return pairs() if pairs is not None else root.iterate_path_component_decl_pairs()  # 1.11: ComponentPath


COMPONENT_FILE_NAMES = ("defs.yaml", "defs.yml", "component.yaml")  # model/vocabulary.py's list, tested equal


def _component_file(folder: Path) -> Path:
    for name in COMPONENT_FILE_NAMES:
        if (folder / name).is_file():
            return folder / name
    return folder / "defs.yaml"


@dataclass(frozen=True)
class StoredState:
    """A state-backed component's stored state (dbt's manifest and project copy under .local_defs_state/)."""

    component: Any
    key: str
    path: Path
    """The `state` file; Dagster touches it last when the state is written."""
    sources: list[Path]
    """Folders the state is made from (the dbt project), to tell when it is older than them."""
    leaf: Leaf
    """The document that declares the component."""


def stored_states(tree: Any, project_root: Path, on_error: Any) -> list[StoredState]:
    """The state-backed components whose state lives on the local file system.

    Components that fail to load are passed to `on_error(leaf, exception)`; the build reports them
    again, at their document.
    """
    try:
        from dagster.components.component.state_backed_component import StateBackedComponent
        from dagster.components.utils.project_paths import get_local_state_path
        from dagster_shared.serdes.objects.models.defs_state_info import DefsStateManagementType
    except ImportError:  # before 1.11.x's stored state: dagster-dbt reads target/manifest.json
        return []
    found = []
    # Documents only: loading a Python file's declaration imports it, and a script beside a folder's
    # definitions.py is never imported by the entry point that dg loads (the build finds the rest).
    for leaf in (leaf for leaf in leaves(tree) if leaf.document is not None):
        try:
            load = getattr(tree, "load_component", None) or tree.load_component_at_path  # 1.11 name
            component = load(leaf.loc)
        except Exception as e:  # noqa: BLE001 - reported where it belongs
            on_error(leaf, e)
            continue
        if not isinstance(component, StateBackedComponent):
            continue
        config = component.defs_state_config
        management_type = getattr(config, "management_type", None) or config.type  # 1.11: `type`
        if management_type != DefsStateManagementType.LOCAL_FILESYSTEM:
            continue
        found.append(
            StoredState(
                component, config.key, get_local_state_path(config.key, project_root), _state_sources(component), leaf
            )
        )
    return found


def _state_sources(component: Any) -> list[Path]:
    manager = getattr(component, "_project_manager", None)
    project_dir = getattr(getattr(manager, "args", None), "project_dir", None)
    if project_dir is None:
        project_dir = getattr(getattr(component, "project", None), "project_dir", None)
    return [Path(project_dir)] if project_dir else []


def refresh_state(state: StoredState, project_root: Path) -> None:
    """What `dg utils refresh-defs-state` runs for one component (for dbt: `dbt parse`, then a copy)."""
    import asyncio

    asyncio.run(state.component.refresh_state(project_root))


def component_tree_error_types() -> tuple[type, ...]:
    """Dagster's wrappers around the error user code raised while loading (unwrapped for the message)."""
    wrappers: list[type] = []
    tree_exception = getattr(tree_module(), "ComponentTreeException", None)  # 1.11.4 and newer
    if tree_exception is not None:
        wrappers.append(tree_exception)
    try:
        from dagster.components.resolved.errors import ResolutionException

        wrappers.append(ResolutionException)
    except ImportError:
        pass
    return tuple(wrappers)
