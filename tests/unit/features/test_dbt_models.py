"""features/dbt_models.py: a dbt model's name followed from `deps` and selections (hover, definition), and `node.` completion."""

import pytest
from carets import with_caret

from dagster_components_ls.features.asset_answers import complete_with_assets, definition_with_assets, hover_with_assets
from dagster_components_ls.features.dbt_models import (
    Manifests,
    model_definition,
    model_hover,
    node_field_completions,
    schema_entry,
)
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.loaded import Loaded
from dagster_components_ls.model.positions import LineIndex

CUSTOMERS = {
    "unique_id": "model.shop.customers",
    "name": "customers",
    "resource_type": "model",
    "package": "shop",
    "path": "models/customers.sql",
    "tags": ["daily"],
    "materialized": "table",
    "source_name": None,
    "description": "One row per customer",
    "columns": [{"name": "customer_id", "description": "The key"}, {"name": "first_name", "description": ""}],
    "original_file_path": "models/customers.sql",
    "patch_path": "shop://models/schema.yml",
}
TEST = {**CUSTOMERS, "unique_id": "test.shop.unique_customers", "name": "orders", "resource_type": "test"}
VOCABULARY = {
    "nodes": [CUSTOMERS, TEST],
    "selectors": [],
    "node_fields": ["alias", "columns", "config", "name", "resource_type"],
    "project_dir": "/p/dbt",
}
SCHEMA = """version: 2

sources:
  - name: customers
    tables: [{name: raw}]

models:
  - name: orders
    columns:
      - name: customers
  - name: "customers"
    description: One row per customer
"""
FILES = {"/p/dbt/models/customers.sql": "select 1\n", "/p/dbt/models/schema.yml": SCHEMA}
RESEARCH = "type: acme.ResearchJob\nattributes:\n  deps:\n    - {dep}\n    - raw/orders\n"
CUSTOMERS_HOVER = """**dbt model** `customers` (`model.shop.customers`)

One row per customer

- Materialized: table
- File: `models/customers.sql`
- Documented in: `models/schema.yml`

Columns (2):

- `customer_id`: The key
- `first_name`"""


def hover_at(marked, loaded=None, vocabularies=(VOCABULARY,)):
    text, offset = with_caret(marked)
    found = model_hover(parse_file(text), offset, LineIndex(text), Manifests.of(vocabularies), loaded)
    return None if found is None else (found.contents.value, found.range.start.line, found.range.start.character)


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(RESEARCH.format(dep="cust|omers"), (CUSTOMERS_HOVER, 3, 6), id="deps-item"),
        pytest.param(RESEARCH.format(dep="|customers"), (CUSTOMERS_HOVER, 3, 6), id="item-start"),
        pytest.param(RESEARCH.format(dep="customers").replace("raw/or", "raw/or|"), None, id="not-a-model"),
        pytest.param(RESEARCH.format(dep="ord|ers"), None, id="a-test-is-not-followed"),
        pytest.param("type: a.B\nattributes:\n  name: custo|mers\n", None, id="not-in-deps"),
        pytest.param(
            'type: dagster_dbt.DbtProjectComponent\nattributes:\n  select: "tag:daily +cust|omers+"\n',
            (CUSTOMERS_HOVER, 2, 22),
            id="select-criterion",
        ),
        pytest.param(RESEARCH.format(dep="target/main/cust|omers"), None, id="prefixed-key-without-a-load"),
        pytest.param("type: a.B\nattributes:\n  deps:\n    - cust|", None, id="half-typed"),
    ],
)
def test_hover_follows_a_model_named_in_deps_or_a_selection(marked, expected):
    assert hover_at(marked) == expected


def test_a_key_under_a_template_is_followed_when_the_load_says_it_is_dbts():
    loaded = Loaded.from_result({"assets": [{"key": "target/main/customers", "kinds": ["dbt", "duckdb"]}]})
    assert hover_at(RESEARCH.format(dep="target/main/cust|omers"), loaded) == (CUSTOMERS_HOVER, 3, 6)
    python = Loaded.from_result({"assets": [{"key": "target/main/customers", "kinds": ["python"]}]})
    assert hover_at(RESEARCH.format(dep="target/main/cust|omers"), python) is None


def test_another_field_naming_a_dbt_asset_the_load_knows_is_followed():
    metric = "type: acme.Metric\nattributes:\n  table: custo|mers\n"
    assert hover_at(metric) is None  # no load: only `deps` and selections are read as asset keys
    loaded = Loaded.from_result({"assets": [{"key": "customers", "kinds": ["dbt"]}]})
    assert hover_at(metric, loaded) == (CUSTOMERS_HOVER, 2, 9)


def test_no_vocabulary_no_hover():
    assert hover_at(RESEARCH.format(dep="cust|omers"), vocabularies=()) is None


def locations(marked, files=FILES):
    text, offset = with_caret(marked)
    found = model_definition(parse_file(text), offset, Manifests.of([VOCABULARY]), None, files.get)
    return found and [
        (loc.uri, loc.range.start.line, loc.range.start.character, loc.range.end.character) for loc in found
    ]


def test_definition_is_the_models_file_then_its_schema_entry():
    assert locations(RESEARCH.format(dep="cust|omers")) == [
        ("file:///p/dbt/models/customers.sql", 0, 0, 0),
        ("file:///p/dbt/models/schema.yml", 10, 11, 20),
    ]


