"""Lineage end to end: the real server loads a copy of examples/acme_analytics (dbt-duckdb, offline)
with Dagster's own loader and shows its assets, load errors and asset-level policies."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from e2e_support import (
    DBT_EDGES,
    DBT_MODELS,
    PROJECT_ROOT_TEMPLATE,
    SHARED_CACHE,
    copy_example,
    defs,
    diagnostics_until,
    for_this_dagster,
    judges_dbt_selections,
    lineage,
    loaded,
    open_and_wait,
    open_file,
    plain,
    prepare_dbt_state,
    roles,
    save,
    server_config,
    start_session,
    statuses,
    summary,
    until,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

from dagster_components_ls.project.registry import store_lineage
from dagster_components_ls.project.worker_client import WorkerProcess


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the example project whose dbt state the real worker prepares once (dbt parse)."""
    return prepare_dbt_state(for_this_dagster(copy_example("acme_analytics", tmp_path_factory.mktemp("lineage"))))


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient, project: Path):
    await start_session(lsp_client, {"lineage": {"enabled": True}}, root_uri=project.as_uri())
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_dbt_document_lineage_has_every_model_and_its_edges(client: LanguageClient, project: Path):
    path = defs(project, "jaffle_shop")
    open_file(client, path)
    result = await lineage(client, path, document=0)
    assert roles(result) == {
        "produced": DBT_MODELS,
        "downstream": ["metrics/revenue", "research/churn_features", "research/ltv_forecast"],
    }
    assert sorted(result["edges"]) == sorted(
        DBT_EDGES
        + [
            ["orders", "metrics/revenue"],
            ["customers", "research/churn_features"],
            ["orders", "research/churn_features"],
            ["customers", "research/ltv_forecast"],
            ["orders", "research/ltv_forecast"],
        ]
    )
    orders = next(a for a in result["assets"] if a["key"] == "orders")
    assert (orders["document"], orders["group"], orders["kinds"], orders["owners"], orders["deps"]) == (
        0,
        "jaffle_shop",
        ["dbt", "duckdb"],
        ["team:analytics"],
        ["stg_orders", "stg_payments"],
    )
    assert orders["checks"][:2] == [
        "accepted_values_orders_status__placed__shipped__completed__return_pending__returned",
        "not_null_orders_amount",
    ]
    assert orders["location"] == {
        "uri": path.as_uri(),
        "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 37}},
    }
    churn = next(a for a in result["assets"] if a["key"] == "research/churn_features")
    assert (churn["document"], churn["location"]["uri"], churn["tags"]) == (
        None,
        defs(project, "research/churn").as_uri(),
        {"area": "research", "compute_size": "small", "domain": "churn"},
    )
    assert (result["errors"], result["stale"]) == ([], False)


@pytest.mark.asyncio(loop_scope="function")
async def test_platform_component_lineage_shows_its_dbt_upstreams(client: LanguageClient, project: Path):
    path = defs(project, "research/churn")
    open_file(client, path)
    first = await lineage(client, path, document=0)
    assert roles(first) == {
        "produced": ["research/churn_features"],
        "upstream": ["customers", "orders"],
        "downstream": ["research/churn_model"],
    }
    assert sorted(first["edges"]) == [
        ["customers", "research/churn_features"],
        ["orders", "research/churn_features"],
        ["research/churn_features", "research/churn_model"],
    ]
    whole = await lineage(client, path, depth=2)
    assert roles(whole) == {
        "produced": ["research/churn_features", "research/churn_model"],
        "upstream": ["customers", "orders", "stg_customers", "stg_orders", "stg_payments"],
        "downstream": ["reports/weekly_research_digest"],
    }
    assert [a["document"] for a in whole["assets"][:2]] == [0, 1]


