"""The registry snapshot, its fingerprint and its disk cache, without a worker."""

import os
import shutil
import sys
from pathlib import Path

import pytest

from dagster_components_ls.model.registry import ComponentType, Registry
from dagster_components_ls.project.discovery import find_project
from dagster_components_ls.project.registry import cache_dir, fingerprint

MINI = Path(__file__).parents[2] / "fixtures" / "projects" / "mini"
PYTHON = Path(sys.executable)

DBT_SCHEMA = {"type": "object", "properties": {"project": {"type": "string"}}, "required": ["project"]}
SNAPSHOT = {
    "protocol": 1,
    "python": {"executable": "/p/.venv/bin/python", "version": "3.11.7"},
    "dagster_version": "1.13.27",
    "types": [
        {
            "key": "dagster_dbt.DbtProjectComponent",
            "aliases": ["dagster_dbt.components.dbt_project.component.DbtProjectComponent"],
            "summary": "Expose a DBT project to Dagster as a set of assets.",
            "description": "Expose a DBT project to Dagster as a set of assets.\n\nMore.",
            "schema": DBT_SCHEMA,
            "scaffold_params_schema": None,
            "source": {"path": "/sp/dagster_dbt/components/dbt_project/component.py", "line": 88},
            "package": "dagster-dbt",
            "version": "0.29.27",
        },
        {
            "key": "mini.defs.reports.local.LocalReport",
            "aliases": [],
            "summary": None,
            "description": None,
            "schema": {"type": "object"},
            "scaffold_params_schema": {"type": "object", "properties": {}},
            "source": None,
            "package": None,
            "version": None,
        },
    ],
    "envelope_schema": {"type": "object", "required": ["type"]},
    "post_processing_schema": {"type": "object", "properties": {"assets": {}}},
    "template_scope": {"globals": ["env", "dg"], "deprecated": {}, "user_vars": {}, "per_type": {}},
    "module_errors": {"mini.components.broken": "RuntimeError: broken on purpose"},
}


def test_from_snapshot_builds_component_types():
    registry = Registry.from_snapshot(SNAPSHOT)
    assert registry.types["dagster_dbt.DbtProjectComponent"] == ComponentType(
        key="dagster_dbt.DbtProjectComponent",
        aliases=("dagster_dbt.components.dbt_project.component.DbtProjectComponent",),
        summary="Expose a DBT project to Dagster as a set of assets.",
        description="Expose a DBT project to Dagster as a set of assets.\n\nMore.",
        schema=DBT_SCHEMA,
        scaffold_params_schema=None,
        source_path=Path("/sp/dagster_dbt/components/dbt_project/component.py"),
        source_line=88,
        package="dagster-dbt",
        version="0.29.27",
    )
    assert (registry.dagster_version, registry.module_errors) == (
        "1.13.27",
        {"mini.components.broken": "RuntimeError: broken on purpose"},
    )


@pytest.mark.parametrize(
    "typename, key",
    [
        pytest.param("dagster_dbt.DbtProjectComponent", "dagster_dbt.DbtProjectComponent", id="key"),
        pytest.param(
            "dagster_dbt.components.dbt_project.component.DbtProjectComponent",
            "dagster_dbt.DbtProjectComponent",
            id="alias",
        ),
        pytest.param("dagster_dbt.DbtProjectComponen", None, id="unknown"),
        pytest.param(".local.LocalReport", None, id="relative-is-resolved-by-the-caller"),
    ],
)
def test_lookup_by_key_or_alias(typename, key):
    found = Registry.from_snapshot(SNAPSHOT).lookup(typename)
    assert (found.key if found else None) == key


def test_all_typenames_lists_keys_and_aliases():
    assert Registry.from_snapshot(SNAPSHOT).all_typenames() == [
        "dagster_dbt.DbtProjectComponent",
        "dagster_dbt.components.dbt_project.component.DbtProjectComponent",
        "mini.defs.reports.local.LocalReport",
    ]


def test_to_snapshot_round_trips():
    assert Registry.from_snapshot(SNAPSHOT).to_snapshot() == SNAPSHOT


