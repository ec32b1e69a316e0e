"""Scenario: an analytics engineer onboards the jaffle_shop dbt project into a copy of examples/acme_analytics
whose dbt defs folder is gone, so the server scaffolds, prepares and loads it for the first time."""

import asyncio
import shutil

import pytest
import pytest_lsp
from e2e_support import (
    DBT_EDGES,
    DBT_MODELS,
    TIMEOUT,
    copy_example,
    defs,
    lineage,
    loaded,
    plain,
    roles,
    server_config,
    start_session,
)
from lsprotocol import types
from pytest_lsp import LanguageClient
from scenario_support import Editor, settled, write_applied_edits

SCAFFOLDED = (
    "type: dagster_dbt.DbtProjectComponent\n\nattributes:\n  project: '{{ context.project_root }}/dbt/jaffle_shop'\n"
)
NO_OWNERS = [
    (
        "policy:require-owners",
        0,
        6,
        0,
        37,
        "8 assets have no owners (customers, orders, raw_customers, raw_orders, "
        "raw_payments and 3 more); the project's policy requires at least one",
    ),
    (
        "policy:required-attributes",
        2,
        0,
        2,
        10,
        "Missing attribute 'translation.owners', required by the project's policy for dagster_dbt.*",
    ),
]


@pytest.fixture
def project(tmp_path):
    root = copy_example("acme_analytics", tmp_path)
    shutil.rmtree(defs(root, "jaffle_shop").parent)
    return root


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient, project):
    await start_session(lsp_client, {"lineage": {"enabled": True}}, root_uri=project.as_uri())
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_analytics_engineer_onboards_dbt(client: LanguageClient, project):
    folder = defs(project, "jaffle_shop").parent

    # 1. Scaffold the dbt component for the project's dbt folder (a relative path, as `dg` takes it).
    edits = write_applied_edits(client)
    result = await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="dagster.scaffold",
                arguments=[
                    {
                        "type": "dagster_dbt.DbtProjectComponent",
                        "folder": folder.as_uri(),
                        "params": {"project_path": "dbt/jaffle_shop"},
                    }
                ],
            )
        ),
        TIMEOUT,
    )
    assert plain(result) == {"applied": True, "files": [str(folder / "defs.yaml")]}
    [(create, fill)] = [edit.document_changes for edit in edits]
    assert (create.uri, fill.edits[0].new_text) == (folder.joinpath("defs.yaml").as_uri(), SCAFFOLDED)
    editor = Editor(client, folder / "defs.yaml")

    # 2. The first load prepares dbt's state: every model is an asset, refs are edges, and the research
    # jobs and the metric that already listed dbt models in `deps` hang below them.
    await loaded(client)
    view = await lineage(client, editor.path, document=0)
    assert (roles(view), sorted(view["edges"]), view["errors"]) == (
        {"produced": DBT_MODELS, "downstream": ["metrics/revenue", "research/churn_features", "research/ltv_forecast"]},
        sorted(
            DBT_EDGES
            + [
                ["customers", "research/churn_features"],
                ["customers", "research/ltv_forecast"],
                ["orders", "metrics/revenue"],
                ["orders", "research/churn_features"],
                ["orders", "research/ltv_forecast"],
            ]
        ),
        [],
    )
    # The project's policies want owners: in the YAML (keystroke path) and on the loaded assets.
    assert await settled(client, editor.uri, NO_OWNERS) == NO_OWNERS

    # 3. A wrong project path is a load error at its line; putting it back clears it.
    editor.type("/dbt/jaffle_shopp'", at="/dbt/jaffle_shop'")
    editor.save()
    broken = [
        (
            "policy:required-attributes",
            2,
            0,
            2,
            10,
            "Missing attribute 'translation.owners', required by the project's policy for dagster_dbt.*",
        ),
        (
            "load-error",
            3,
            11,
            3,
            56,
            f"DagsterDbtProjectNotFoundError: project_dir {project}/dbt/jaffle_shopp does not exist.",
        ),
        (
            "missing-file",
            3,
            12,
            3,
            55,
            "'{{ context.project_root }}/dbt/jaffle_shopp' does not exist (dbt/jaffle_shopp)",
        ),
    ]
    assert await settled(client, editor.uri, broken) == broken
    editor.type("/dbt/jaffle_shop'", at="/dbt/jaffle_shopp'")
    editor.save()
    assert await settled(client, editor.uri, NO_OWNERS) == NO_OWNERS

    # 4. Owners in the translation satisfy both policies.
    editor.type("  translation:\n    owners:\n      - team:analytics\n")
    editor.save()
    assert await settled(client, editor.uri, []) == []
    assert (await lineage(client, editor.path, document=0))["assets"][0]["owners"] == ["team:analytics"]

    # 5. A research job downstream of dbt completes the models' keys in `deps` (every asset but its own).
    research = Editor(client, defs(project, "research/ltv"))
    research.type("    - orders\n    - ", at="    - orders\n")
    offered = [i.label for i in await research.complete(after="    - ") if i.kind == types.CompletionItemKind.Reference]
    assert offered == sorted(
        DBT_MODELS
        + ["metrics/revenue", "reports/weekly_research_digest", "research/churn_features", "research/churn_model"]
    )
