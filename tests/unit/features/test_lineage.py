"""lineage.py: the lineage view, code lens titles, load errors and asset keys in YAML, on a small graph."""

import pytest
from carets import with_caret, with_marks
from lsprotocol import types

from dagster_components_ls.checks.pipeline import load_problems, loaded_policy_problems
from dagster_components_ls.checks.policies.config import PolicyConfig, Setting
from dagster_components_ls.features.lineage import (
    asset_at,
    asset_completions,
    format_mermaid,
    lens_title,
    lineage_view,
)
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.loaded import Loaded
from dagster_components_ls.model.positions import LineIndex

DBT = "/p/defs/dbt/defs.yaml"
JOBS = "/p/defs/jobs/defs.yaml"


def asset(key, deps=(), path=None, document=0, owners=("team:a",), materializable=True):
    return {
        "key": key,
        "deps": list(deps),
        "group": "g",
        "kinds": ["dbt"],
        "owners": list(owners),
        "tags": {},
        "checks": [],
        "description": None,
        "automation_condition": None,
        "materializable": materializable,
        "producer": {"path": path, "document": document} if path else None,
    }


# raw -> stg -> orders -> features -> model -> report; ext (a stub) -> features
LOADED = Loaded.from_result(
    {
        "assets": [
            asset("raw", path=DBT),
            asset("stg", ["raw"], DBT),
            asset("orders", ["stg"], DBT),
            asset("ext", materializable=False),
            asset("features", ["orders", "ext"], JOBS, 0),
            asset("model", ["features"], JOBS, 1),
            asset("report", ["model"], "/p/defs/report/defs.yaml"),
        ],
        "errors": [
            {
                "path": DBT,
                "document": 0,
                "key_path": ["attributes", "project"],
                "message": "DagsterDbtProjectNotFoundError: gone",
            },
            {"path": "/p/defs/__init__.py", "document": None, "line": 3, "message": "ValueError: boom"},
        ],
    }
)


def view(path, document=None, depth=1):
    return lineage_view(
        LOADED,
        path,
        document,
        depth,
        False,
        lambda p, d: {"uri": p, "document": d},
        lambda e: {"uri": e["path"], "range": None},
    )


@pytest.mark.parametrize(
    "path, document, depth, expected",
    [
        pytest.param(
            DBT,
            0,
            1,
            [("raw", "produced"), ("orders", "produced"), ("stg", "produced"), ("features", "downstream")],
            id="dbt-one-hop",
        ),
        pytest.param(
            JOBS,
            0,
            1,
            [("features", "produced"), ("ext", "upstream"), ("orders", "upstream"), ("model", "downstream")],
            id="platform-document",
        ),
        pytest.param(
            JOBS,
            None,
            2,
            [
                ("features", "produced"),
                ("model", "produced"),
                ("ext", "upstream"),
                ("orders", "upstream"),
                ("stg", "upstream"),
                ("report", "downstream"),
            ],
            id="whole-file-two-hops",
        ),
        pytest.param(JOBS, 1, 0, [("model", "produced")], id="depth-zero"),
        pytest.param("/p/elsewhere.yaml", None, 1, [], id="nothing-produced"),
    ],
)
def test_roles_around_the_produced_assets(path, document, depth, expected):
    result = view(path, document, depth)
    order = {"produced": 0, "upstream": 1, "downstream": 2}
    assert [(a["key"], a["role"]) for a in result["assets"]] == sorted(expected, key=lambda x: (order[x[1]], x[0]))


def test_edges_join_listed_assets_only_and_locations_point_at_producers():
    result = view(JOBS, 1)
    assert result["edges"] == [["features", "model"], ["model", "report"]]
    model, features = result["assets"][0], result["assets"][1]
    assert (model["document"], model["location"]) == (1, {"uri": JOBS, "document": 1})
    assert (features["document"], features["location"]) == (None, {"uri": JOBS, "document": 0})
    assert view(JOBS, 0)["assets"][1]["location"] is None  # ext: an external stub has no producer


def test_errors_of_the_file_and_of_the_project_are_listed():
    assert [e["message"] for e in view(DBT)["errors"]] == ["DagsterDbtProjectNotFoundError: gone", "ValueError: boom"]
    assert [e["message"] for e in view(JOBS)["errors"]] == ["ValueError: boom"]


CLEAN = Loaded.from_result({"assets": [asset("raw", path=DBT), asset("stg", ["raw"], DBT)]})


