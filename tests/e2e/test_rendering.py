"""Inlay hints and the resolved view (`dagster/resolved`): templates rendered by Dagster in the real worker."""

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
import pytest_lsp
from e2e_support import (
    DAGSTER_VERSION,
    EXAMPLES,
    SERVER_COMMAND,
    SHARED_CACHE,
    SHOP_SKELETON,
    TIMEOUT,
    defs,
    for_this_dagster_text,
    open_and_wait,
    open_file,
    start_session,
    statuses,
    until,
    write_files,
)
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ANALYTICS = EXAMPLES / "acme_analytics"
REPORTS = defs(ANALYTICS, "reports")
JAFFLE = defs(ANALYTICS, "jaffle_shop")
JAFFLE_TEXT = for_this_dagster_text(JAFFLE.read_text())
"""The dbt document as the Dagster under test writes its project root (1.11 and 1.12 have no `context`)."""
PROJECT_END = JAFFLE_TEXT.split("\n")[4].rindex('"') + 1
"""Where the `project:` value ends, and its hint goes."""
UNDECLARED = EXAMPLES / "broken" / "undeclared_env_var" / "defs.yaml"
UNKNOWN_NAME = EXAMPLES / "broken" / "unknown_template_variable" / "defs.yaml"
SECRET = "s3://acme-reports-secret"
# The server (and so its worker) sees ACME_REPORT_BUCKET set, and never ACME_ALERT_CHANNEL.
ENV = {k: v for k, v in os.environ.items() if k != "ACME_ALERT_CHANNEL"}
CONFIG = ClientServerConfig(
    server_command=SERVER_COMMAND,
    server_env={
        **ENV,
        "DAGSTER_COMPONENTS_LS_CACHE": str(SHARED_CACHE),
        "ACME_REPORT_BUCKET": SECRET,
        "ACME_RESEARCH_BUCKET": "s3://research",
    },
)


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient):
    await start_session(lsp_client, {})
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def refreshing(lsp_client: LanguageClient):
    """A client that accepts `workspace/inlayHint/refresh` (VS Code does; pytest-lsp's VS Code capabilities predate it)."""
    capabilities = client_capabilities("visual-studio-code")
    capabilities.workspace.inlay_hint = types.InlayHintWorkspaceClientCapabilities(refresh_support=True)
    await start_session(lsp_client, {}, capabilities=capabilities)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def showing_env(lsp_client: LanguageClient):
    await start_session(lsp_client, {"inlayHints": {"showEnvValues": True}})
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def hints_off(lsp_client: LanguageClient):
    await start_session(lsp_client, {"inlayHints": {"enabled": False}})
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def untrusted(lsp_client: LanguageClient):
    await start_session(lsp_client, {"trusted": False})
    yield
    await lsp_client.shutdown_session()


async def hints(client: LanguageClient, path, text=None) -> list[tuple]:
    await open_and_wait(client, path, text)
    lines = (text if text is not None else path.read_text()).count("\n") + 1
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=lines, character=0))
    result = await asyncio.wait_for(
        client.text_document_inlay_hint_async(
            types.InlayHintParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()), range=whole)
        ),
        TIMEOUT,
    )
    return [(h.position.line, h.position.character, h.label, h.tooltip) for h in result or ()]


async def resolved(client: LanguageClient, path, text=None, document=None) -> dict:
    await open_and_wait(client, path, text)
    params = {"textDocument": {"uri": path.as_uri()}, **({} if document is None else {"document": document})}
    answer = await asyncio.wait_for(client.protocol.send_request_async("dagster/resolved", params), TIMEOUT)
    return {
        "text": answer.text,
        "errors": [(e.message, e.range.start.line, e.range.start.character) for e in answer.errors],
    }


UNSET_WARNING = "⚠ not set and no default: Dagster renders None"


@pytest.mark.asyncio(loop_scope="function")
async def test_hints_show_template_vars_and_an_env_var_set_without_its_value(client: LanguageClient):
    assert await hints(client, REPORTS) == [
        (10, 31, "→ team:research", None),
        (11, 30, "→ 0 7 * * MON", None),
        (12, 45, "ACME_REPORT_BUCKET: set", None),
    ]


@pytest.mark.asyncio(loop_scope="function")
async def test_hints_say_unset_and_warn_for_an_env_var_without_default(client: LanguageClient):
    text = REPORTS.read_text().replace("env.ACME_REPORT_BUCKET", "env.ACME_ALERT_CHANNEL")
    assert (await hints(client, REPORTS, text))[2] == (12, 45, "ACME_ALERT_CHANNEL: unset", UNSET_WARNING)


