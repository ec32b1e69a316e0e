"""features/dbt_selection.py: completion and hover inside a dbt selection, from an answer in memory, half-typed text included."""

import pytest
from carets import with_caret

from dagster_components_ls.features.dbt_selection import dbt_completions, dbt_hover
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import LineIndex

MANIFEST = "/p/dbt/target/manifest.json"


def node(unique_id, tags=(), materialized=None, source_name=None, description=""):
    kind, package, *rest = unique_id.split(".")
    return {
        "unique_id": unique_id,
        "name": rest[-1],
        "resource_type": kind,
        "package": package,
        "path": f"models/{rest[-1]}.sql",
        "tags": list(tags),
        "materialized": materialized,
        "source_name": source_name,
        "description": description,
    }


ANSWER = {
    "results": [
        {
            "index": 0,
            "manifest": {"path": MANIFEST, "project_dir": "/p/dbt", "mtime": 1.0},
            "reason": None,
            "fields": {
                "select": {
                    "value": "tag:daily",
                    "criteria": [{"text": "tag:daily", "start": 0, "count": 2, "error": None}],
                }
            },
            "selected": ["model.shop.orders", "test.shop.unique_orders_id"],
            "kinds": {"model": 1, "test": 1},
            "error": None,
        }
    ],
    "manifests": {
        MANIFEST: {
            "nodes": [
                node("model.shop.orders", ["daily"], "table", description="One row per order"),
                node("seed.shop.raw_orders", ["raw"]),
                node("source.shop.raw.payments", source_name="raw"),
                node("test.shop.unique_orders_id"),
            ],
            "selectors": [{"name": "nightly", "description": "What runs at night"}],
        }
    },
}
DOC = "type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: dbt\n"


def complete(marked):
    text, offset = with_caret(marked)
    items = dbt_completions(parse_file(text), offset, LineIndex(text), ANSWER)
    return None if items is None else [(i.label, i.text_edit.range.start.character) for i in items.items]


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(DOC + '  select: "tag:|', [("daily", 15), ("raw", 15)], id="tag-values-unclosed-quote"),
        pytest.param(DOC + "  select: orders tag:da|", [("daily", 21)], id="second-criterion-filtered"),
        pytest.param(DOC + "  exclude: config.materialized:|", [("table", 31)], id="materialized"),
        pytest.param(DOC + "  select: source:|", [("raw", 17), ("raw.payments", 17)], id="sources"),
        pytest.param(DOC + "  selector: n|", [("nightly", 12)], id="selectors"),
        pytest.param(
            DOC + "  select: +or|",
            [
                ("orders", 11),
                ("raw_orders", 11),
                ("source:raw.payments", 11),
                ("config.materialized:", 11),
                ("resource_type:", 11),
                ("source:", 11),
                ("+", 13),
                (",", 13),
            ],
            id="names-methods-then-operators",
        ),
        pytest.param(
            DOC + "  select: |",
            [
                ("orders", 10),
                ("raw_orders", 10),
                ("source:raw.payments", 10),
                ("config.materialized:", 10),
                ("fqn:", 10),
                ("package:", 10),
                ("path:", 10),
                ("resource_type:", 10),
                ("source:", 10),
                ("tag:", 10),
                ("+", 10),
                ("1+", 10),
                ("@", 10),
            ],
            id="empty-value-prefix-operators",
        ),
        pytest.param(DOC + "  project: dbt|", None, id="not-a-selection"),
        pytest.param("type: x\nselect: |", None, id="not-under-attributes"),
    ],
)
def test_completes_from_the_manifests_vocabulary(marked, expected):
    assert complete(marked) == expected


def test_hover_says_how_many_nodes_are_selected_and_lists_the_assets():
    text, offset = with_caret(DOC + "  select: tag:da|ily\n")
    hover = dbt_hover(parse_file(text), offset, LineIndex(text), ANSWER)
    assert hover is not None
    assert hover.contents.value == (
        "**dbt select** `tag:daily` (judged by dagster-dbt on the manifest)\n\n"
        "Selects 2 dbt nodes: 1 model, 1 test\n\n"
        "- `orders` (model)"
    )


def test_no_hover_for_text_the_answer_did_not_judge():
    text, offset = with_caret(DOC + "  select: tag:we|ekly\n")
    assert dbt_hover(parse_file(text), offset, LineIndex(text), ANSWER) is None


def test_hover_says_why_a_selection_was_not_judged():
    text, offset = with_caret(DOC + "  select: tag:da|ily\n")
    reason = "the dbt manifest is not prepared yet (the first load runs dbt parse)"
    answer = {"results": [{"index": 0, "manifest": None, "reason": reason, "fields": {}}], "manifests": {}}
    hover = dbt_hover(parse_file(text), offset, LineIndex(text), answer)
    assert hover is not None and hover.contents.value == f"**dbt select**: not judged, {reason}"


def test_a_huge_half_typed_criterion_completes_to_nothing_quickly(bounded):
    text, offset = with_caret(DOC + "  select: tag:" + "x" * 1_000_000 + "|")
    assert dbt_completions(parse_file(text), offset, LineIndex(text), ANSWER).items == []
