"""Dagster in the worker's own process: its version, installed modules preloaded, a module's components."""

# Supported: every release of Dagster 1.11, 1.12 and 1.13 (`__main__._check_dagster` refuses older
# ones before anything here runs). Each function tries today's (1.13) name first and falls back to an
# older name or to a plain re-implementation, so a rename costs one edit in an adapter module
# (adapter*.py, split by concern) and nowhere else.
# Dagster is imported inside the functions, never at module level, so `ping` works (and fails
# clearly later) in an interpreter without Dagster.

import ast
import importlib
import importlib.metadata
import inspect
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

# Groups dg reads for component registries: the current one first, then back-compat names
# (dagster/components/core/package_entry.py).
ENTRY_POINT_GROUPS = (
    "dagster_dg_cli.registry_modules",
    "dagster_dg.library",
    "dagster_dg.plugin",
    "dagster_dg_cli.plugin",
)
# The marker attribute a registry object carries: 1.11+ name, then the 1.10 name.
PACKAGE_ENTRY_ATTRS = ("__dg_package_entry__", "__dg_library_object__")


def dagster_version() -> str:
    return importlib.metadata.version("dagster")


def preload(typenames: tuple[str, ...] = ()) -> None:
    """Imports Dagster itself, and the installed packages of these types, so forked calls start warm.

    Only modules found in site-packages are imported here: an installed package changes only with a
    reinstall, which changes the registry fingerprint and restarts the worker. A project's own
    modules (which the user edits) are imported in each call's fork, never here.
    """
    import importlib.util

    import dagster  # noqa: F401

    installed = site_dirs()
    for typename in typenames:
        top = typename.split(".")[0]
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            continue
        origin = getattr(spec, "origin", None) or ""
        if spec is not None and any(origin.startswith(p) for p in installed):
            try:
                importlib.import_module(typename.rpartition(".")[0])
            except BaseException:  # noqa: BLE001 - the fork reports it; the worker itself must live
                continue


# Folders never scanned for a project's imports (generated, vendored or hidden).
_UNSCANNED = {"__pycache__", "node_modules", "target", "dbt_packages", "logs", "site-packages"}
MAX_SCANNED_FILES = 2000
_PRELOAD_TRIED: set[str] = set()
"""Modules preload_imports_of tried in this worker, whatever the outcome: each is tried once."""
_SCANNED: dict[Path, set[str]] = {}
"""The imports read from each package folder, once per worker (the server starts a new worker when a
.py file is saved, since the registry is rebuilt then): a validate call per edit does not read them again."""


def preload_imports_of(package_dir: Path, own: set[str], seconds: float) -> None:
    """Imports, in the worker itself, the installed modules that the project's own modules import at
    their top level (`import dagster_dbt`, `from dagster_snowflake import ...`), found by reading
    the files, never by importing them: the forked call that imports the project's modules then
    finds them imported, so a cold `check` imports them once rather than in every call's child.

    Installed modules only (see preload), never a package of the project (`own`). All of it within
    `seconds` (SIGALRM): what is left, or fails, is imported by the call's child, which reports it.
    """
    if package_dir not in _SCANNED:
        _SCANNED[package_dir] = _top_level_imports(package_dir)
    names = sorted(
        name
        for name in _SCANNED[package_dir]
        if name not in _PRELOAD_TRIED
        and name.split(".")[0] not in own
        and name not in sys.modules
        and _installed(name.split(".")[0])
    )
    if not names or not hasattr(signal, "setitimer"):
        return
    deadline = time.monotonic() + seconds

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"preloading took over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    try:
        for name in names:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            _PRELOAD_TRIED.add(name)
            signal.setitimer(signal.ITIMER_REAL, left)
            try:
                importlib.import_module(name)
            except BaseException:  # noqa: BLE001 - the call's child imports it again and reports it
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def _top_level_imports(package_dir: Path) -> set[str]:
    """Absolute module names imported at module level (also under if/try/with) by the .py files of a folder."""
    names: set[str] = set()
    files = 0
    for folder, subfolders, filenames in os.walk(package_dir):
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d not in _UNSCANNED]
        for filename in filenames:
            if not filename.endswith(".py"):
                continue
            files += 1
            if files > MAX_SCANNED_FILES:
                return names
            try:
                tree = ast.parse(Path(folder, filename).read_bytes())
            except (OSError, SyntaxError, ValueError):
                continue
            pending: list[ast.AST] = list(tree.body)
            while pending:
                node = pending.pop()
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module)
                elif isinstance(node, (ast.If, ast.Try, ast.With)):
                    pending.extend(ast.iter_child_nodes(node))
                elif isinstance(node, (ast.ExceptHandler,)):
                    pending.extend(node.body)
    return names


def _installed(top: str) -> bool:
    import importlib.util

    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return False
    origin = getattr(spec, "origin", None) or ""
    return spec is not None and any(origin.startswith(p) for p in site_dirs())


def site_dirs() -> tuple[str, ...]:
    """Where installed packages live (a package changes there only with a reinstall)."""
    import sysconfig

    return tuple({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})


def installed_since(before: set[str], own: str | None) -> list[str]:
    """Installed modules imported since `before` (a copy of sys.modules' names), for import_installed:
    never the project's own package `own`, even when it is installed, so each call sees its edits."""
    site = site_dirs()
    return sorted(
        name
        for name in set(sys.modules) - before
        if name.split(".")[0] != own and (getattr(sys.modules.get(name), "__file__", None) or "").startswith(site)
    )


def import_installed(names: list[str]) -> None:
    """Imports installed modules a forked call imported, so the next fork starts with them.

    Only names the child found in site-packages arrive here (see load._learned); any failure is the
    next call's to report, in its own child.
    """
    for name in names:
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - the worker itself must live
            continue


def component_base() -> type:
    from dagster.components.component.component import Component

    return Component


def registry_entry_points() -> list[importlib.metadata.EntryPoint]:
    try:
        from dagster.components.core.package_entry import get_plugin_entry_points
    except ImportError:
        return [ep for group in ENTRY_POINT_GROUPS for ep in importlib.metadata.entry_points(group=group)]
    return list(get_plugin_entry_points())


def component_classes_in_module(module: ModuleType) -> Iterator[tuple[str, type]]:
    """(attribute name, class) for each concrete Component registered in the module.

    Like dg's `get_package_objects_in_module`, but keeps only components: plain scaffold targets
    (`dagster.asset`, `job`, ...) carry the same marker.
    """
    base = component_base()
    for attr in dir(module):
        value = getattr(module, attr, None)
        if (
            isinstance(value, type)
            and is_component_class(value, base)
            and any(hasattr(value, a) for a in PACKAGE_ENTRY_ATTRS)
        ):
            yield attr, value


def is_component_class(value: object, base: type | None = None) -> bool:
    base = base or component_base()
    return isinstance(value, type) and issubclass(value, base) and not inspect.isabstract(value)


def quiet_dagster_warnings() -> Any:
    """A context in which Dagster's beta/preview notices stay silent (as `dg list defs` does)."""
    import contextlib

    try:
        from dagster_shared.utils.warnings import disable_dagster_warnings
    except ImportError:
        try:
            from dagster._utils.warnings import disable_dagster_warnings
        except ImportError:
            return contextlib.nullcontext()
    return disable_dagster_warnings()
