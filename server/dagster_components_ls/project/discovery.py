"""dg project discovery, defs folders and component files, and interpreter resolution."""

import os
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model.vocabulary import COMPONENT_FILE_NAMES
from .files import read_text

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CONFIG_FILES = ("dg.toml", "pyproject.toml")  # dg.toml wins, as in dg's discover_config_file
SKIPPED_DIRS = frozenset({".venv", "venv", "node_modules", "__pycache__"})


class ProjectConfigError(Exception):
    """A dg config file that cannot be read or holds an invalid `[tool.dg]` table."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class InterpreterNotFound(Exception):
    """The configured Python interpreter does not exist."""


@dataclass(frozen=True)
class Project:
    root: Path
    root_module: str
    defs_module: str
    defs_dir: Path | None
    """The defs package's folder on disk, or None when it does not exist (yet)."""
    registry_modules: tuple[str, ...]
    """As written in the config: `pkg.components.*` wildcards are resolved by the worker."""
    config_path: Path

    @property
    def package_dir(self) -> Path | None:
        """The folder of the root module's top-level package."""
        return module_path(self.root, self.root_module.split(".")[0])


def find_project(path: Path) -> Project | None:
    """The dg project containing `path` (a file or folder), or None.

    Walks up to the first folder with a dg config; a workspace there means `path` is in no project.
    """
    folder = path.absolute()
    if not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        found = _read_dg_config(candidate)
        if found is not None:
            config_path, table = found
            return _project_from(config_path, table) if table.get("directory_type") == "project" else None
    return None


def find_projects(folder: Path) -> list[Project]:
    """Projects in or around `folder`: the one containing it, else every one below it (workspaces too)."""
    folder = folder.absolute()
    enclosing = find_project(folder)
    if enclosing is not None:
        return [enclosing]
    projects: dict[Path, Project] = {}
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not is_skipped_dir(d, files))
        found = _read_dg_config(Path(current))
        if found is None:
            continue
        config_path, table = found
        if table.get("directory_type") == "project":
            projects[config_path.parent] = _project_from(config_path, table)
            dirs[:] = []  # projects do not nest
        elif table.get("directory_type") == "workspace":
            for entry in table.get("workspace", {}).get("projects", []):
                listed = find_project(config_path.parent / str(entry.get("path", "")))
                if listed is not None:
                    projects[listed.root] = listed
    return sorted(projects.values(), key=lambda p: p.root)


def component_files(where: "Project | Path") -> Iterator[Path]:
    """defs.yaml, defs.yml and component.yaml files under a project's defs folder, or any folder."""
    top = where.defs_dir if isinstance(where, Project) else where
    if top is None or not top.is_dir():
        return
    for current, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not is_skipped_dir(d, files))
        for name in COMPONENT_FILE_NAMES:
            # A folder of that name too: Dagster takes it for the component file (and fails to read
            # it), so whoever reads these reports it rather than skip it silently.
            if name in files or name in dirs:
                yield Path(current, name)


def module_for_folder(project: Project, folder: Path) -> str:
    """The full module of a folder under the defs folder: what a relative `type: .X` is relative to."""
    if project.defs_dir is None:
        raise ValueError(f"project {project.root} has no defs folder")
    relative = folder.absolute().relative_to(project.defs_dir)  # ValueError when outside
    return ".".join([project.defs_module, *relative.parts])


def module_path(root: Path, module: str) -> Path | None:
    """Where a module of the project lives on disk (`src/<pkg>/...` or `<pkg>/...`), never importing."""
    parts = module.split(".")
    for base in (root / "src", root):
        path = base.joinpath(*parts)
        if path.is_dir():
            return path
        if path.with_suffix(".py").is_file():
            return path.with_suffix(".py")
    return None


def resolve_interpreter(setting: str | None, project_root: Path | None) -> Path:
    """The first that exists: the setting, the project's .venv, $VIRTUAL_ENV, our own interpreter."""
    if setting:
        return _interpreter_from_setting(setting, project_root)
    candidates = []
    if project_root is not None:
        candidates.append(project_root / ".venv" / "bin" / "python")
    if os.environ.get("VIRTUAL_ENV"):
        candidates.append(Path(os.environ["VIRTUAL_ENV"]) / "bin" / "python")
    # absolute(), not resolve(): a venv's python is a symlink whose location selects the venv.
    return next((c.absolute() for c in candidates if c.is_file()), Path(sys.executable))