@pytest.mark.asyncio(loop_scope="function")
async def test_hints_show_the_project_root_shortened_and_run_time_names(client: LanguageClient):
    root = str(ANALYTICS / "dbt" / "jaffle_shop")
    assert await hints(client, JAFFLE, JAFFLE_TEXT) == [
        (4, PROJECT_END, "→ " + root[:19] + "…" + root[-20:], root),
        (
            9,
            63,
            "at run time",
            "Rendered by the component when it builds each asset (with names of its own), not at load",
        ),
    ]


@pytest.mark.asyncio(loop_scope="function")
async def test_a_template_that_raises_is_a_hint_at_its_value(client: LanguageClient):
    message = (
        "UndefinedError: 'contxt' not found in scope, available scope is: env, dg, datetime, "
        "automation_condition, context, project_root, load_component_at_path, build_defs_at_path"
        if DAGSTER_VERSION >= (1, 13)
        else "UndefinedError: 'contxt' not found in scope, available scope is: env, "
        "automation_condition, project_root, load_component_at_path, build_defs_at_path"
    )
    assert await hints(client, UNKNOWN_NAME) == [(5, 54, "⚠ UndefinedError: 'co…, build_defs_at_path", message)]


@pytest.mark.asyncio(loop_scope="function")
async def test_hints_show_env_values_only_when_the_setting_is_on(showing_env: LanguageClient):
    assert (await hints(showing_env, REPORTS))[2] == (
        12,
        45,
        "→ " + SECRET,
        "Environment: ACME_REPORT_BUCKET set",
    )


@pytest.mark.asyncio(loop_scope="function")
async def test_the_setting_turns_hints_off(hints_off: LanguageClient):
    assert await hints(hints_off, REPORTS) == []


@pytest.mark.asyncio(loop_scope="function")
async def test_the_resolved_view_of_a_document_with_template_vars(client: LanguageClient):
    assert await resolved(client, REPORTS) == {
        "text": (
            "type: .weekly_report.WeeklyReport\n"
            "template_vars_module: .template_vars\n"
            "requirements:\n"
            "  env:\n"
            "  - ACME_REPORT_BUCKET\n"
            "attributes:\n"
            "  asset_key: reports/weekly_research_digest\n"
            "  owner: team:research\n"
            "  cron: 0 7 * * MON\n"
            "  destination: ${ACME_REPORT_BUCKET}\n"
            "  sources:\n"
            "  - research/churn_model\n"
            "  - research/ltv_forecast\n"
        ),
        "errors": [],
    }


@pytest.mark.asyncio(loop_scope="function")
async def test_the_resolved_view_of_the_dbt_project_keeps_run_time_templates(client: LanguageClient):
    assert await resolved(client, JAFFLE, JAFFLE_TEXT) == {
        "text": (
            "type: dagster_dbt.DbtProjectComponent\n"
            "attributes:\n"
            f"  project: {ANALYTICS / 'dbt' / 'jaffle_shop'}\n"
            "  translation:\n"
            "    group_name: jaffle_shop\n"
            "    owners:\n"
            "    - team:analytics\n"
            "    description: dbt {{ node.resource_type }} {{ node.name }}\n"
        ),
        "errors": [],
    }


@pytest.mark.asyncio(loop_scope="function")
async def test_the_resolved_view_lists_an_unset_env_var_at_its_line(client: LanguageClient):
    assert await resolved(client, UNDECLARED) == {
        "text": (
            "type: acme_platform.ResearchJob\n"
            "requirements:\n"
            "  env:\n"
            "  - ACME_RESEARCH_BUCKET\n"
            "attributes:\n"
            "  asset_key: research/churn_scores\n"
            "  owner: team:research\n"
            "  script: score.py\n"
            "  description: Scores written to ${ACME_RESEARCH_BUCKET}\n"
            "  observability:\n"
            "    alert_channel: null\n"
        ),
        "errors": [("Environment variable ACME_ALERT_CHANNEL is not set and has no default: None", 15, 19)],
    }


@pytest.mark.asyncio(loop_scope="function")
async def test_an_untrusted_workspace_renders_nothing(untrusted: LanguageClient):
    uri = open_file(untrusted, REPORTS)
    assert await until(untrusted, lambda: any(s.state == "untrusted" for s in statuses(untrusted)))
    answer = await untrusted.protocol.send_request_async("dagster/resolved", {"textDocument": {"uri": uri}})
    assert (answer.text, [(e.message, e.range.start.line) for e in answer.errors]) == (
        "",
        [("The workspace is not trusted: templates are rendered only in trusted workspaces", 0)],
    )
    hinted = await untrusted.text_document_inlay_hint_async(
        types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=20, character=0)),
        )
    )
    assert hinted is None


