"""dbt selections judged by dagster-dbt's own engine (the real worker, on a prepared copy of
examples/acme_analytics): diagnostics with did-you-mean, hover with what is selected, completion from the
manifest; models followed from a research job's deps, and `node.` completion in a translation."""

import sys
from pathlib import Path

import pytest
import pytest_lsp
from e2e_support import (
    copy_example,
    defs,
    diagnostics_until,
    judges_dbt_selections,
    open_and_wait,
    prepare_dbt_state,
    server_config,
    start_session,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

from dagster_components_ls.project.worker_client import WorkerProcess

pytestmark = judges_dbt_selections
PROJECT_LINE = '  project: "{{ context.project_root }}/dbt/jaffle_shop"\n'


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return prepare_dbt_state(copy_example("acme_analytics", tmp_path_factory.mktemp("dbtsel")))


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient, project):
    await start_session(lsp_client, {}, root_uri=project.as_uri())
    yield
    await lsp_client.shutdown_session()


def with_selection(project, lines: str) -> str:
    """The example's jaffle_shop document with these lines after `project:`."""
    text = defs(project, "jaffle_shop").read_text()
    assert PROJECT_LINE in text
    return text.replace(PROJECT_LINE, PROJECT_LINE + lines)


@pytest.mark.asyncio(loop_scope="function")
async def test_a_selection_matching_nothing_is_a_warning_with_did_you_mean_and_an_invalid_one_an_error(
    client: LanguageClient, project
):
    path = defs(project, "jaffle_shop")
    text = with_selection(project, '  select: "tag:daly +orders"\n  exclude: foo:bar\n')
    await open_and_wait(client, path, text)
    expected = [
        (
            "dbt-selection",
            5,
            11,
            5,
            19,
            "The selection criterion 'tag:daly' does not match any enabled nodes. Did you mean 'tag:daily'?",
        ),
        ("dbt-selection", 6, 11, 6, 18, "Invalid dbt selection 'foo:bar': 'foo' is not a valid method name"),
    ]
    assert await diagnostics_until(client, path.as_uri(), expected) == expected
    [warning, error] = sorted(client.diagnostics[path.as_uri()], key=lambda d: d.range.start.line)
    assert (warning.severity, warning.data, error.severity) == (
        types.DiagnosticSeverity.Warning,
        {"key_path": ["attributes", "select"], "criterion": "tag:daly", "suggestion": "tag:daily"},
        types.DiagnosticSeverity.Error,
    )

    # The quick fix writes the suggestion over the criterion (and nothing else).
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            range=warning.range,
            context=types.CodeActionContext(diagnostics=[warning]),
        )
    )
    preferred = next(a for a in actions if getattr(a, "is_preferred", False))
    [edit] = preferred.edit.changes[path.as_uri()]
    assert (preferred.title, edit.range, edit.new_text) == (
        "Change 'tag:daly' to 'tag:daily'",
        types.Range(start=types.Position(5, 11), end=types.Position(5, 19)),
        "tag:daily",
    )


@pytest.mark.asyncio(loop_scope="function")
async def test_a_selector_the_manifest_does_not_define_is_an_error(client: LanguageClient, project):
    path = defs(project, "jaffle_shop")
    await open_and_wait(client, path, with_selection(project, "  selector: nightly\n"))
    expected = [("dbt-selection", 5, 12, 5, 19, "Selector `nightly` not found in manifest.")]
    assert await diagnostics_until(client, path.as_uri(), expected) == expected


SELECTS_ORDERS = """**dbt select** `tag:daly +orders` (judged by dagster-dbt on the manifest)

- `tag:daly`: 0 nodes
- `+orders`: 21 nodes

Selects 21 dbt nodes: 3 models, 2 seeds, 16 tests

- `orders` (model)
- `stg_orders` (model)
- `stg_payments` (model)
- `raw_orders` (seed)
- `raw_payments` (seed)"""
NAMES_AND_METHODS = [
    "customers",
    "orders",
    "stg_customers",
    "stg_orders",
    "stg_payments",
    "raw_customers",
    "raw_orders",
    "raw_payments",
    "config.materialized:",
    "fqn:",
    "package:",
    "path:",
    "resource_type:",
    "source:",
    "tag:",
]