def is_own_fallback(setting: str | None, project_root: Path | None) -> bool:
    """True when resolve_interpreter found nothing of the project's and fell back to ours."""
    if setting:
        return False
    candidates = [project_root / ".venv" / "bin" / "python"] if project_root is not None else []
    if os.environ.get("VIRTUAL_ENV"):
        candidates.append(Path(os.environ["VIRTUAL_ENV"]) / "bin" / "python")
    return not any(c.is_file() for c in candidates)


_LOCKED_DAGSTER = re.compile(r'\[\[package\]\]\s*\nname\s*=\s*"dagster"\s*\nversion\s*=\s*"([^"]+)"')
_PINNED_DAGSTER = re.compile(r"""["']dagster\s*==\s*([0-9][^"',;\s]*)""")


def pinned_dagster(project_root: Path) -> tuple[str, str] | None:
    """(version, where) of the Dagster a project locks (uv.lock) or pins (`dagster==` in pyproject.toml)."""
    for name, pattern in (("uv.lock", _LOCKED_DAGSTER), ("pyproject.toml", _PINNED_DAGSTER)):
        try:
            text = (project_root / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        match = pattern.search(text)
        if match:
            return match.group(1), name
    return None


def _interpreter_from_setting(setting: str, project_root: Path | None) -> Path:
    if os.sep not in setting and not setting.startswith("~"):
        on_path = shutil.which(setting)  # a bare command such as "python3"
        if on_path is None:
            raise InterpreterNotFound(f"Python interpreter '{setting}' was not found on PATH")
        return Path(on_path)
    path = Path(setting).expanduser()
    if not path.is_absolute():
        path = (project_root or Path.cwd()) / path
    if not path.is_file():
        raise InterpreterNotFound(f"Python interpreter '{setting}' does not exist ({path})")
    return path.absolute()


def _read_dg_config(folder: Path) -> tuple[Path, dict[str, Any]] | None:
    """(config file, dg table) of the folder's dg.toml or pyproject.toml `[tool.dg]`, if any."""
    for name in CONFIG_FILES:
        path = folder / name
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(read_text(path, errors="strict"))
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as e:
            raise ProjectConfigError(path, f"cannot be read as TOML: {e}") from e
        table = data if name == "dg.toml" else data.get("tool", {}).get("dg")
        if isinstance(table, dict):
            return path, table
    return None


def _project_from(config_path: Path, table: dict[str, Any]) -> Project:
    where = "[project]" if config_path.name == "dg.toml" else "[tool.dg.project]"
    project = table.get("project")
    if not isinstance(project, dict) or not isinstance(project.get("root_module"), str):
        raise ProjectConfigError(config_path, f"{where} must set root_module")
    defs_module = project.get("defs_module") or f"{project['root_module']}.defs"
    registry_modules = project.get("registry_modules", [])
    if not isinstance(defs_module, str):
        raise ProjectConfigError(config_path, f"{where} defs_module must be a string")
    if not isinstance(registry_modules, list) or not all(isinstance(m, str) for m in registry_modules):
        raise ProjectConfigError(config_path, f"{where} registry_modules must be a list of strings")
    root = config_path.parent
    defs_dir = module_path(root, defs_module)
    return Project(
        root=root,
        root_module=project["root_module"],
        defs_module=defs_module,
        defs_dir=defs_dir if defs_dir is not None and defs_dir.is_dir() else None,
        registry_modules=tuple(registry_modules),
        config_path=config_path,
    )


def is_skipped_dir(name: str, siblings: list[str]) -> bool:
    """Folders no search descends into: hidden ones (.local_defs_state), venvs, node_modules, dbt's target."""
    # dbt writes its build output, copies of the models included, to target/ next to dbt_project.yml.
    return name.startswith(".") or name in SKIPPED_DIRS or (name == "target" and "dbt_project.yml" in siblings)