@pytest.mark.parametrize(
    "env, expected",
    [
        pytest.param({"DAGSTER_COMPONENTS_LS_CACHE": "/c", "XDG_CACHE_HOME": "/x"}, "/c", id="override"),
        pytest.param({"XDG_CACHE_HOME": "/x"}, "/x/dagster-components-ls", id="xdg"),
        pytest.param({"HOME": "/home/u"}, "/home/u/.cache/dagster-components-ls", id="home"),
    ],
)
def test_cache_dir(monkeypatch, env, expected):
    for name in ("DAGSTER_COMPONENTS_LS_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cache_dir() == Path(expected)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the mini project, free to edit, with a private cache."""
    monkeypatch.setenv("DAGSTER_COMPONENTS_LS_CACHE", str(tmp_path / "cache"))
    shutil.copytree(MINI, tmp_path / "mini")
    return find_project(tmp_path / "mini")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def bump(path: Path, text: str) -> None:
    stat = path.stat()
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.mark.parametrize(
    "edit, changes",
    [
        pytest.param(lambda root: None, False, id="nothing"),
        pytest.param(lambda root: bump(root / "src/mini/components/widget.py", "# edited\n"), True, id="component-py"),
        pytest.param(lambda root: bump(root / "src/mini/defs/reports/local.py", "# edited\n"), True, id="defs-py"),
        pytest.param(lambda root: (root / "src/mini/components/new.py").write_text(""), True, id="new-py"),
        pytest.param(
            lambda root: bump(root / "pyproject.toml", (root / "pyproject.toml").read_text() + "\n"),
            True,
            id="pyproject",
        ),
        pytest.param(
            lambda root: bump(root / "src/mini/defs/reports/defs.yaml", "type: .local.Other\n"),
            True,
            id="defs-yaml-type",
        ),
        pytest.param(
            lambda root: bump(
                root / "src/mini/defs/plain/defs.yaml", "type: dagster.DefsFolderComponent\nattributes: {}\n"
            ),
            False,
            id="defs-yaml-attributes",
        ),
        pytest.param(
            lambda root: bump(root / "src/mini/defs/reports/defs.yaml", "\ufefftype: .local.Other\n"),
            True,
            id="defs-yaml-type-after-a-bom",
        ),
        pytest.param(
            lambda root: bump(root / "src/mini/defs/plain/defs.yaml", "\ufefftype: dagster.DefsFolderComponent\n"),
            False,
            id="a-bom-names-the-same-type",
        ),
        pytest.param(
            lambda root: (root / "src/mini/defs/reports/notes.md").write_text("# notes\n"), False, id="not-python"
        ),
        # A new instance of a type another file already names (what scaffolding writes) changes nothing...
        pytest.param(
            lambda root: write(root / "src/mini/defs/plain2/defs.yaml", "type: dagster.DefsFolderComponent\n"),
            False,
            id="new-instance-of-a-named-type",
        ),
        # ...but a relative type in another folder names another class.
        pytest.param(
            lambda root: write(root / "src/mini/defs/plain2/defs.yaml", "type: .local.LocalReport\n"),
            True,
            id="relative-type-elsewhere",
        ),
    ],
)
def test_fingerprint_changes_with_what_the_registry_depends_on(project, edit, changes):
    before = fingerprint(PYTHON, project)
    edit(project.root)
    assert (fingerprint(PYTHON, project) != before) == changes


def test_fingerprint_depends_on_the_interpreter_and_project(project):
    assert (
        len(
            {fingerprint(PYTHON, project), fingerprint(PYTHON, None), fingerprint(Path("/nonexistent/python"), project)}
        )
        == 3
    )


def test_prune_cache_keeps_the_newest_entries_within_count_and_size(tmp_path, monkeypatch):
    import os

    from dagster_components_ls.project.registry import prune_cache

    monkeypatch.setenv("DAGSTER_COMPONENTS_LS_CACHE", str(tmp_path))
    for age in range(10):  # entry i is i hours old, 100 bytes
        path = tmp_path / f"validate-{age:08x}-{age:016x}.json"
        path.write_text("x" * 100)
        os.utime(path, (1_000_000 - age * 3600, 1_000_000 - age * 3600))
    (tmp_path / "README").write_text("not ours")
    assert prune_cache(max_files=6, max_bytes=10_000) == 4
    assert prune_cache(max_files=6, max_bytes=350) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "README",
        "validate-00000000-0000000000000000.json",
        "validate-00000001-0000000000000001.json",
        "validate-00000002-0000000000000002.json",
    ]
    assert prune_cache(max_files=2, only_if_over=True) == 1


def test_prune_superseded_deletes_what_an_older_fingerprint_cached(project, tmp_path):
    """Entries of this interpreter and project under another fingerprint go; the current ones, and
    another project's (its fingerprint is its own), stay."""
    import json
    from types import SimpleNamespace

    from dagster_components_ls.project.registry import prune_superseded, registry_cache_file, store_answer

    cache_dir().mkdir(parents=True, exist_ok=True)

    def stored(write) -> str:
        """The name of the one file `write` adds to the cache."""
        before = set(cache_dir().iterdir())
        write()
        [added] = set(cache_dir().iterdir()) - before
        return added.name

    def registry(owner, stamp, extras):
        return lambda: registry_cache_file(PYTHON, owner, extras).write_text(
            json.dumps({"fingerprint": stamp, "registry": {}})
        )

    def answer(cwd, stamp, method):
        return lambda: store_answer(SimpleNamespace(python=PYTHON, cwd=cwd), stamp, method, {}, {"results": []})

    old_registry = stored(registry(project, "old", ["acme.Old"]))
    old_policies = stored(answer(project.root, "old", "policies"))
    kept = {
        stored(registry(project, "new", ["acme.New"])),
        stored(registry(project, "new", [])),
        stored(answer(project.root, "new", "validate")),
        stored(registry(None, "old", ["acme.Old"])),  # files outside any project: another owner
        stored(answer(tmp_path / "other", "old", "policies")),
    }

    assert prune_superseded(PYTHON, project, "new") == 2
    assert {p.name for p in cache_dir().iterdir()} == kept
    assert not {old_registry, old_policies} & kept