RAISING_VARS = {
    **SHOP_SKELETON,
    "src/shop/components/card.py": """
        import dagster as dg


        class Card(dg.Component, dg.Model, dg.Resolvable):
            title: str = ""
            body: str = ""

            @staticmethod
            @dg.template_var
            def shout():
                return lambda text: text.upper() if text else 1 / 0

            def build_defs(self, context):
                return dg.Definitions()
    """,
    "src/shop/defs/cards/vars.py": """
        import dagster as dg


        @dg.template_var
        def broken():
            raise RuntimeError("no such region")
    """,
    "src/shop/defs/cards/defs.yaml": """
        type: shop.components.card.Card
        attributes:
          title: "{{ shout('hi') }}"
          body: "{{ shout('') }}"
        ---
        type: shop.components.card.Card
        template_vars_module: .vars
        attributes:
          title: "{{ broken }}"
    """,
}


@pytest.mark.asyncio(loop_scope="function")
async def test_templates_and_template_vars_that_raise_are_hints_not_failures(client: LanguageClient, tmp_path):
    path = write_files(tmp_path / "shop", RAISING_VARS) / "src/shop/defs/cards/defs.yaml"
    found = await hints(client, path)
    assert [(line, character, label) for line, character, label, _ in found] == [
        (2, 28, "→ HI"),
        (3, 25, "⚠ ZeroDivisionError: division by zero"),
        (5, 31, "⚠ not rendered: RuntimeError: no such region"),
    ]
    view = await client.protocol.send_request_async("dagster/resolved", {"textDocument": {"uri": path.as_uri()}})
    assert [(e.message, e.range.start.line) for e in view.errors] == [
        ("ZeroDivisionError: division by zero", 3),
        ("Not rendered: RuntimeError: no such region", 5),
    ]
    assert (
        view.text.split("---\n")[0]
        == "type: shop.components.card.Card\nattributes:\n  title: HI\n  body: '{{ shout('''') }}'\n"
    )


@pytest.mark.asyncio(loop_scope="function")
async def test_a_changed_template_var_renders_again_after_the_registry_refresh(refreshing: LanguageClient, tmp_path):
    root = write_files(tmp_path / "shop", RAISING_VARS)
    path = root / "src/shop/defs/cards/defs.yaml"
    assert (await hints(refreshing, path))[2][2] == "⚠ not rendered: RuntimeError: no such region"
    refreshes = getattr(refreshing, "inlay_hint_refreshes", 0)
    vars_file = root / "src/shop/defs/cards/vars.py"
    vars_file.write_text("import dagster as dg\n\n\n@dg.template_var\ndef broken():\n    return 'eu-west-1'\n")
    refreshing.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=vars_file.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    assert await until(refreshing, lambda: getattr(refreshing, "inlay_hint_refreshes", 0) > refreshes)
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=9, character=0))
    again = await refreshing.text_document_inlay_hint_async(
        types.InlayHintParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()), range=whole)
    )
    assert [(h.position.line, h.label) for h in again] == [
        (2, "→ HI"),
        (3, "⚠ ZeroDivisionError: division by zero"),
        (8, "→ eu-west-1"),
    ]


@pytest.mark.parametrize("env_values", [False, True])
def test_the_worker_sends_an_env_value_only_when_asked(tmp_path, env_values):
    """The `render` call's raw answer, on the wire: without env_values the value is nowhere in it."""
    from dagster_components_ls.project.worker_client import WorkerProcess

    root = write_files(tmp_path / "shop", RAISING_VARS)
    folder = root / "src/shop/defs/cards"
    document = {"type": "shop.components.card.Card", "attributes": {"title": "{{ env.SHOP_TOKEN }}"}}
    params = {
        "project_root": str(root),
        "env_values": env_values,
        "documents": [{"index": 0, "type": document["type"], "document": document, "folder": str(folder)}],
    }
    with WorkerProcess(Path(sys.executable), root, env={**os.environ, "SHOP_TOKEN": "tok-123-secret"}) as worker:
        answer = worker.call("render", params, timeout=TIMEOUT)
    [result] = answer["results"]
    assert [(v["path"], v["text"], v["env"]) for v in result["values"]] == [
        (
            ["attributes", "title"],
            "tok-123-secret" if env_values else "${SHOP_TOKEN}",
            [{"name": "SHOP_TOKEN", "set": True, "default": False}],
        )
    ]
    assert ("tok-123-secret" in json.dumps(answer)) is env_values
