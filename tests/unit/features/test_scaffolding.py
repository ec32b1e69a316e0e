from pathlib import Path

import pytest

from dagster_components_ls.model.positions import LineIndex
from dagster_components_ls.features.scaffolding import (
    ScaffoldConflict,
    ScaffoldedFile,
    creation_edit,
    fill_edit,
    relevant_types,
    scaffolded_files,
)

FOLDER = Path("/p/defs/new")


def test_scaffolded_files_stay_inside_the_folder():
    result = {"files": [{"path": "defs.yaml", "text": "type: a.B\n"}, {"path": "../escape.py", "text": "x"},
                        {"path": "/abs.py", "text": "x"}, {"path": "sub/run.py", "text": "print()"}]}
    assert scaffolded_files(FOLDER, result) == [
        ScaffoldedFile(FOLDER / "defs.yaml", "type: a.B\n"), ScaffoldedFile(FOLDER / "sub" / "run.py", "print()")]


def test_creation_edit_creates_then_fills_each_file():
    edit = creation_edit([ScaffoldedFile(FOLDER / "defs.yaml", "type: a.B\n")], exists=lambda p: False)
    create, fill = edit.document_changes
    assert (create.kind, create.uri, create.options.overwrite) == ("create", (FOLDER / "defs.yaml").as_uri(), False)
    assert (fill.text_document.uri, [e.new_text for e in fill.edits]) == ((FOLDER / "defs.yaml").as_uri(), ["type: a.B\n"])


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
    used = ["acme_platform.ResearchJob", "acme_platform.components.research_job.ResearchJob", "dagster_dbt.DbtProjectComponent"]
    assert relevant_types(registry, used, "acme_platform.defs.x") == [
        "acme_platform.ResearchJob", "dagster_dbt.DbtProjectComponent", "dagster.DefsFolderComponent",
        "dagster.PythonScriptComponent"]