@pytest.mark.asyncio(loop_scope="function")
async def test_code_lens_counts_assets_and_neighbours(client: LanguageClient, project: Path):
    jaffle, churn = defs(project, "jaffle_shop"), defs(project, "research/churn")
    open_file(client, jaffle)
    open_file(client, churn)
    await loaded(client)
    lenses = []
    for path in (jaffle, churn):
        found = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()))
        )
        lenses += [
            (
                path.parent.name,
                lens.range.start.line,
                lens.command.title,
                lens.command.command,
                plain(lens.command.arguments),
            )
            for lens in found
        ]
    assert lenses == [
        (
            "jaffle_shop",
            1,
            "8 assets · 0 upstream · 3 downstream",
            "dagster.showLineage",
            [{"uri": jaffle.as_uri(), "document": 0}],
        ),
        (
            "churn",
            1,
            "1 asset · 2 upstream · 1 downstream",
            "dagster.showLineage",
            [{"uri": churn.as_uri(), "document": 0}],
        ),
        (
            "churn",
            15,
            "1 asset · 1 upstream · 1 downstream",
            "dagster.showLineage",
            [{"uri": churn.as_uri(), "document": 1}],
        ),
    ]


@judges_dbt_selections
@pytest.mark.asyncio(loop_scope="function")
async def test_asset_keys_in_yaml_hover_complete_and_go_to_their_producer(client: LanguageClient, project: Path):
    # The manifest's vocabulary first (a dbt document whose selection warns once it is judged), so the
    # hover is the model's, then the asset's, whatever order the workspace pass and the load finish in.
    dbt = defs(project, "jaffle_shop")
    project_line = '  project: "{{ context.project_root }}/dbt/jaffle_shop"\n'
    await open_and_wait(client, dbt, dbt.read_text().replace(project_line, project_line + '  select: "tag:nope"\n'))
    warned = [("dbt-selection", 5, 11, 5, 19, "The selection criterion 'tag:nope' does not match any enabled nodes")]
    assert await diagnostics_until(client, dbt.as_uri(), warned) == warned
    path = defs(project, "research/ltv")
    uri = open_file(client, path)
    await loaded(client)
    text = path.read_text()
    line = text.split("\n").index("    - customers")
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=8)
        )
    )
    model, asset = hover.contents.value.split("\n\n---\n\n")
    assert model.split("\n")[0] == "**dbt model** `customers` (`model.jaffle_shop.customers`)"
    assert asset.split("\n") == [
        "**Asset** `customers`",
        "",
        "dbt model customers",
        "",
        "- Group: jaffle_shop",
        "- Kinds: dbt, duckdb",
        "- Owners: team:analytics",
        "- Upstream: `stg_customers`, `stg_orders`, `stg_payments`",
        "- Downstream: `research/churn_features`, `research/ltv_forecast`",
        "- Checks: 2",
        "- Produced by: `src/acme_analytics/defs/jaffle_shop/defs.yaml`",
    ]
    found = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=8)
        )
    )
    models = (project / "dbt" / "jaffle_shop" / "models").resolve()
    assert [(d.uri, d.range.start.line) for d in found] == [
        ((models / "customers.sql").as_uri(), 0),
        ((models / "schema.yml").as_uri(), 3),
        (defs(project, "jaffle_shop").as_uri(), 1),
    ]
    typed = text.replace("    - orders\n", "    - orders\n    - stg\n")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=typed)],
        )
    )
    at = typed.split("\n").index("    - stg")
    items = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=at, character=9)
        )
    )
    keys = [i.label for i in items.items if i.kind == types.CompletionItemKind.Reference]
    assert keys == sorted(
        DBT_MODELS
        + ["metrics/revenue", "reports/weekly_research_digest", "research/churn_features", "research/churn_model"]
    )
    stg = next(i for i in items.items if i.label == "stg_orders")
    assert (stg.detail, stg.text_edit.new_text, stg.text_edit.range.start.character) == (
        "jaffle_shop · dbt, duckdb",
        "stg_orders",
        6,
    )


@pytest.mark.asyncio(loop_scope="function")
async def test_wrong_dbt_project_path_is_a_load_error_at_its_line(client: LanguageClient, project: Path):
    path = defs(project, "jaffle_shop")
    good = path.read_text()
    uri = open_file(client, path)
    await loaded(client)
    broken = good.replace("/dbt/jaffle_shop", "/dbt/jaffle_shopp")
    try:
        await save(client, path, broken, 2)
        assert await until(client, lambda: any(d.code == "load-error" for d in client.diagnostics.get(uri, ())))
        assert summary([d for d in client.diagnostics[uri] if d.code == "load-error"]) == [
            (
                "load-error",
                4,
                11,
                4,
                11 + len(f'"{PROJECT_ROOT_TEMPLATE}/dbt/jaffle_shopp"'),
                f"DagsterDbtProjectNotFoundError: project_dir {project}/dbt/jaffle_shopp does not exist.",
            )
        ]
        result = await lineage(client, path)
        assert [(e["message"][:30], e["range"]["start"]["line"]) for e in result["errors"]] == [
            ("DagsterDbtProjectNotFoundError", 4)
        ]
        assert "research/churn_features" in [
            a["key"] for a in (await lineage(client, defs(project, "research/churn")))["assets"]
        ]
    finally:
        await save(client, path, good, 3)
    assert await until(client, lambda: not any(d.code == "load-error" for d in client.diagnostics.get(uri, ())))


