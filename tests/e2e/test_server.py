"""The real server process over stdio, driven by pytest-lsp like an editor."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from e2e_support import (
    EXAMPLES,
    GADGET_V1,
    SHARED_CACHE,
    TIMEOUT,
    open_and_wait,
    plain,
    private_cache,
    server_config,
    start_session,
    statuses,
    summary,
    until,
    write_project,
)
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities


def check_json(path: Path) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "check", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(SHARED_CACHE)},
    )
    return json.loads(out.stdout)


@pytest.mark.asyncio(loop_scope="function")
async def test_broken_file_gets_its_exact_diagnostics(client: LanguageClient):
    path = EXAMPLES / "broken" / "unknown_attribute" / "defs.yaml"
    diagnostics = await open_and_wait(client, path)
    assert summary(diagnostics) == [
        (
            "unknown-attribute",
            8,
            2,
            8,
            14,
            "Unknown attribute 'compute_sise' for acme_platform.ResearchJob. Did you mean 'compute_size'?",
        ),
    ]
    (diagnostic,) = diagnostics
    assert (diagnostic.source, diagnostic.severity, diagnostic.data) == (
        "dagster",
        types.DiagnosticSeverity.Error,
        {"path": ["attributes"], "key": "compute_sise", "suggestion": "compute_size"},
    )


@pytest.mark.asyncio(loop_scope="function")
async def test_server_and_check_agree_on_every_broken_file(client: LanguageClient):
    by_path: dict[str, list[tuple]] = {}
    for d in check_json(EXAMPLES / "broken"):
        start, end = d["range"]["start"], d["range"]["end"]
        item = (d["code"], start["line"], start["character"], end["line"], end["character"], d["message"])
        by_path.setdefault(str(Path(d["path"]).resolve()), []).append(item)
    files = sorted((EXAMPLES / "broken").rglob("*.yaml"))
    assert len(files) >= 17
    for path in files:
        await open_and_wait(client, path)
        expected = by_path.get(str(path), [])
        # The worker's own validation and platform policies follow the keystroke diagnostics.
        await until(client, lambda: summary(client.diagnostics[path.as_uri()]) == expected)
        assert summary(client.diagnostics[path.as_uri()]) == expected, path


@pytest.mark.asyncio(loop_scope="function")
async def test_editing_updates_diagnostics(client: LanguageClient):
    path = EXAMPLES / "broken" / "invalid_enum" / "defs.yaml"
    uri = path.as_uri()
    diagnostics = await open_and_wait(client, path)
    assert [d.code for d in diagnostics] == ["invalid-value"]
    line = diagnostics[0].range.start.line
    # Type over `xlarge` with `large`, as an editor sends an incremental change.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangePartial(range=diagnostics[0].range, text="large")],
        )
    )
    assert await until(client, lambda: not client.diagnostics[uri])
    assert line == 9


@pytest.mark.asyncio(loop_scope="function")
async def test_bad_input_never_stops_the_server(client: LanguageClient, tmp_path):
    cases = {
        "binary": "\x00\x01\x02garbage\xff",
        "tabs": "type: acme_platform.ResearchJob\n\tattributes: {}\n",
        "list": "- a\n- b\n",
        "scalar": "just a string\n",
        "duplicates": "type: a.B\ntype: c.D\n",
        "empty": "",
        "comments": "# nothing\n# at all\n",
        "raises-on-import": "type: not_a_module_anywhere.Thing\n",
    }
    codes = {}
    for name, text in cases.items():
        path = tmp_path / name / "defs.yaml"
        path.parent.mkdir()
        path.write_text(text)
        codes[name] = [d.code for d in await open_and_wait(client, path, text)]
    assert codes == {
        "binary": ["yaml-syntax"],
        "tabs": ["yaml-syntax"],
        "list": ["invalid-value"],
        "scalar": ["invalid-value"],
        "duplicates": ["yaml-syntax", "unknown-type"],
        "empty": ["missing-attribute"],
        "comments": ["missing-attribute"],
        "raises-on-import": ["unknown-type"],
    }
    # Still serving: a good file gets its (empty) diagnostics. (Not jaffle_shop's: its `{{ context.* }}`
    # is unknown to Dagster 1.11.)
    good = EXAMPLES / "acme_analytics" / "src" / "acme_analytics" / "defs" / "research" / "churn" / "defs.yaml"
    assert await open_and_wait(client, good) == []


@pytest.mark.asyncio(loop_scope="function")
async def test_editing_component_code_refreshes_open_documents(client: LanguageClient, tmp_path):
    root = write_project(tmp_path / "shop")
    path = root / "src" / "shop" / "defs" / "gadgets" / "defs.yaml"
    diagnostics = await open_and_wait(client, path)
    assert [(d.code, d.message) for d in diagnostics] == [
        ("unknown-attribute", "Unknown attribute 'color' for shop.components.gadget.Gadget. Allowed: name"),
    ]
    # The platform team adds the field; the editor reports the saved file.
    module = root / "src" / "shop" / "components" / "gadget.py"
    module.write_text(GADGET_V1.replace("    name: str\n", "    name: str\n    color: str = 'blue'\n"))
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=module.as_uri(), type=types.FileChangeType.Changed)]
        )
    )

    assert await until(client, lambda: path.as_uri() in client.diagnostics and not client.diagnostics[path.as_uri()])
    assert list(client.diagnostics[path.as_uri()]) == []


@pytest.mark.asyncio(loop_scope="function")
async def test_a_re_exported_type_name_is_learned_from_the_worker(client: LanguageClient, tmp_path):
    path = tmp_path / "folder" / "defs.yaml"
    path.parent.mkdir()
    path.write_text("type: dagster.components.DefsFolderComponent\npost_processing:\n  assets: []\n")
    await open_and_wait(client, path)

    await until(client, lambda: not client.diagnostics.get(path.as_uri()))
    assert list(client.diagnostics[path.as_uri()]) == []


UNTRUSTED_CACHE = private_cache("dcls-untrusted-")


@pytest_lsp.fixture(config=server_config(Path(UNTRUSTED_CACHE)))
async def untrusted(lsp_client: LanguageClient):
    await start_session(lsp_client, {"trusted": False})
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_untrusted_workspace_runs_no_user_code(untrusted: LanguageClient):
    path = EXAMPLES / "broken" / "invalid_enum" / "defs.yaml"
    uri = path.as_uri()
    untrusted.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=path.read_text())
        )
    )

    await until(
        untrusted, lambda: any(s.state == "untrusted" for s in statuses(untrusted)) and untrusted.diagnostics.get(uri)
    )
    assert [(d.code, d.severity, d.message) for d in untrusted.diagnostics[uri]] == [
        (
            "worker-error",
            types.DiagnosticSeverity.Warning,
            "Could not read the component types: the workspace is not trusted and no component types are cached for it",
        ),
    ]
    assert [m.message for m in untrusted.messages] == [
        "Could not read the component types: the workspace is not trusted and no component types are cached for it",
    ]
    assert [(s.subject, s.state) for s in statuses(untrusted)] == [("registry", "loading"), ("registry", "untrusted")]


@pytest_lsp.fixture(config=server_config())
async def utf8_client(lsp_client: LanguageClient):
    capabilities = client_capabilities("visual-studio-code")
    capabilities.general = types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf8])
    result = await start_session(lsp_client, {}, capabilities)
    lsp_client.encoding = result.capabilities.position_encoding
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_positions_follow_the_negotiated_encoding(utf8_client: LanguageClient, tmp_path):
    path = tmp_path / "defs.yaml"
    (tmp_path / "s.py").write_text("")
    text = (
        "type: acme_platform.ResearchJob\nattributes:\n  asset_key: research/x\n  owner: team:r\n  script: s.py\n"
        '  description: "é😀"\n  tags: {"ü": "x", bad: [1]}\n'
    )
    diagnostics = await open_and_wait(utf8_client, path, text)
    assert utf8_client.encoding == types.PositionEncodingKind.Utf8
    # `{"ü": "x", bad: ` is 16 code points and 17 UTF-8 bytes before `[1]`.
    assert summary(diagnostics) == [("invalid-value", 6, 25, 6, 28, "attributes.tags.bad: [1] is not a string")]


@pytest.mark.asyncio(loop_scope="function")
async def test_components_request_lists_the_types_of_a_documents_project(client: LanguageClient):
    path = EXAMPLES / "acme_analytics" / "src" / "acme_analytics" / "defs" / "reports" / "defs.yaml"
    await open_and_wait(client, path)
    items = await asyncio.wait_for(
        client.protocol.send_request_async("dagster/components", {"uri": path.as_uri()}), TIMEOUT
    )
    by_key = {item["key"]: item for item in items}
    report = by_key["acme_analytics.defs.reports.weekly_report.WeeklyReport"]
    assert (report["package"], report["source"]["uri"].endswith("weekly_report.py")) == ("acme-analytics", True)
    assert by_key["acme_platform.ResearchJob"]["summary"].startswith("Runs a researcher's notebook or script")


@pytest.mark.asyncio(loop_scope="function")
async def test_lineage_says_why_there_is_none(client: LanguageClient, tmp_path):
    """This session turns lineage off (e2e_support): the request says so instead of returning nothing."""
    path = EXAMPLES / "acme_analytics" / "src" / "acme_analytics" / "defs" / "metrics" / "defs.yaml"
    await open_and_wait(client, path)
    off = plain(await client.protocol.send_request_async("dagster/lineage", {"textDocument": {"uri": path.as_uri()}}))
    assert off == {
        "assets": [],
        "edges": [],
        "stale": False,
        "errors": [
            {
                "message": "Lineage is turned off (setting dagsterComponents.lineage.enabled)",
                "uri": path.as_uri(),
                "range": None,
            }
        ],
    }
    lone = tmp_path / "defs.yaml"
    lone.write_text("type: dagster.DefsFolderComponent\n")
    await open_and_wait(client, lone)
    outside = plain(
        await client.protocol.send_request_async("dagster/lineage", {"textDocument": {"uri": lone.as_uri()}})
    )
    assert outside["errors"][0]["message"] == "Lineage needs a dg project: this file is in none"
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()))
    )
    assert lenses is None  # no lens promising a lineage that will not come


@pytest.mark.asyncio(loop_scope="function")
async def test_files_that_are_not_regular_never_block_the_server(client: LanguageClient, tmp_path):
    from e2e_support import summary, until, wait_for_registry, write_project

    root = write_project(tmp_path / "shop")
    defs = root / "src" / "shop" / "defs"
    (defs / "pipe").mkdir()
    os.mkfifo(defs / "pipe" / "defs.yaml")  # opening it for reading waits for a writer, forever
    (defs / "gone").mkdir()
    (defs / "gone" / "defs.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (defs / "folder" / "defs.yaml").mkdir(parents=True)
    (defs / "latin1").mkdir()
    (defs / "latin1" / "defs.yaml").write_bytes(b"type: shop.components.gadget.Gadget\n# caf\xe9\n")
    gadgets = defs / "gadgets" / "defs.yaml"
    try:
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=gadgets.as_uri(), language_id="yaml", version=1, text=gadgets.read_text()
                )
            )
        )
        found = await asyncio.wait_for(client.workspace_symbol_async(types.WorkspaceSymbolParams(query="gadget")), 30)
        assert sorted((s.name, s.location.uri) for s in found) == [
            ("Gadget gadgets", gadgets.as_uri()),
            ("Gadget latin1", (defs / "latin1" / "defs.yaml").as_uri()),
        ]
        # The registry is read although the fingerprint and the worker walk the defs folder.
        await wait_for_registry(client, gadgets)
        assert await until(
            client,
            lambda: (
                summary(client.diagnostics.get(gadgets.as_uri(), []))
                == [
                    (
                        "unknown-attribute",
                        3,
                        2,
                        3,
                        7,
                        "Unknown attribute 'color' for shop.components.gadget.Gadget. Allowed: name",
                    )
                ]
            ),
        )
        symbols = await asyncio.wait_for(
            client.text_document_document_symbol_async(
                types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=gadgets.as_uri()))
            ),
            30,
        )
        assert [s.name for s in symbols] == ["Gadget"]
    finally:  # on failure: a reader blocked on the FIFO gets its end of file, so the session can end
        try:
            os.close(os.open(defs / "pipe" / "defs.yaml", os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