@pytest.mark.asyncio(loop_scope="function")
async def test_hover_and_completion_inside_a_selection_answer_from_the_manifest(client: LanguageClient, project):
    path = defs(project, "jaffle_shop")
    uri = path.as_uri()
    await open_and_wait(client, path, with_selection(project, '  select: "tag:daly +orders"\n'))
    warned = [
        (
            "dbt-selection",
            5,
            11,
            5,
            19,
            "The selection criterion 'tag:daly' does not match any enabled nodes. Did you mean 'tag:daily'?",
        )
    ]
    assert await diagnostics_until(client, uri, warned) == warned  # the worker's answer is in memory

    document = types.TextDocumentIdentifier(uri=uri)
    hover = await client.text_document_hover_async(types.HoverParams(document, types.Position(5, 22)))
    assert (hover.contents.value, hover.range) == (
        SELECTS_ORDERS,
        types.Range(start=types.Position(5, 10), end=types.Position(5, 28)),
    )

    after_tag = await client.text_document_completion_async(types.CompletionParams(document, types.Position(5, 15)))
    assert [(i.label, i.text_edit.range) for i in after_tag.items] == [
        ("daily", types.Range(start=types.Position(5, 15), end=types.Position(5, 15)))
    ]

    after_plus = await client.text_document_completion_async(types.CompletionParams(document, types.Position(5, 21)))
    assert [i.label for i in after_plus.items] == NAMES_AND_METHODS
    orders = after_plus.items[1]
    assert (orders.detail, orders.documentation.value, orders.text_edit.range) == (
        "model",
        "**model** `model.jaffle_shop.orders`\n\nThis table has basic information about orders, as well as some "
        "derived facts based on payments",
        types.Range(start=types.Position(5, 21), end=types.Position(5, 21)),
    )


@pytest.fixture
def own_project(tmp_path):
    """A copy of its own, whose dbt project the test changes."""
    return prepare_dbt_state(copy_example("acme_analytics", tmp_path))


@pytest_lsp.fixture(config=server_config())
async def loading_client(lsp_client: LanguageClient, own_project):
    await start_session(lsp_client, {"lineage": {"enabled": True}}, root_uri=own_project.as_uri())
    yield
    await lsp_client.shutdown_session()


def unmatched(tag: str, column: int) -> tuple:
    return (
        "dbt-selection",
        5,
        column,
        5,
        column + len(tag) + 4,
        f"The selection criterion 'tag:{tag}' does not match any enabled nodes",
    )


@pytest.mark.asyncio(loop_scope="function")
async def test_selections_are_judged_again_when_the_load_prepares_a_new_manifest(
    loading_client: LanguageClient, own_project
):
    client, path = loading_client, defs(own_project, "jaffle_shop")
    await open_and_wait(client, path, with_selection(own_project, '  select: "tag:weekly tag:nope"\n'))
    before = [unmatched("weekly", 11), unmatched("nope", 22)]
    assert await diagnostics_until(client, path.as_uri(), before) == before

    # A `weekly` tag on a model: the file watcher's event loads the definitions again, which runs dbt
    # parse (the manifest is older than the dbt project now), and the selection is judged on the new one.
    schema = own_project / "dbt" / "jaffle_shop" / "models" / "schema.yml"
    schema.write_text(schema.read_text().replace('tags: ["daily"]', 'tags: ["daily", "weekly"]', 1))
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=schema.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    after = [unmatched("nope", 22)]
    assert await diagnostics_until(client, path.as_uri(), after) == after


CUSTOMERS_HOVER = """**dbt model** `customers` (`model.jaffle_shop.customers`)

This table has basic information about a customer, as well as some derived facts based on a customer's orders

- Materialized: table
- File: `models/customers.sql`
- Documented in: `models/schema.yml`

Columns (7):

- `customer_id`: This is a unique identifier for a customer
- `first_name`: Customer's first name. PII.
- `last_name`: Customer's last name. PII.
- `first_order`: Date (UTC) of a customer's first order
- `most_recent_order`: Date (UTC) of a customer's most recent order
- `number_of_orders`: Count of the number of orders a customer has placed
- `total_order_amount`: Total value (AUD) of a customer's orders"""
# The top-level fields of jaffle_shop's models and seeds in dbt-core 1.10's manifest (what a
# translation's `node` is: dagster-dbt passes the manifest's node dict).
NODE_FIELDS = [
    "access",
    "alias",
    "build_path",
    "checksum",
    "columns",
    "compiled_path",
    "config",
    "constraints",
    "contract",
    "created_at",
    "database",
    "depends_on",
    "deprecation_date",
    "description",
    "doc_blocks",
    "docs",
    "fqn",
    "group",
    "language",
    "latest_version",
    "meta",
    "metrics",
    "name",
    "original_file_path",
    "package_name",
    "patch_path",
    "path",
    "primary_key",
    "raw_code",
    "refs",
    "relation_name",
    "resource_type",
    "root_path",
    "schema",
    "sources",
    "tags",
    "time_spine",
    "unique_id",
    "unrendered_config",
    "version",
]