@pytest.mark.parametrize(
    "loaded, path, document, failure, title",
    [
        pytest.param(LOADED, JOBS, 0, None, "1 asset · 2 upstream · 1 downstream", id="counts"),
        pytest.param(CLEAN, JOBS, 3, None, "0 assets · 0 upstream · 0 downstream", id="a-document-with-no-assets"),
        pytest.param(
            LOADED, DBT, 0, None, "Load failed: DagsterDbtProjectNotFoundError: gone", id="its-own-load-error"
        ),
        pytest.param(
            LOADED,
            JOBS,
            3,
            None,
            "0 assets: the definitions failed to load (ValueError: boom)",
            id="the-project-failed-to-load",
        ),
        pytest.param(None, DBT, 0, None, "Loading assets…", id="before-the-first-load"),
        pytest.param(
            None,
            DBT,
            0,
            "worker call load timed out; the worker was killed\nTraceback...",
            "No lineage: worker call load timed out; the worker was killed",
            id="no-load-answered",
        ),
    ],
)
def test_lens_titles(loaded, path, document, failure, title):
    assert lens_title(loaded, path, document, failure) == title


def test_load_errors_sit_on_the_key_that_caused_them():
    text, spans = with_marks('type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: [["{{ x }}/dbt"]]\n')
    problems = load_problems(LOADED, DBT, parse_file(text))
    assert [(p.code, (p.span.start, p.span.end), p.message) for p in problems] == [
        ("load-error", spans[0], "DagsterDbtProjectNotFoundError: gone")
    ]


def test_require_owners_names_the_assets_at_the_owners_key():
    loaded = Loaded.from_result({"assets": [asset(k, path=DBT, owners=()) for k in "abcdefg"]})
    text, spans = with_marks("type: dagster_dbt.DbtProjectComponent\nattributes:\n  translation:\n    [[owners]]: []\n")
    problems = loaded_policy_problems(loaded, DBT, parse_file(text), PolicyConfig(require_owners=Setting(True)))
    assert [(p.code, (p.span.start, p.span.end), p.message, p.data["asset_keys"]) for p in problems] == [
        (
            "policy:require-owners",
            spans[0],
            "7 assets have no owners (a, b, c, d, e and 2 more); the project's policy requires at least one",
            list("abcdefg"),
        )
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("type: x.Job\nattributes:\n  deps:\n    - ord|ers\n", ("orders", "orders"), id="deps-item"),
        pytest.param("type: x.Job\nattributes:\n  asset_key: fea|tures\n", ("features", "features"), id="any-field"),
        pytest.param("type: x.Job\nattributes:\n  deps:\n    - nothing|\n", None, id="not-an-asset"),
        pytest.param("type: x.J|ob\n", None, id="type"),
    ],
)
def test_asset_at_the_cursor(text, expected):
    source, offset = with_caret(text)
    found = asset_at(parse_file(source), offset, LOADED)
    assert ((found[0], source[found[1].start : found[1].end]) if found else None) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param(
            "type: x.Job\nattributes:\n  deps:\n    - |\n", ["orders", "raw", "report", "stg"], id="deps-entry"
        ),
        pytest.param("type: x.Job\nattributes:\n  deps: [st|]\n", ["orders", "raw", "report", "stg"], id="flow"),
        pytest.param(
            'post_processing:\n  assets:\n    - target: "|"\n',
            ["features", "model", "orders", "raw", "report", "stg"],
            id="post-processing-target",
        ),
        pytest.param("type: x.Job\nattributes:\n  asset_key: |\n", [], id="a-new-key-is-not-completed"),
        pytest.param("type: x.Job\nattributes:\n  owner: |\n", [], id="other-field"),
    ],
)
def test_asset_key_completion_places(text, expected):
    source, offset = with_caret(text)
    items = asset_completions(parse_file(source), offset, LOADED, LineIndex(source), own=["features", "model"])
    assert [i.label for i in items] == expected


def test_asset_key_completion_replaces_the_word_and_quotes_when_needed():
    loaded = Loaded.from_result({"assets": [asset("*odd", path=DBT), asset("raw/orders", path=DBT)]})
    source, offset = with_caret("type: x.Job\nattributes:\n  deps:\n    - raw/or|d\n")
    items = asset_completions(parse_file(source), offset, loaded, LineIndex(source))
    assert [(i.label, i.text_edit.new_text, i.text_edit.range) for i in items] == [
        ("*odd", '"*odd"', types.Range(start=types.Position(3, 6), end=types.Position(3, 13))),
        ("raw/orders", "raw/orders", types.Range(start=types.Position(3, 6), end=types.Position(3, 13))),
    ]


def test_mermaid_highlights_roles():
    assert format_mermaid(view(JOBS, 1)).splitlines() == [
        "flowchart LR",
        '  a0["model"]:::produced',
        '  a1["features"]:::upstream',
        '  a2["report"]:::downstream',
        "  a1 --> a0",
        "  a0 --> a2",
        "  classDef produced fill:#4f43dd,color:#fff,stroke:#2d2499",
        "  classDef upstream fill:#eef,stroke:#99a",
        "  classDef downstream fill:#efe,stroke:#9a9",
    ]