def test_definition_leaves_out_the_files_it_cannot_read():
    only_sql = {"/p/dbt/models/customers.sql": "select 1\n"}
    assert locations(RESEARCH.format(dep="cust|omers"), only_sql) == [("file:///p/dbt/models/customers.sql", 0, 0, 0)]
    assert locations(RESEARCH.format(dep="cust|omers"), {}) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param(SCHEMA, (10, 11), id="models-section-not-sources-nor-columns"),
        pytest.param("models:\n- name: customers\n", (1, 8), id="unindented-entry"),
        pytest.param("models:\n  - name: orders\n    columns:\n      - name: customers\n", None, id="a-column"),
        pytest.param("models:\n  - name: customers_v2\n", None, id="another-model"),
        pytest.param("", None, id="empty"),
    ],
)
def test_the_schema_entry_is_the_models_name_in_its_section(text, expected):
    assert schema_entry(text, CUSTOMERS) == expected


def in_translation(doc, path):
    return tuple(path[:2]) == ("attributes", "translation")


def field_labels(marked):
    text, offset = with_caret(marked)
    found = node_field_completions(
        parse_file(text), offset, LineIndex(text), Manifests.of([VOCABULARY]), in_translation
    )
    if found is None:
        return None
    edit = found.items[0].text_edit
    return [i.label for i in found.items], edit.range.start.character, edit.range.end.character


DBT = "type: dagster_dbt.DbtProjectComponent\nattributes:\n  translation:\n"
FIELDS = ["alias", "columns", "config", "name", "resource_type"]


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(DBT + '    key: "target/main/{{ node.| }}"\n', (FIELDS, 30, 30), id="after-the-dot"),
        pytest.param(DBT + '    description: "{{ node.res|ource }}"\n', (FIELDS, 26, 34), id="replaces-the-word"),
        pytest.param(DBT + '    key: "target/main/{{ node.|', (FIELDS, 30, 30), id="unclosed-quote"),
        pytest.param(DBT + '    key: "{{ node.name }}/{{ node.|', (FIELDS, 34, 34), id="second-expression"),
        pytest.param(DBT + '    key: "{{ node.name }} node.|"\n', None, id="outside-an-expression"),
        pytest.param(DBT + '    key: "{{ mynode.|"\n', None, id="another-name"),
        pytest.param("type: a.B\nattributes:\n  key: '{{ node.|'\n", None, id="not-a-translation"),
    ],
)
def test_node_completion_offers_the_manifests_node_fields(marked, expected):
    assert field_labels(marked) == expected


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(DBT + '    key: "target/main/{{ node.| }}"\n', FIELDS, id="dbt-translation"),
        pytest.param(DBT + '    key: "target/main/{{ node.|', FIELDS, id="the-document-does-not-parse-yet"),
        pytest.param(DBT.replace("translation", "select") + '    key: "{{ node.|', [], id="not-the-translation"),
        pytest.param("type: acme.ResearchJob\nattributes:\n  translation: '{{ node.|'\n", [], id="not-dbt"),
    ],
)
def test_node_is_completed_where_the_registry_puts_it_in_scope(registry, marked, expected):
    text, offset = with_caret(marked)
    ctx = CheckContext(registry=registry, folder="/p/defs/dbt", project_root="/p")
    found = complete_with_assets(
        parse_file(text), offset, ctx, LineIndex(text), {}, None, "", None, Manifests.of([VOCABULARY])
    )
    assert [i.label for i in found.items] == expected


def test_a_megabyte_line_is_read_in_linear_time(bounded):
    # A pasted blob: `{{ ` repeated (the last expression is the one read) and a huge deps item.
    blob = DBT + '    key: "' + "{{ x " * 200_000 + "{{ node.|"
    assert field_labels(blob) == (FIELDS, 1_000_018, 1_000_018)
    assert hover_at(RESEARCH.format(dep="c" * 1_000_000 + "|")) is None


LOADED = Loaded.from_result(
    {
        "assets": [
            {"key": "customers", "kinds": ["dbt"], "group": "shop", "producer": {"path": "/p/defs/dbt/defs.yaml"}},
        ]
    }
)


def test_with_a_load_the_model_comes_first_then_the_asset_and_its_producer(registry):
    text, offset = with_caret(RESEARCH.format(dep="cust|omers"))
    ctx = CheckContext(registry=registry, folder="/p/defs/research", project_root="/p")
    parsed, index, manifests = parse_file(text), LineIndex(text), Manifests.of([VOCABULARY])
    hover = hover_with_assets(parsed, offset, ctx, index, LOADED, None, manifests)
    assert (
        hover.contents.value
        == CUSTOMERS_HOVER
        + "\n\n---\n\n**Asset** `customers`\n\n- Group: shop\n- Kinds: dbt\n"
        + ("- Produced by: `defs/dbt/defs.yaml`")
    )
    producer = {
        "uri": "file:///p/defs/dbt/defs.yaml",
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 4}},
    }
    found = definition_with_assets(parsed, offset, ctx, index, LOADED, lambda path, doc: producer, manifests, FILES.get)
    assert [(loc.uri, loc.range.start.line) for loc in found] == [
        ("file:///p/dbt/models/customers.sql", 0),
        ("file:///p/dbt/models/schema.yml", 10),
        ("file:///p/defs/dbt/defs.yaml", 0),
    ]
