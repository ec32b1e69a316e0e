"""checks/dbt_selection.py: the worker's dbt_selection answer as problems (at the criterion, with did-you-mean), and the request."""

import pytest
from carets import with_marks

from dagster_components_ls.checks.dbt_selection import selection_problems, selection_request, suggest_criterion
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.problems import ERROR, WARNING

MANIFEST = "/p/dbt/target/manifest.json"
VOCABULARY = {
    "nodes": [
        {
            "unique_id": "model.shop.orders",
            "name": "orders",
            "resource_type": "model",
            "package": "shop",
            "path": "models/marts/orders.sql",
            "tags": ["daily"],
            "materialized": "table",
            "source_name": None,
            "description": "",
        },
        {
            "unique_id": "source.shop.raw.payments",
            "name": "payments",
            "resource_type": "source",
            "package": "shop",
            "path": "models/sources.yml",
            "tags": [],
            "materialized": None,
            "source_name": "raw",
            "description": "",
        },
    ],
    "selectors": [{"name": "nightly", "description": ""}],
}


@pytest.mark.parametrize(
    "criterion, expected",
    [
        pytest.param("tag:daly", "tag:daily", id="tag"),
        pytest.param("+tag:daly+2", "+tag:daily+2", id="graph-operators-kept"),
        pytest.param("@ordres", "@orders", id="bare-name"),
        pytest.param("path:models/mart", "path:models/marts", id="path-folder"),
        pytest.param("source:rwa", "source:raw", id="source"),
        pytest.param("config.materialized:tabel", "config.materialized:table", id="materialized"),
        pytest.param("package:shp", "package:shop", id="package"),
        pytest.param("tag:zzzzzz", None, id="nothing-close"),
        pytest.param("tag:", None, id="no-value"),
        pytest.param("tag:daily", None, id="already-a-value"),
    ],
)
def test_suggests_the_closest_value_of_the_criterions_method(criterion, expected):
    assert suggest_criterion(criterion, VOCABULARY) == expected


def answer(fields, error=None):
    return {
        "results": [
            {
                "index": 0,
                "manifest": {"path": MANIFEST, "project_dir": "/p/dbt", "mtime": 1.0},
                "reason": None,
                "fields": fields,
                "selected": None,
                "kinds": None,
                "error": error,
            }
        ],
        "manifests": {MANIFEST: VOCABULARY},
    }


def criteria(value, *judged):
    return {"value": value, "criteria": [{"text": t, "start": s, "count": c, "error": e} for t, s, c, e in judged]}


DOC = "type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: dbt\n"


@pytest.mark.parametrize(
    "marked, fields, expected",
    [
        pytest.param(
            DOC + '  select: "orders [[tag:daly]]"\n',
            {"select": criteria("orders tag:daly", ("orders", 0, 1, None), ("tag:daly", 7, 0, None))},
            [
                (
                    WARNING,
                    "The selection criterion 'tag:daly' does not match any enabled nodes. Did you mean 'tag:daily'?",
                    "tag:daily",
                )
            ],
            id="the-criterion-that-matches-nothing",
        ),
        pytest.param(
            DOC + "  exclude: [[foo:bar]]\n",
            {"exclude": criteria("foo:bar", ("foo:bar", 0, 0, "'foo' is not a valid method name"))},
            [(ERROR, "Invalid dbt selection 'foo:bar': 'foo' is not a valid method name", None)],
            id="invalid-expression",
        ),
        pytest.param(
            DOC + "  selector: [[nightlly]]\n",
            {"selector": criteria("nightlly", ("nightlly", 0, 0, "Selector `nightlly` not found in manifest."))},
            [(ERROR, "Selector `nightlly` not found in manifest. Did you mean 'nightly'?", "nightly")],
            id="unknown-selector",
        ),
        pytest.param(
            DOC + "  exclude: [[tag:zzz]]\n",
            {"exclude": criteria("tag:zzz", ("tag:zzz", 0, 0, None))},
            [
                (
                    WARNING,
                    "The exclude criterion 'tag:zzz' does not match any enabled nodes, so it excludes nothing",
                    None,
                )
            ],
            id="exclude-matching-nothing",
        ),
        pytest.param(
            DOC + "  select: 'tag:daily'\n",
            {"select": criteria("tag:daly", ("tag:daly", 0, 0, None))},
            [],
            id="judged-on-other-text",
        ),
        pytest.param(
            DOC + "  select: [[>-\n    tag:daly\n]]",
            {"select": criteria("tag:daly", ("tag:daly", 0, 0, None))},
            [
                (
                    WARNING,
                    "The selection criterion 'tag:daly' does not match any enabled nodes. Did you mean 'tag:daily'?",
                    "tag:daily",
                )
            ],
            id="block-scalar-the-whole-value",
        ),
    ],
)
def test_problems_are_at_the_criterion_dbt_judged(marked, fields, expected):
    text, spans = with_marks(marked)
    found = selection_problems(parse_file(text), answer(fields))
    assert [(p.severity, p.message, (p.data or {}).get("suggestion")) for p in found] == expected
    assert [(p.span.start, p.span.end) for p in found] == spans
    assert {p.code for p in found} <= {"dbt-selection"}


def test_the_whole_selections_error_is_at_the_selector(registry):
    text, [span] = with_marks(DOC + "  select: orders\n  selector: [[nightly]]\n")
    fields = {
        "select": criteria("orders", ("orders", 0, 1, None)),
        "selector": criteria("nightly", ("nightly", 0, 1, None)),
    }
    [problem] = selection_problems(
        parse_file(text), answer(fields, "Cannot provide both a selector and a select/exclude param.")
    )
    assert (problem.severity, problem.message, (problem.span.start, problem.span.end)) == (
        ERROR,
        "Cannot provide both a selector and a select/exclude param.",
        span,
    )


def test_the_request_carries_dbt_documents_as_written_templates_left_to_the_default(registry):
    text = DOC + "  select: tag:daily\n  exclude: \"{{ env('X') }}\"\n---\ntype: acme_platform.ResearchJob\n"
    ctx = CheckContext(registry=registry, folder="/p/defs/dbt", project_root="/p")
    assert selection_request(parse_file(text), ctx) == {
        "project_root": "/p",
        "path": "/p/defs/dbt/defs.yaml",
        "documents": [{"index": 0, "select": "tag:daily", "exclude": None, "selector": None}],
    }


def test_a_selection_whose_criteria_match_but_select_nothing_together_is_a_warning():
    text, [span] = with_marks(DOC + "  select: [[orders]]\n  exclude: orders\n")
    fields = {
        "select": criteria("orders", ("orders", 0, 11, None)),
        "exclude": criteria("orders", ("orders", 0, 11, None)),
    }
    judged = answer(fields)
    judged["results"][0]["selected"] = []
    [problem] = selection_problems(parse_file(text), judged)
    assert (problem.severity, problem.message, (problem.span.start, problem.span.end)) == (
        WARNING,
        "dagster-dbt selects no node with this selection: the component has no assets",
        span,
    )
