"""Pull diagnostics (LSP 3.17) through the real server: a client that announces `textDocument/diagnostic`
and `workspace/diagnostic/refresh` pulls open documents and, once it asks, closed files; it is never pushed
what it pulls. Clients without both keep push (see test_workspace_diagnostics for push)."""

import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from e2e_support import (
    EXAMPLES,
    GADGET_V1,
    server_config,
    start_session,
    summary,
    until,
    wait_for_registry,
    write_files,
)
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from test_workspace_diagnostics import BAD, FILES, GOOD, RAW, UNKNOWN_COLOR, WORKSPACE, published, watched

INVALID_ENUM = EXAMPLES / "broken" / "invalid_enum" / "defs.yaml"
XLARGE = (
    "invalid-value",
    9,
    16,
    9,
    22,
    "attributes.compute_size: 'xlarge' is not one of ['small', 'medium', 'large']",
)
COMPONENT_VALIDATION = EXAMPLES / "broken" / "component_validation" / "defs.yaml"
RESERVED_NAMESPACE = (
    "component-validation",
    8,
    2,
    8,
    11,
    "asset_key 'raw/churn_scores' uses the namespace 'raw', which is reserved for ingestion and dbt "
    "(marts, raw, staging); use your team's namespace, e.g. 'research/...' (from acme_platform.ResearchJob)",
)
WAIT = 60
SHOP = {path: text for path, text in FILES.items() if path not in (RAW, "src/shop/components/widget.py")}
"""The shop project without its Widget instance, whose worker answer would come at any time between pulls."""


def pull_capabilities() -> types.ClientCapabilities:
    """VS Code's capabilities (pytest-lsp's capture, from before 3.17) with what today's VS Code adds: pull
    diagnostics and their refresh."""
    capabilities = client_capabilities("visual-studio-code")
    capabilities.text_document.diagnostic = types.DiagnosticClientCapabilities(
        dynamic_registration=True, related_document_support=False
    )
    capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return capabilities


async def start_pulling(lsp_client: LanguageClient, options: dict) -> None:
    """A pulling session on a new copy of the shop project (its workspace folder, nothing open), as
    test_workspace_diagnostics starts a pushed one (pytest-lsp's client answers and counts refresh requests:
    `diagnostic_refresh_count`)."""
    root = Path(tempfile.mkdtemp(dir=WORKSPACE)) / "shop"
    write_files(root, SHOP)
    lsp_client.root = root
    folder = types.WorkspaceFolder(uri=root.as_uri(), name="shop")
    lsp_client.initialize_result = await start_session(
        lsp_client, options, capabilities=pull_capabilities(), root_uri=root.as_uri(), workspace_folders=[folder]
    )


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient):
    await start_pulling(lsp_client, {})
    yield
    await lsp_client.shutdown_session()


def open_path(client: LanguageClient, path: Path, text: str | None = None) -> str:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="yaml", version=1, text=path.read_text() if text is None else text
            )
        )
    )
    return path.as_uri()


def edit(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def pull(client: LanguageClient, uri: str, previous: str | None = None):
    return await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri), identifier="dagster", previous_result_id=previous
        )
    )


async def pull_until(client: LanguageClient, uri: str, expected: list) -> list:
    """Pull, and pull again after each refresh request, until the report is `expected` (what a client does)."""
    rows: list = []
    for _ in range(10):
        seen = client.diagnostic_refresh_count
        report = await pull(client, uri)
        rows = summary(report.items)
        if rows == expected:
            break
        await until(client, lambda: client.diagnostic_refresh_count > seen, WAIT)
    return rows