@pytest.mark.asyncio(loop_scope="function")
async def test_require_owners_fires_on_dbt_assets_without_translation_owners(client: LanguageClient, project: Path):
    path = defs(project, "jaffle_shop")
    good = path.read_text()
    uri = open_file(client, path)
    await loaded(client)
    assert not [d for d in client.diagnostics.get(uri, ()) if d.code.startswith("policy:")]
    no_owners = good.replace("    owners:\n      - team:analytics\n", "")
    try:
        await save(client, path, no_owners, 2)
        assert await until(
            client, lambda: any(d.code == "policy:require-owners" for d in client.diagnostics.get(uri, ()))
        )
        assert summary([d for d in client.diagnostics[uri] if d.code.startswith("policy:")]) == [
            (
                "policy:required-attributes",
                5,
                2,
                5,
                13,
                "Missing attribute 'translation.owners', required by the project's policy for dagster_dbt.*",
            ),
            (
                "policy:require-owners",
                5,
                2,
                5,
                13,
                "8 assets have no owners (customers, orders, raw_customers, raw_orders, raw_payments and 3 more); "
                "the project's policy requires at least one",
            ),
        ]
    finally:
        await save(client, path, good, 3)
    assert await until(client, lambda: not any(d.code.startswith("policy:") for d in client.diagnostics.get(uri, ())))


@pytest.mark.asyncio(loop_scope="function")
async def test_a_save_shows_the_last_graph_as_stale_until_the_new_load(client: LanguageClient, project: Path):
    path = defs(project, "metrics")
    text = path.read_text()
    open_file(client, path)
    await loaded(client)
    try:
        await save(client, path, text.replace("name: revenue", "name: revenue_total"), 2)
        during = await lineage(client, path)
        assert (roles(during)["produced"], during["stale"]) == (["metrics/revenue"], True)
        await loaded(client, 2)
        after = await lineage(client, path)
        assert (roles(after), after["stale"]) == (
            {"produced": ["metrics/revenue_total"], "upstream": ["orders"]},
            False,
        )
    finally:
        await save(client, path, text, 3)
        await loaded(client, 3)


@pytest.mark.asyncio(loop_scope="function")
async def test_a_new_session_shows_the_last_graph_at_once_as_stale(client: LanguageClient, project: Path, monkeypatch):
    """A session stores its last load: the next server shows it before its own first load ends."""
    monkeypatch.setenv("DAGSTER_COMPONENTS_LS_CACHE", str(SHARED_CACHE))
    with WorkerProcess(Path(sys.executable), project) as worker:
        store_lineage(project, worker.call("load", {"project_root": str(project), "prepare": False}, timeout=120))
    path = defs(project, "metrics")
    open_file(client, path)
    first = await lineage(client, path)
    assert (roles(first), first["stale"]) == ({"produced": ["metrics/revenue"], "upstream": ["orders"]}, True)
    await loaded(client)
    assert (await lineage(client, path))["stale"] is False


def cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", *args], cwd=project, capture_output=True, text=True, timeout=300
    )


