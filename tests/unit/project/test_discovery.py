"""dg project discovery, component files, module names and interpreter resolution."""

import os
import sys
from pathlib import Path

import pytest

from dagster_components_ls.project.discovery import (
    InterpreterNotFound,
    Project,
    ProjectConfigError,
    component_files,
    find_project,
    find_projects,
    module_for_folder,
    resolve_interpreter,
)

MINI = Path(__file__).parents[2] / "fixtures" / "projects" / "mini"
MINI_PROJECT = Project(
    root=MINI,
    root_module="mini",
    defs_module="mini.defs",
    defs_dir=MINI / "src" / "mini" / "defs",
    registry_modules=("mini.components.*",),
    config_path=MINI / "pyproject.toml",
)


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def dg_project(root: Path, root_module: str = "pkg", extra: str = "", *, src: bool = True) -> Path:
    write(
        root / "pyproject.toml",
        f'[tool.dg]\ndirectory_type = "project"\n\n[tool.dg.project]\nroot_module = "{root_module}"\n{extra}',
    )
    write((root / "src" if src else root) / root_module / "defs" / "__init__.py")
    return root


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(MINI, id="root"),
        pytest.param(MINI / "src/mini/defs/reports/defs.yaml", id="defs-file"),
        pytest.param(MINI / "src/mini/defs/reports/not-created-yet.yaml", id="new-file"),
        pytest.param(MINI / "src/mini/components", id="folder"),
    ],
)
def test_find_project_walks_up_to_the_dg_config(start):
    assert find_project(start) == MINI_PROJECT


def test_find_project_outside_any_project_is_none(tmp_path):
    write(tmp_path / "pyproject.toml", '[project]\nname = "not-dg"\n')
    assert find_project(tmp_path / "defs.yaml") is None


def test_a_nested_pyproject_without_tool_dg_is_skipped(tmp_path):
    root = dg_project(tmp_path / "proj")
    write(root / "src/pkg/defs/dbt/pyproject.toml", '[project]\nname = "inner"\n')
    assert find_project(root / "src/pkg/defs/dbt/models").root == root


def test_dg_toml_wins_and_reads_top_level_keys_without_src(tmp_path):
    write(
        tmp_path / "dg.toml",
        'directory_type = "project"\n[project]\nroot_module = "flat"\n'
        'defs_module = "flat.definitions"\nregistry_modules = ["flat.lib"]\n',
    )
    write(tmp_path / "pyproject.toml", '[tool.dg]\ndirectory_type = "workspace"\n')
    write(tmp_path / "flat/definitions/__init__.py")
    assert find_project(tmp_path) == Project(
        root=tmp_path,
        root_module="flat",
        defs_module="flat.definitions",
        defs_dir=tmp_path / "flat" / "definitions",
        registry_modules=("flat.lib",),
        config_path=tmp_path / "dg.toml",
    )


def test_defs_dir_is_none_when_the_folder_is_missing(tmp_path):
    write(
        tmp_path / "pyproject.toml", '[tool.dg]\ndirectory_type = "project"\n[tool.dg.project]\nroot_module = "gone"\n'
    )
    assert find_project(tmp_path).defs_dir is None


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param(
            "[tool.dg\n",
            "cannot be read as TOML: Expected ']' at the end of a table declaration (at line 1, column 9)",
            id="malformed",
        ),
        pytest.param(
            '[tool.dg]\ndirectory_type = "project"\n', "[tool.dg.project] must set root_module", id="no-root-module"
        ),
        pytest.param(
            '[tool.dg]\ndirectory_type = "project"\n[tool.dg.project]\nroot_module = "p"\nregistry_modules = "p.*"\n',
            "[tool.dg.project] registry_modules must be a list of strings",
            id="registry-modules-not-list",
        ),
    ],
)
def test_bad_config_raises_project_config_error_with_file_and_message(tmp_path, text, message):
    config = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(ProjectConfigError) as caught:
        find_project(tmp_path)
    assert (caught.value.path, caught.value.message, str(caught.value)) == (config, message, f"{config}: {message}")


def test_a_file_in_a_workspace_but_in_no_project_has_no_project(tmp_path):
    write(tmp_path / "dg.toml", 'directory_type = "workspace"\n[workspace]\nprojects = [{ path = "projects/a" }]\n')
    dg_project(tmp_path / "projects" / "a", "a")
    assert find_project(tmp_path / "notes" / "defs.yaml") is None
    assert find_project(tmp_path / "projects" / "a" / "src").root == tmp_path / "projects" / "a"


def test_find_projects_lists_workspace_projects_and_searches_below(tmp_path):
    write(tmp_path / "dg.toml", 'directory_type = "workspace"\n[workspace]\nprojects = [{ path = "../outside" }]\n')
    dg_project(tmp_path.parent / "outside", "outside")
    dg_project(tmp_path / "projects" / "b", "b")
    dg_project(tmp_path / "projects" / "c", "c", src=False)
    dg_project(tmp_path / ".venv" / "lib" / "d", "d")  # skipped: venv
    dg_project(tmp_path / "web" / "node_modules" / "e", "e")  # skipped: node_modules
    dg_project(tmp_path / ".hidden" / "f", "f")  # skipped: hidden
    assert [p.root_module for p in find_projects(tmp_path)] == ["outside", "b", "c"]