async def pull_workspace(client: LanguageClient, previous: dict[str, str] | None = None) -> dict[str, tuple]:
    """`workspace/diagnostic` as {relative path: (kind, version, rows)} for the shop's files."""
    report = await client.workspace_diagnostic_async(
        types.WorkspaceDiagnosticParams(
            identifier="dagster",
            previous_result_ids=[types.PreviousResultId(uri=uri, value=v) for uri, v in (previous or {}).items()],
        )
    )
    client.result_ids = {item.uri: item.result_id for item in report.items}
    root = client.root.as_uri() + "/"
    return {
        item.uri.removeprefix(root): (item.kind, item.version, summary(getattr(item, "items", [])))
        for item in report.items
    }


async def test_the_initialize_result_advertises_pull(client: LanguageClient):
    assert client.initialize_result.capabilities.diagnostic_provider == types.DiagnosticOptions(
        identifier="dagster", inter_file_dependencies=True, workspace_diagnostics=True
    )


async def test_an_open_document_is_pulled_not_pushed(client: LanguageClient):
    uri = open_path(client, INVALID_ENUM)
    await wait_for_registry(client, INVALID_ENUM)
    report = await pull(client, uri)
    assert (report.kind, summary(report.items)) == ("full", [XLARGE])
    # The same report again (the worker's own validation of it adds nothing): unchanged.
    again = await pull(client, uri, report.result_id)
    assert (again.kind, again.result_id) == ("unchanged", report.result_id)
    # An edit: a full report with the new problem, and unchanged again for it.
    edit(client, uri, 2, INVALID_ENUM.read_text().replace("xlarge", "huge"))
    edited = await pull(client, uri, report.result_id)
    huge = ("invalid-value", 9, 16, 9, 20, "attributes.compute_size: 'huge' is not one of ['small', 'medium', 'large']")
    assert (edited.kind, summary(edited.items)) == ("full", [huge])
    assert (await pull(client, uri, edited.result_id)).kind == "unchanged"
    assert await published(client, GOOD, []) == []  # closed files are still pushed: push works
    assert uri not in client.diagnostics


async def test_the_worker_s_answer_arrives_by_refresh_and_a_pull_again(client: LanguageClient):
    uri = open_path(client, COMPONENT_VALIDATION)
    await wait_for_registry(client, COMPONENT_VALIDATION)
    first = await pull(client, uri)
    # The keystroke rules find nothing: only the component's own validator (the worker) does.
    assert (first.kind, summary(first.items)) == ("full", [])
    assert await pull_until(client, uri, [RESERVED_NAMESPACE]) == [RESERVED_NAMESPACE]
    assert client.diagnostic_refresh_count >= 1
    assert uri not in client.diagnostics


async def test_closed_files_are_pushed_until_the_first_workspace_pull(client: LanguageClient):
    assert await published(client, BAD, [UNKNOWN_COLOR]) == [UNKNOWN_COLOR]
    assert await published(client, GOOD, []) == []
    assert await pull_workspace(client) == {
        BAD: ("full", None, [UNKNOWN_COLOR]),
        GOOD: ("full", None, []),
    }
    # What was pushed is cleared: the editor would show both.
    assert await published(client, BAD, []) == []
    assert await pull_workspace(client, client.result_ids) == {
        BAD: ("unchanged", None, []),
        GOOD: ("unchanged", None, []),
    }

    # The platform engineer's loop, pulled: a required field flags every closed instance.
    seen = client.diagnostic_refresh_count
    gadget = client.root / "src/shop/components/gadget.py"
    gadget.write_text(GADGET_V1.replace("    name: str\n", "    name: str\n    size: int\n"))
    watched(client, "src/shop/components/gadget.py", types.FileChangeType.Changed)
    missing = ("missing-attribute", 1, 0, 1, 10, "Missing required attribute 'size' in attributes")
    unknown = (*UNKNOWN_COLOR[:5], UNKNOWN_COLOR[5] + ", size")
    expected = {BAD: ("full", None, [missing, unknown]), GOOD: ("full", None, [missing])}
    previous = dict(client.result_ids)
    found: dict = {}
    for _ in range(10):
        assert await until(client, lambda: client.diagnostic_refresh_count > seen, WAIT), "no refresh request"
        seen = client.diagnostic_refresh_count
        found = await pull_workspace(client, previous)
        if found == expected:
            break
    assert found == expected
    assert summary(client.diagnostics[(client.root / BAD).as_uri()]) == []  # nothing pushed again


