"""Scenario: a researcher puts a Python job into production with the platform's ResearchJob component,
on a copy of examples/acme_analytics whose dbt models the real loader reads."""

import asyncio

import pytest
import pytest_lsp
from e2e_support import (
    DBT_MODELS,
    TIMEOUT,
    copy_example,
    defs,
    lineage,
    loaded,
    plain,
    prepare_dbt_state,
    roles,
    server_config,
    start_session,
)
from lsprotocol import types
from pytest_lsp import LanguageClient
from scenario_support import Editor, settled, write_applied_edits


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return prepare_dbt_state(copy_example("acme_analytics", tmp_path_factory.mktemp("researcher")))


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient, project):
    await start_session(lsp_client, {"lineage": {"enabled": True}}, root_uri=project.as_uri())
    yield
    await lsp_client.shutdown_session()


# (code, start line, start character, end line, end character, first line of the message)
SCAFFOLDED = [
    ("load-error", 0, 6, 0, 31, "ValidationError: 2 validation errors for ResearchJob"),
    ("missing-attribute", 2, 0, 2, 10, "Missing required attribute 'asset_key' in attributes"),
    ("missing-attribute", 2, 0, 2, 10, "Missing required attribute 'owner' in attributes"),
]
REFUSED = [
    ("load-error", 2, 0, 2, 10, "ValidationError: 2 validation errors for ResearchJob"),
    (
        "component-validation",
        3,
        2,
        3,
        11,
        "asset_key 'raw/retention' uses the namespace 'raw', which is reserved for ingestion and dbt (marts, raw, "
        "staging); use your team's namespace, e.g. 'research/...' (from acme_platform.ResearchJob)",
    ),
    ("invalid-value", 6, 16, 6, 22, "attributes.compute_size: 'xlarge' is not one of ['small', 'medium', 'large']"),
]


def labels(items: list[types.CompletionItem]) -> list[str]:
    return [i.label for i in items]