def test_find_projects_inside_a_project_is_that_project():
    assert find_projects(MINI / "src" / "mini") == [MINI_PROJECT]


EXPECTED_MINI_FILES = ["absolute/component.yaml", "nested/deeper/defs.yml", "plain/defs.yaml", "reports/defs.yaml"]


def test_component_files_of_a_project():
    found = [str(p.relative_to(MINI_PROJECT.defs_dir)) for p in component_files(MINI_PROJECT)]
    assert found == EXPECTED_MINI_FILES


def test_component_files_of_a_folder():
    found = [str(p.relative_to(MINI)) for p in component_files(MINI)]
    assert found == [f"src/mini/defs/{f}" for f in EXPECTED_MINI_FILES]


def test_component_files_skip_generated_and_tool_folders(tmp_path):
    # Built here, not under fixtures/: the repository's .gitignore drops these folder names.
    for folder in [
        "a",
        "a/.local_defs_state/dbt",
        ".hidden",
        ".venv/lib",
        "node_modules/x",
        "dbt/target",
        "other/target",
        "__pycache__",
    ]:
        write(tmp_path / folder / "defs.yaml")
    write(tmp_path / "dbt" / "dbt_project.yml")
    write(tmp_path / "b" / "component.yaml")
    write(tmp_path / "b" / "defs.yml")
    found = [str(p.relative_to(tmp_path)) for p in component_files(tmp_path)]
    # other/target is kept: only a target/ next to dbt_project.yml is dbt's build output
    assert found == ["a/defs.yaml", "b/defs.yml", "b/component.yaml", "other/target/defs.yaml"]


def test_component_files_include_what_only_bears_the_name(tmp_path):
    # Dagster takes any of these for the component file: whoever reads them reports them.
    os.mkfifo(write_dir(tmp_path / "fifo") / "defs.yaml")
    (write_dir(tmp_path / "dangling") / "defs.yaml").symlink_to(tmp_path / "nowhere.yaml")
    write(tmp_path / "folder" / "defs.yaml" / "inner" / "defs.yaml")
    found = [str(p.relative_to(tmp_path)) for p in component_files(tmp_path)]
    assert found == ["dangling/defs.yaml", "fifo/defs.yaml", "folder/defs.yaml", "folder/defs.yaml/inner/defs.yaml"]


def write_dir(path):
    path.mkdir(parents=True)
    return path


def test_component_files_of_a_project_without_defs_folder_is_empty(tmp_path):
    project = Project(tmp_path, "x", "x.defs", None, (), tmp_path / "pyproject.toml")
    assert list(component_files(project)) == []


@pytest.mark.parametrize(
    "folder, module",
    [
        pytest.param("", "mini.defs", id="defs-root"),
        pytest.param("reports", "mini.defs.reports", id="child"),
        pytest.param("nested/deeper", "mini.defs.nested.deeper", id="grandchild"),
    ],
)
def test_module_for_folder(folder, module):
    assert module_for_folder(MINI_PROJECT, MINI_PROJECT.defs_dir / folder) == module


def test_module_for_folder_outside_the_defs_folder_raises():
    with pytest.raises(ValueError):
        module_for_folder(MINI_PROJECT, MINI / "src" / "mini" / "components")


def fake_python(path: Path) -> Path:
    write(path, "#!/bin/sh\n").chmod(0o755)
    return path


def test_interpreter_setting_wins(tmp_path, monkeypatch):
    chosen = fake_python(tmp_path / "chosen" / "python")
    fake_python(tmp_path / "proj" / ".venv" / "bin" / "python")
    assert resolve_interpreter(str(chosen), tmp_path / "proj") == chosen


def test_relative_interpreter_setting_is_relative_to_the_project(tmp_path):
    venv_python = fake_python(tmp_path / "env" / "bin" / "python")
    assert resolve_interpreter("env/bin/python", tmp_path) == venv_python


def test_missing_interpreter_setting_raises(tmp_path):
    missing = tmp_path / "nope" / "python"
    with pytest.raises(InterpreterNotFound) as caught:
        resolve_interpreter(str(missing), tmp_path)
    assert str(caught.value) == f"Python interpreter '{missing}' does not exist ({missing})"


def test_then_the_project_venv_then_virtual_env_then_our_own(tmp_path, monkeypatch):
    active = fake_python(tmp_path / "active" / "bin" / "python")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "active"))
    project_python = fake_python(tmp_path / "proj" / ".venv" / "bin" / "python")
    assert resolve_interpreter(None, tmp_path / "proj") == project_python
    assert resolve_interpreter(None, tmp_path / "other") == active
    monkeypatch.delenv("VIRTUAL_ENV")
    assert resolve_interpreter(None, None) == Path(sys.executable)