async def test_a_deleted_closed_file_is_pulled_empty_once(client: LanguageClient):
    assert await published(client, BAD, [UNKNOWN_COLOR]) == [UNKNOWN_COLOR]
    assert await published(client, GOOD, []) == []
    await pull_workspace(client)
    (client.root / BAD).unlink()
    watched(client, BAD, types.FileChangeType.Deleted)
    assert await until(client, lambda: client.diagnostic_refresh_count > 0, WAIT)
    assert await pull_workspace(client, client.result_ids) == {
        BAD: ("full", None, []),
        GOOD: ("unchanged", None, []),
    }
    assert await pull_workspace(client, client.result_ids) == {GOOD: ("unchanged", None, [])}


@pytest_lsp.fixture(config=server_config())
async def client_off(lsp_client: LanguageClient):
    await start_pulling(lsp_client, {"diagnostics": {"workspace": False}})
    yield
    await lsp_client.shutdown_session()


async def test_with_the_setting_off_the_workspace_pull_has_only_open_documents(client_off: LanguageClient):
    client = client_off
    uri = open_path(client, INVALID_ENUM)
    await wait_for_registry(client, INVALID_ENUM)
    assert summary((await pull(client, uri)).items) == [XLARGE]
    assert await pull_workspace(client) == {uri: ("full", 1, [XLARGE])}


async def test_open_documents_are_in_the_workspace_pull_and_a_closed_one_is_emptied_once(client: LanguageClient):
    # VS Code stops pulling a document whose tab is hidden and keeps the workspace pull's report for it.
    uri = open_path(client, INVALID_ENUM)
    await wait_for_registry(client, INVALID_ENUM)
    shop = {BAD: ("full", None, [UNKNOWN_COLOR]), GOOD: ("full", None, [])}
    assert await published(client, GOOD, []) == []
    assert await pull_workspace(client) == {uri: ("full", 1, [XLARGE]), **shop}
    assert (await pull(client, uri, client.result_ids[uri])).kind == "unchanged"  # one id for both pulls
    edit(client, uri, 2, INVALID_ENUM.read_text().replace("xlarge", "large"))
    assert (await pull_workspace(client, client.result_ids))[uri] == ("full", 2, [])
    # Closed: it is in no project, so no pass checks it; its last report is emptied once, then it is gone.
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert (await pull_workspace(client, client.result_ids))[uri] == ("full", None, [])
    assert uri not in await pull_workspace(client, client.result_ids)
    assert uri not in client.diagnostics


@pytest_lsp.fixture(config=server_config())
async def push_client(lsp_client: LanguageClient, request):
    lsp_client.initialize_result = await start_session(
        lsp_client, {}, capabilities=client_capabilities(request.param), root_uri=EXAMPLES.as_uri()
    )
    yield
    await lsp_client.shutdown_session()


@pytest.mark.parametrize(
    "push_client",
    [
        pytest.param("visual-studio-code", id="vscode-1.65"),
        # Neovim 0.11 pulls per document but cannot be asked to pull again: it keeps push.
        pytest.param("neovim", id="neovim-0.11"),
    ],
    indirect=True,
)
async def test_a_client_that_does_not_pull_is_pushed_and_told_of_no_diagnostic_provider(push_client: LanguageClient):
    client = push_client
    assert client.initialize_result.capabilities.diagnostic_provider is None
    uri = open_path(client, INVALID_ENUM)
    await wait_for_registry(client, INVALID_ENUM)
    assert await until(client, lambda: summary(client.diagnostics.get(uri, [])) == [XLARGE])
    assert summary(client.diagnostics[uri]) == [XLARGE]
