import dataclasses
from pathlib import Path

import pytest

from dagster_components_ls.features.scaffolding import (
    ScaffoldConflict,
    ScaffoldedFile,
    creation_edit,
    fill_edit,
    relevant_types,
    scaffold_actions,
    scaffold_outcome,
    scaffold_params,
    scaffold_refusal,
    scaffolded_files,
)
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import LineIndex

FOLDER = Path("/p/defs/new")


def test_scaffolded_files_stay_inside_the_folder():
    result = {
        "files": [
            {"path": "defs.yaml", "text": "type: a.B\n"},
            {"path": "../escape.py", "text": "x"},
            {"path": "/abs.py", "text": "x"},
            {"path": "sub/run.py", "text": "print()"},
        ]
    }
    assert scaffolded_files(FOLDER, result) == [
        ScaffoldedFile(FOLDER / "defs.yaml", "type: a.B\n"),
        ScaffoldedFile(FOLDER / "sub" / "run.py", "print()"),
    ]


def test_creation_edit_creates_then_fills_each_file():
    edit = creation_edit([ScaffoldedFile(FOLDER / "defs.yaml", "type: a.B\n")], exists=lambda p: False)
    create, fill = edit.document_changes
    assert (create.kind, create.uri, create.options.overwrite) == ("create", (FOLDER / "defs.yaml").as_uri(), False)
    assert (fill.text_document.uri, [e.new_text for e in fill.edits]) == (
        (FOLDER / "defs.yaml").as_uri(),
        ["type: a.B\n"],
    )


def test_creation_edit_never_overwrites():
    with pytest.raises(ScaffoldConflict, match="/p/defs/new/defs.yaml"):
        creation_edit([ScaffoldedFile(FOLDER / "defs.yaml", "x")], exists=lambda p: p.name == "defs.yaml")


@pytest.mark.parametrize(
    "current, append, expected_range, expected_text",
    [
        pytest.param("", False, ((0, 0), (0, 0)), "type: a.B\n", id="empty-file"),
        pytest.param("\n  \n", True, ((0, 0), (2, 0)), "type: a.B\n", id="blank-file-is-replaced"),
        pytest.param("type: x.Y\n", True, ((1, 0), (1, 0)), "---\ntype: a.B\n", id="append-a-document"),
        pytest.param("type: éé", True, ((0, 8), (0, 8)), "\n---\ntype: a.B\n", id="append-without-final-newline"),
    ],
)
def test_fill_edit(current, append, expected_range, expected_text):
    edit = fill_edit("file:///p/defs.yaml", LineIndex(current), "type: a.B\n", append)
    (text_edit,) = edit.changes["file:///p/defs.yaml"]
    r = text_edit.range
    assert ((r.start.line, r.start.character), (r.end.line, r.end.character)) == expected_range
    assert text_edit.new_text == expected_text


def test_relevant_types_put_the_projects_own_usage_first(registry):
    used = [
        "acme_platform.ResearchJob",
        "acme_platform.components.research_job.ResearchJob",
        "dagster_dbt.DbtProjectComponent",
    ]
    assert relevant_types(registry, used, "acme_platform.defs.x") == [
        "acme_platform.ResearchJob",
        "dagster_dbt.DbtProjectComponent",
        "dagster.DefsFolderComponent",
        "dagster.PythonScriptComponent",
    ]


URI = "file:///p/defs/new/defs.yaml"


def actions(text, registry, used=()):
    ctx = CheckContext(registry=registry, folder="/p/defs/new", folder_module="acme_platform.defs.new")
    return [(a.title, a.command.arguments) for a in scaffold_actions(text, parse_file(text), ctx, URI, list(used))]


def test_a_blank_file_offers_every_type_most_used_first(registry):
    assert actions("\n", registry, ["dagster_dbt.DbtProjectComponent"]) == [
        (f"Scaffold {key}", [{"type": key, "folder": "file:///p/defs/new", "into": URI, "append": False}])
        for key in [
            "dagster_dbt.DbtProjectComponent",
            "acme_platform.ResearchJob",
            "dagster.DefsFolderComponent",
            "dagster.PythonScriptComponent",
        ]
    ]


def test_a_written_document_offers_another_of_each_known_type_once(registry):
    text = "type: acme_platform.ResearchJob\n---\ntype: nope.Unknown\n---\ntype: acme_platform.ResearchJob\n"
    assert actions(text, registry) == [
        (
            "Add another acme_platform.ResearchJob document",
            [{"type": "acme_platform.ResearchJob", "folder": "file:///p/defs/new", "into": URI, "append": True}],
        )
    ]


def test_no_scaffolding_without_a_real_registry(registry):
    assert actions("", None) == []
    approximate = dataclasses.replace(registry, approximate="Dagster's own types (approximate)")
    assert actions("", approximate) == []


@pytest.mark.parametrize(
    "python_known, trusted, unset, expected",
    [
        pytest.param(True, True, None, None, id="runs"),
        pytest.param(
            False,
            True,
            None,
            "Scaffolding runs the component's scaffolder, which needs a trusted workspace",
            id="no-interpreter",
        ),
        pytest.param(
            True,
            False,
            None,
            "Scaffolding runs the component's scaffolder, which needs a trusted workspace",
            id="untrusted",
        ),
        pytest.param(
            True,
            True,
            "no dagster",
            "Scaffolding runs the component's scaffolder in the project's environment, which is not set up: no dagster",
            id="no-environment",
        ),
    ],
)
def test_scaffold_refusal(python_known, trusted, unset, expected):
    assert scaffold_refusal(python_known, trusted, unset) == expected


def test_scaffold_params_make_relative_paths_absolute_under_the_root():
    params = {"project_path": "dbt", "abs_path": "/x/dbt", "name": "dbt", "count": 2}
    assert scaffold_params(params, Path("/p")) == {
        "project_path": "/p/dbt",
        "abs_path": "/x/dbt",
        "name": "dbt",
        "count": 2,
    }
    assert scaffold_params(params, None) == params


def test_scaffold_outcome():
    files = [ScaffoldedFile(FOLDER / "defs.yaml", "type: a.B\n")]
    assert scaffold_outcome("a.B", files, True, None) == ({"applied": True, "files": ["/p/defs/new/defs.yaml"]}, None)
    message = "Scaffold a.B: the editor did not apply the edit (it declined)"
    assert scaffold_outcome("a.B", files, False, None) == (
        {"applied": False, "files": ["/p/defs/new/defs.yaml"], "failureReason": message},
        message,
    )
    assert (
        scaffold_outcome("a.B", [], False, "read-only")[1]
        == "Scaffold a.B: the editor did not apply the edit (read-only)"
    )