def test_lineage_cli_prints_the_same_view_as_text_json_and_mermaid(project: Path):
    metrics = "src/acme_analytics/defs/metrics/defs.yaml"
    text = cli(project, "lineage", metrics)
    assert (text.returncode, text.stdout.splitlines()) == (
        0,
        [
            "produced    metrics/revenue  metrics  <- orders",
            "upstream    orders           jaffle_shop  <- stg_orders, stg_payments  (src/acme_analytics/defs/jaffle_shop/defs.yaml)",
            "1 produced, 1 around them, 1 edges",
        ],
    )
    assert "Warning" not in text.stderr  # Dagster's beta notices stay quiet
    as_json = json.loads(
        cli(
            project,
            "lineage",
            "src/acme_analytics/defs/research/churn/defs.yaml",
            "--document",
            "1",
            "--format",
            "json",
        ).stdout
    )
    assert (roles(as_json), as_json["edges"], as_json["stale"]) == (
        {
            "produced": ["research/churn_model"],
            "upstream": ["research/churn_features"],
            "downstream": ["reports/weekly_research_digest"],
        },
        [
            ["research/churn_features", "research/churn_model"],
            ["research/churn_model", "reports/weekly_research_digest"],
        ],
        False,
    )
    mermaid = cli(project, "lineage", metrics, "--format", "mermaid").stdout.splitlines()
    assert mermaid[:4] == [
        "flowchart LR",
        '  a0["metrics/revenue"]:::produced',
        '  a1["orders"]:::upstream',
        "  a1 --> a0",
    ]
    outside = cli(project, "lineage", "/etc/hostname")
    assert (outside.returncode, outside.stdout) == (2, "")


def test_check_load_reports_load_errors_and_asset_policies(project: Path):
    path = defs(project, "jaffle_shop")
    good = path.read_text()
    path.write_text(good.replace("/dbt/jaffle_shop", "/dbt/missing"))
    try:
        plain_check = cli(project, "check", "--format", "json")
        loaded_check = cli(project, "check", "--load", "--format", "json")
    finally:
        path.write_text(good)
    where = "src/acme_analytics/defs/jaffle_shop/defs.yaml"
    missing = (where, "missing-file", 4, f"'{PROJECT_ROOT_TEMPLATE}/dbt/missing' does not exist (dbt/missing)")
    assert (
        plain_check.returncode,
        [(f["path"], f["code"], f["range"]["start"]["line"], f["message"]) for f in json.loads(plain_check.stdout)],
    ) == (1, [missing])
    found = json.loads(loaded_check.stdout)
    assert loaded_check.returncode == 1
    assert [(f["path"], f["code"], f["range"]["start"]["line"], f["message"]) for f in found] == [
        (where, "load-error", 4, f"DagsterDbtProjectNotFoundError: project_dir {project}/dbt/missing does not exist."),
        missing,
    ]
    lineage_exit = cli(project, "lineage", "src/acme_analytics/defs/metrics/defs.yaml")
    assert lineage_exit.returncode == 0


# Last: it leaves the dbt project newer than its stored state, so later loads would prepare again.
@pytest.mark.asyncio(loop_scope="function")
async def test_a_changed_dbt_model_prepares_the_state_again_with_progress(client: LanguageClient, project: Path):
    path = defs(project, "jaffle_shop")
    open_file(client, path)
    await loaded(client)
    model = project / "dbt" / "jaffle_shop" / "models" / "orders.sql"
    model.write_text(model.read_text() + "\n-- reviewed\n")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=model.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    await loaded(client, 2)
    messages = [s.message for s in statuses(client) if s.subject == "lineage"]
    assert messages[-2:] == [
        "Preparing DbtProjectComponent[jaffle_shop] (models/orders.sql changed after the state was stored)",
        "13 assets",
    ]
    reports = [
        r for token in client.progress_reports.values() for r in token if token[0].title == "Dagster definitions"
    ]
    assert [(type(r).__name__, getattr(r, "title", None), r.message) for r in reports] == [
        ("WorkDoneProgressBegin", "Dagster definitions", messages[-2]),
        ("WorkDoneProgressEnd", None, "Definitions loaded"),
    ]
    assert (await lineage(client, path))["stale"] is False


@pytest.mark.asyncio(loop_scope="function")
async def test_the_components_own_validation_outlives_a_load(client: LanguageClient, project: Path):
    """A load reruns the worker-backed checks of open documents (it used to drop them until the next edit)."""
    path = defs(project, "research/ltv")
    good = path.read_text()
    uri = open_file(client, path)
    await loaded(client)
    try:
        await save(client, path, good.replace("research/ltv_forecast", "raw/ltv_forecast"), 2)
        assert await until(
            client,
            lambda: sorted(d.code for d in client.diagnostics.get(uri, ())) == ["component-validation", "load-error"],
        ), summary(client.diagnostics.get(uri, []))
    finally:
        await save(client, path, good, 3)
    assert await until(client, lambda: not client.diagnostics.get(uri)), summary(client.diagnostics.get(uri, []))
