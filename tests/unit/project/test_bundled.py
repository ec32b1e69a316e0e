import json
import re
from pathlib import Path

import pytest
from carets import with_caret

from dagster_components_ls.checks.diagnostics import diagnose_text
from dagster_components_ls.features.hover import hover
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import LineIndex
from dagster_components_ls.model.snapshot_shape import snapshot_problem
from dagster_components_ls.project import bundled

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"
PINNED = re.search(r'"dagster==([^"]+)"', PYPROJECT.read_text()).group(1)
LABEL = f"approximate: Dagster {PINNED} built-ins, your project's environment is not set up"


@pytest.fixture(scope="module")
def ctx() -> CheckContext:
    registry = bundled.bundled_registry()
    assert registry is not None
    return CheckContext(
        registry=registry, folder="/repo/src/shop/defs/x", folder_module="shop.defs.x", project_root="/repo"
    )


def test_the_shipped_snapshot_has_the_shape_the_server_reads_and_nothing_of_a_machine():
    snapshot = json.loads(bundled.SNAPSHOT_FILE.read_text())
    assert snapshot_problem(snapshot) is None
    assert (snapshot["python"], snapshot["module_errors"]) == ({}, {})
    assert {t["key"].split(".")[0] for t in snapshot["types"]} == set(bundled.PACKAGES)
    assert [t["source"] for t in snapshot["types"]] == [None] * len(snapshot["types"])


def test_the_bundled_registry_is_labelled_with_its_dagster_version(ctx):
    assert ctx.registry.approximate == LABEL
    assert bundled.label(None) == "approximate: Dagster unknown built-ins, your project's environment is not set up"


@pytest.mark.parametrize(
    "text, expected",
    [
        # A type outside the snapshot may well exist in the project's environment: nothing is said.
        pytest.param("type: acme.Custom\nattributes:\n  anything: 1\n", [], id="unknown-type"),
        pytest.param("type: .Local\n", [], id="relative-type"),
        # The snapshot's own types are checked against their schemas.
        pytest.param(
            "type: dagster.PythonScriptComponent\nattributes:\n  execution: {path: a.py}\n  colour: red\n",
            [
                (
                    "unknown-attribute",
                    "Unknown attribute 'colour' for dagster.PythonScriptComponent. Allowed: assets, checks, execution",
                )
            ],
            id="schema",
        ),
    ],
)
def test_diagnostics_on_the_snapshot(text, expected, ctx):
    problems = [p for p in diagnose_text(text, ctx) if p.code != "missing-file"]
    assert [(p.code, p.message) for p in problems] == expected


def test_hover_carries_the_label(ctx):
    text, offset = with_caret("type: dagster_dbt.DbtProject|Component\n")
    found = hover(parse_file(text), offset, ctx, LineIndex(text))
    assert found is not None
    assert found.contents.value.startswith(f"*{LABEL}*\n\n**DbtProjectComponent** `dagster_dbt.DbtProjectComponent`")


@pytest.mark.parametrize(
    "files, configured, expected",
    [
        pytest.param(["uv.lock", ".venv/"], False, "; to set it up, run `uv sync` in {root}", id="uv-lock"),
        pytest.param(
            [".venv/"],
            False,
            "; to set it up, run `uv pip install -e .` (or `.venv/bin/python -m pip install -e .`) in {root}",
            id="venv-without-dagster",
        ),
        pytest.param(
            [],
            False,
            "; to set it up, run `uv venv && uv pip install -e .` (or `python3 -m venv .venv && "
            ".venv/bin/python -m pip install -e .`) in {root}",
            id="no-venv",
        ),
        # The user chose the interpreter: what to install into it is theirs to decide.
        pytest.param(["uv.lock"], True, "", id="configured"),
    ],
)
def test_setup_hint(files, configured, expected, tmp_path):
    for name in files:
        (tmp_path / name.rstrip("/")).mkdir() if name.endswith("/") else (tmp_path / name).write_text("")
    assert bundled.setup_hint(tmp_path, configured) == expected.format(root=tmp_path)
    assert bundled.setup_hint(None, False) == ""