@pytest.mark.asyncio(loop_scope="function")
async def test_researcher_scaffolds_fills_in_fixes_and_sees_lineage(client: LanguageClient, project):
    folder = defs(project, "research/retention").parent

    # 1. Which components may I use? The platform's ResearchJob: its docs and its whitelisted sizes.
    components = plain(
        await asyncio.wait_for(
            client.protocol.send_request_async("dagster/components", {"uri": defs(project, "research/churn").as_uri()}),
            TIMEOUT,
        )
    )
    assert [c["key"] for c in components if not c["key"].startswith("dagster")] == [
        "acme_analytics.components.metric.Metric",
        "acme_analytics.defs.reports.weekly_report.WeeklyReport",
        "acme_platform.ResearchJob",
    ]
    job = next(c for c in components if c["key"] == "acme_platform.ResearchJob")
    assert (job["summary"], job["package"], job["version"], job["aliases"]) == (
        "Runs a researcher's notebook or script on the shared cluster and materializes one asset.",
        "acme-platform",
        "0.1.0",
        ["acme_platform.components.research_job.ResearchJob"],
    )
    assert job["description"].split("\n\n")[1:3] == [
        "The platform team's governed way to put research code into production. Give the asset key\nit produces, "
        "who owns it, and **either** a `notebook` **or** a `script` (a path relative to\nthe folder of this "
        "`defs.yaml`). List the upstream assets it reads in `deps`, for example\nthe dbt models `customers` or "
        "`orders`.",
        "Platform rules enforced on load:",
    ]
    assert (job["schema"]["properties"]["compute_size"]["anyOf"][0], job["schema"]["$defs"]["ComputeSize"]["enum"]) == (
        {"$ref": "#/$defs/ComputeSize"},
        ["small", "medium", "large"],
    )

    # 2. Scaffold one into a new folder; the editor creates the file, the researcher adds a script and opens it.
    edits = write_applied_edits(client)
    result = await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="dagster.scaffold", arguments=[{"type": "acme_platform.ResearchJob", "folder": folder.as_uri()}]
            )
        ),
        TIMEOUT,
    )
    assert plain(result) == {"applied": True, "files": [str(folder / "defs.yaml")]}
    [(create, fill)] = [edit.document_changes for edit in edits]
    assert (create.uri, fill.edits[0].new_text) == (
        (folder / "defs.yaml").as_uri(),
        "type: acme_platform.ResearchJob\n\nattributes: {}\n",
    )
    (folder / "features.py").write_text("")
    editor = Editor(client, folder / "defs.yaml")
    await loaded(client)
    # Until it is filled in, the editor and the loader agree that it misses its key and owner.
    assert await settled(client, editor.uri, SCAFFOLDED) == SCAFFOLDED
    # 3. Fill it in with completion: each key and value is an offered item, except the two the
    # researcher insists on (a namespace of their own choosing, a bigger machine than the whitelist's).
    editor.type("attributes:\n  ", at="attributes: {}\n")
    keys = await editor.complete()
    assert labels(keys) == [
        "asset_key",
        "owner",
        "notebook",
        "script",
        "compute_size",
        "observability",
        "deps",
        "description",
        "tags",
    ]
    editor.choose(keys, "asset_key")
    assert labels(await editor.complete()) == ["research/churn_model"]
    editor.type("raw/retention\n  ")
    keys = await editor.complete()
    assert labels(keys) == [
        "owner",
        "notebook",
        "script",
        "compute_size",
        "observability",
        "deps",
        "description",
        "tags",
    ]
    editor.choose(keys, "owner")
    owners = await editor.complete()
    assert labels(owners) == ["team:research", "ada@acme.example"]
    editor.choose(owners, "team:research")
    editor.type("\n  ")
    editor.choose(await editor.complete(), "script")
    scripts = await editor.complete()
    assert labels(scripts) == ["null", "features.py"]
    editor.choose(scripts, "features.py")
    editor.type("\n  ")
    editor.choose(await editor.complete(), "compute_size")
    assert labels(await editor.complete()) == ["small", "medium", "large"]
    editor.type("xlarge\n  ")
    keys = await editor.complete()
    assert labels(keys) == ["notebook", "observability", "deps", "description", "tags"]
    editor.choose(keys, "deps")
    deps = await editor.complete()
    assert labels(deps) == sorted(
        DBT_MODELS
        + [
            "metrics/revenue",
            "reports/weekly_research_digest",
            "research/churn_features",
            "research/churn_model",
            "research/ltv_forecast",
        ]
    )
    editor.choose(deps, "orders")
    editor.type("\n")
    assert editor.text == (
        "type: acme_platform.ResearchJob\n\nattributes:\n  asset_key: raw/retention\n"
        "  owner: team:research\n  script: features.py\n  compute_size: xlarge\n  deps:\n"
        "    - orders\n"
    )
    editor.save()

    # 4. The whitelist and the naming rule say no, in the editor and in the load.
    assert await settled(client, editor.uri, REFUSED) == REFUSED
    compute_size, naming = [d for d in client.diagnostics[editor.uri] if d.code != "load-error"]
    [load_error] = [d for d in client.diagnostics[editor.uri] if d.code == "load-error"]
    # Dagster's load says it too, in pydantic's words, without pydantic's "For further information" links.
    assert load_error.message.splitlines() == [
        "ValidationError: 2 validation errors for ResearchJob",
        "asset_key",
        "  Value error, asset_key 'raw/retention' uses the namespace 'raw', which is reserved for ingestion and dbt "
        "(marts, raw, staging); use your team's namespace, e.g. 'research/...' [type=value_error, "
        "input_value='raw/retention', input_type=str]",
        "compute_size",
        "  Input should be 'small', 'medium' or 'large' [type=enum, input_value='xlarge', input_type=str]",
    ]

    # 5. Quick fixes: the whitelist offers each allowed size, the naming rule the key it would accept.
    fixes = await editor.quick_fix(compute_size)
    assert [f.title for f in fixes] == [
        "Change to 'large'",
        "Change to 'small'",
        "Change to 'medium'",
        "Ignore invalid-value on this line",
    ]
    editor.take(fixes[0])
    fixes = await editor.quick_fix(naming)
    assert [f.title for f in fixes] == ["Change to 'research/retention'", "Ignore component-validation on this line"]
    editor.take(fixes[0])
    assert editor.text == (
        "type: acme_platform.ResearchJob\n\nattributes:\n  asset_key: research/retention\n"
        "  owner: team:research\n  script: features.py\n  compute_size: large\n  deps:\n"
        "    - orders\n"
    )
    editor.save()
    assert await settled(client, editor.uri, []) == []

    # 6. Its lineage: the new asset, downstream of the dbt model it reads.
    view = await lineage(client, editor.path, document=0)
    assert (roles(view), view["edges"], view["errors"], view["stale"]) == (
        {"produced": ["research/retention"], "upstream": ["orders"]},
        [["orders", "research/retention"]],
        [],
        False,
    )
    assert view["assets"][0] == {
        "key": "research/retention",
        "role": "produced",
        "document": 0,
        "group": "research",
        "kinds": ["python"],
        "owners": ["team:research"],
        "tags": {"compute_size": "large", "area": "research"},
        "deps": ["orders"],
        "checks": [],
        "description": None,
        "automation_condition": None,
        "location": {
            "uri": editor.uri,
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 31}},
        },
    }
