"""asset_answers.py: completion, hover and definition prefer the loaded assets; the lineage request's result."""

import pytest
from carets import with_caret
from lsprotocol import types

from dagster_components_ls.features.asset_answers import (
    complete_with_assets,
    definition_with_assets,
    hover_with_assets,
    lineage_result,
    producer_text,
    why_no_lineage,
)
from dagster_components_ls.features.lineage import LineageState
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.loaded import Loaded
from dagster_components_ls.model.positions import LineIndex

DBT = "/p/defs/dbt/defs.yaml"
JOBS = "/p/defs/jobs/defs.yaml"
CTX = CheckContext(registry=None, folder="/p/defs/jobs", folder_module="p.defs.jobs", project_root="/p")
LOADED = Loaded.from_result(
    {
        "assets": [
            {"key": "raw", "deps": [], "group": "g", "producer": {"path": DBT, "document": 1}},
            {"key": "stg", "deps": ["raw"], "producer": {"path": JOBS, "document": 0}},
        ]
    }
)
DEPS = "type: x.Job\nattributes:\n  deps:\n    - ra|w\n"


def at(marked):
    text, offset = with_caret(marked)
    return parse_file(text), offset, LineIndex(text)


def test_asset_keys_come_first_and_the_documents_own_are_left_out():
    parsed, offset, index = at(DEPS)
    result = complete_with_assets(parsed, offset, CTX, index, {}, LOADED, JOBS)
    assert [item.label for item in result.items] == ["raw"]
    assert result.is_incomplete is False


def test_without_a_load_completion_is_the_schemas():
    parsed, offset, index = at("typ|")
    result = complete_with_assets(parsed, offset, CTX, index, {}, None, JOBS)
    assert "raw" not in [item.label for item in result.items]


def test_hover_on_an_asset_key_names_its_producer():
    parsed, offset, index = at(DEPS)
    hovered = hover_with_assets(parsed, offset, CTX, index, LOADED)
    assert hovered.contents.value == (
        "**Asset** `raw`\n\n- Group: g\n- Downstream: `stg`\n- Produced by: `defs/dbt/defs.yaml` (document 2)"
    )


@pytest.mark.parametrize(
    "producer, root, expected",
    [
        pytest.param({"path": DBT, "document": 0}, "/p", "`defs/dbt/defs.yaml`", id="first-document"),
        pytest.param({"path": DBT, "document": 2}, "/p", "`defs/dbt/defs.yaml` (document 3)", id="third-document"),
        pytest.param({"path": "/elsewhere/defs.yaml"}, "/p", "`/elsewhere/defs.yaml`", id="outside-the-project"),
        pytest.param({"path": DBT}, None, f"`{DBT}`", id="no-project"),
        pytest.param({}, "/p", None, id="no-path"),
    ],
)
def test_producer_text(producer, root, expected):
    assert producer_text(producer, root) == expected


def test_definition_of_an_asset_key_is_its_producers_document():
    parsed, offset, index = at(DEPS)
    where = {
        "uri": "file:///p/defs/dbt/defs.yaml",
        "range": {"start": {"line": 3, "character": 0}, "end": {"line": 3, "character": 4}},
    }
    calls = []
    found = definition_with_assets(parsed, offset, CTX, index, LOADED, lambda p, d: calls.append((p, d)) or where)
    assert calls == [(DBT, 1)]
    assert found == [
        types.Location(
            uri="file:///p/defs/dbt/defs.yaml", range=types.Range(start=types.Position(3, 0), end=types.Position(3, 4))
        )
    ]


@pytest.mark.parametrize(
    "args, expected",
    [
        pytest.param(
            (False, True, True, None, None), "Lineage needs a dg project: this file is in none", id="no-project"
        ),
        pytest.param(
            (True, False, True, None, None),
            "Lineage runs the project's code, which an untrusted workspace does not allow",
            id="untrusted",
        ),
        pytest.param(
            (True, True, False, None, None),
            "Lineage is turned off (setting dagsterComponents.lineage.enabled)",
            id="turned-off",
        ),
        pytest.param(
            (True, True, True, "no dagster", "x"),
            "Lineage needs the project's environment, which is not set up: no dagster",
            id="no-environment",
        ),
        pytest.param((True, True, True, None, "Could not read"), "Could not read", id="registry-error"),
        pytest.param((True, True, True, None, None), "The definitions could not be loaded", id="otherwise"),
    ],
)
def test_why_no_lineage(args, expected):
    assert why_no_lineage(*args) == expected


def test_no_load_answers_why_with_the_uri():
    lineage = LineageState(wanted=2, done=1)
    assert lineage_result(None, "file:///p/a.yaml", None, 1, lineage, "because", None, None) == {
        "assets": [],
        "edges": [],
        "errors": [{"message": "because", "uri": "file:///p/a.yaml", "range": None}],
        "stale": True,
    }
    lineage.error = "Could not load the definitions: boom"
    assert lineage_result(None, "file:///p/a.yaml", None, 1, lineage, "because", None, None)["errors"] == [
        {"message": "Could not load the definitions: boom", "uri": "file:///p/a.yaml", "range": None}
    ]


def test_a_failed_refresh_is_told_beside_the_last_graph():
    lineage = LineageState(loaded=LOADED, error="Could not load the definitions: boom")
    result = lineage_result(
        LOADED, "file://" + JOBS, "0", "deep", lineage, "unused", lambda p, d: {"uri": p}, lambda e: None
    )
    assert ([(a["key"], a["role"]) for a in result["assets"]], result["edges"], result["errors"], result["stale"]) == (
        [("stg", "produced"), ("raw", "upstream")],
        [["raw", "stg"]],
        [{"message": "Could not load the definitions: boom", "uri": None, "range": None}],
        False,
    )