@pytest.mark.asyncio(loop_scope="function")
async def test_a_model_in_a_research_jobs_deps_hovers_and_goes_to_its_sql_and_schema_entry(
    client: LanguageClient, project
):
    # The dbt document's answer brings the project's manifest vocabulary to the server.
    dbt = defs(project, "jaffle_shop")
    await open_and_wait(client, dbt, with_selection(project, '  select: "tag:nope"\n'))
    warned = [unmatched("nope", 11)]
    assert await diagnostics_until(client, dbt.as_uri(), warned) == warned

    research = defs(project, "research/ltv")
    await open_and_wait(client, research)
    document = types.TextDocumentIdentifier(uri=research.as_uri())
    assert research.read_text().splitlines()[9] == "    - customers"
    hover = await client.text_document_hover_async(types.HoverParams(document, types.Position(9, 8)))
    assert (hover.contents.value, hover.range) == (
        CUSTOMERS_HOVER,
        types.Range(start=types.Position(9, 6), end=types.Position(9, 15)),
    )

    found = await client.text_document_definition_async(types.DefinitionParams(document, types.Position(9, 8)))
    dbt_project = (project / "dbt" / "jaffle_shop").resolve()
    assert (dbt_project / "models" / "schema.yml").read_text().splitlines()[3] == "  - name: customers"
    assert [(loc.uri, loc.range) for loc in found] == [
        (
            (dbt_project / "models" / "customers.sql").as_uri(),
            types.Range(start=types.Position(0, 0), end=types.Position(0, 0)),
        ),
        (
            (dbt_project / "models" / "schema.yml").as_uri(),
            types.Range(start=types.Position(3, 10), end=types.Position(3, 19)),
        ),
    ]

    orders = await client.text_document_hover_async(types.HoverParams(document, types.Position(10, 7)))
    assert orders.contents.value.splitlines()[0] == "**dbt model** `orders` (`model.jaffle_shop.orders`)"


@pytest.mark.asyncio(loop_scope="function")
async def test_node_completion_in_a_translation_offers_the_manifests_node_fields(client: LanguageClient, project):
    path = defs(project, "jaffle_shop")
    await open_and_wait(client, path, with_selection(project, '  select: "tag:nope"\n'))
    warned = [unmatched("nope", 11)]
    assert await diagnostics_until(client, path.as_uri(), warned) == warned
    line = '    description: "dbt {{ node.resource_type }} {{ node.name }}"'
    assert path.read_text().splitlines()[9] == line  # line 10 once the select line is in
    document = types.TextDocumentIdentifier(uri=path.as_uri())
    found = await client.text_document_completion_async(types.CompletionParams(document, types.Position(10, 32)))
    assert [i.label for i in found.items] == NODE_FIELDS
    assert found.items[0].text_edit.range == types.Range(start=types.Position(10, 30), end=types.Position(10, 43))


def test_the_workers_vocabulary_says_each_models_columns_files_and_the_dbt_projects_own_folder(project):
    path = defs(project, "jaffle_shop")
    request = {"index": 0, "select": None, "exclude": None, "selector": None}
    with WorkerProcess(Path(sys.executable), project) as worker:
        answer = worker.call(
            "dbt_selection", {"project_root": str(project), "path": str(path), "documents": [request]}, timeout=120
        )
    [vocabulary] = answer["manifests"].values()
    customers = next(n for n in vocabulary["nodes"] if n["unique_id"] == "model.jaffle_shop.customers")
    # The folder the user edits, not the stored state's copy the build reads the manifest from.
    assert vocabulary["project_dir"] == str((project / "dbt" / "jaffle_shop").resolve())
    assert ".local_defs_state" in answer["results"][0]["manifest"]["project_dir"]
    assert (
        customers["original_file_path"],
        customers["patch_path"],
        customers["columns"][:2],
        len(customers["columns"]),
    ) == (
        "models/customers.sql",
        "jaffle_shop://models/schema.yml",
        [
            {"name": "customer_id", "description": "This is a unique identifier for a customer"},
            {"name": "first_name", "description": "Customer's first name. PII."},
        ],
        7,
    )
    assert vocabulary["node_fields"] == NODE_FIELDS  # models' and seeds' fields, not tests' (column_name...)


@pytest.mark.asyncio(loop_scope="function")
async def test_a_research_job_follows_its_models_from_the_workspace_pass_without_the_dbt_document_open(
    client: LanguageClient, project
):
    # The dbt document stays closed: its selection is judged by the workspace pass over closed files
    # (a warning in it shows the answer is in), whose vocabulary every file of the project follows.
    dbt = defs(project, "jaffle_shop")
    original = dbt.read_text()
    dbt.write_text(with_selection(project, '  select: "tag:nope"\n'))
    try:
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=dbt.as_uri(), type=types.FileChangeType.Changed)]
            )
        )
        warned = [unmatched("nope", 11)]
        assert await diagnostics_until(client, dbt.as_uri(), warned) == warned
    finally:
        dbt.write_text(original)
    research = defs(project, "research/churn")
    await open_and_wait(client, research)
    document = types.TextDocumentIdentifier(uri=research.as_uri())
    assert research.read_text().splitlines()[10] == "    - orders"
    hover = await client.text_document_hover_async(types.HoverParams(document, types.Position(10, 6)))
    assert hover.contents.value.splitlines()[:3] == [
        "**dbt model** `orders` (`model.jaffle_shop.orders`)",
        "",
        "This table has basic information about orders, as well as some derived facts based on payments",
    ]
