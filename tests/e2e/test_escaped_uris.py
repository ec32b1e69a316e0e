"""Every feature on a file whose folder needs escaping in a URI (space, non-ASCII, `#`, `@`, `%`), as
VS Code and Neovim send it (`file:///…/my%20dir/…`): the same answers as for a plain folder."""

import json
import subprocess

import pytest
import pytest_lsp
from e2e_support import (
    SERVER_COMMAND,
    TIMEOUT,
    loaded,
    open_and_wait,
    plain,
    server_config,
    start_session,
    summary,
    until,
    wait_for_registry,
    write_project,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

ODD_FOLDER = "my dir é#@%x"
ESCAPED = "my%20dir%20%C3%A9%23%40%25x"
"""How VS Code writes ODD_FOLDER in a URI (its encodeURIComponent of each path segment)."""


@pytest_lsp.fixture(config=server_config())
async def lineage_client(lsp_client: LanguageClient):
    await start_session(lsp_client, {"lineage": {"enabled": True}})
    yield
    await lsp_client.shutdown_session()


async def answers(client: LanguageClient, root, loads: int) -> dict:
    """What each feature answers on the shop project's defs.yaml under `root`, with `root` written as ROOT."""
    path = write_project(root / "shop") / "src/shop/defs/gadgets/defs.yaml"
    uri = path.as_uri()
    diagnostics = await open_and_wait(client, path)
    doc = types.TextDocumentIdentifier(uri=uri)
    on_type = types.Position(line=0, character=10)
    completion = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc, position=types.Position(line=0, character=11))
    )  # type: shop.|
    hover = await client.text_document_hover_async(types.HoverParams(text_document=doc, position=on_type))
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc, range=diagnostics[0].range, context=types.CodeActionContext(diagnostics=diagnostics)
        )
    )
    definition = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc, position=on_type)
    )
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc))
    workspace = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="g"))
    await loaded(client, loads)  # this project's definitions (each project loads once)
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc))
    lineage = plain(await client.protocol.send_request_async("dagster/lineage", {"textDocument": {"uri": uri}}))
    found = {
        "diagnostics": summary(diagnostics),
        "completion": sorted(item.label for item in completion.items),
        "hover": hover.contents.value,
        "actions": [client.protocol._converter.unstructure(a) for a in actions],
        "definition": [(d.uri, d.range.start.line) for d in definition],
        "symbols": [s.name for s in symbols],
        "workspace": [(s.name, s.location.uri) for s in workspace if s.location.uri.startswith(root.as_uri())],
        "lenses": [(lens.command.title, lens.command.arguments) for lens in lenses],
        "lineage": lineage,
    }
    return json.loads(json.dumps(found, default=str).replace(root.as_uri(), "ROOT").replace(str(root), "ROOT"))


@pytest.mark.asyncio(loop_scope="function")
async def test_every_feature_answers_on_an_escaped_uri_as_on_a_plain_one(lineage_client: LanguageClient, tmp_path):
    odd = await answers(lineage_client, tmp_path / ODD_FOLDER, 1)
    plain_answers = await answers(lineage_client, tmp_path / "plain", 2)

    assert plain_answers["diagnostics"] and plain_answers["completion"] and plain_answers["actions"]
    assert plain_answers["definition"] and plain_answers["workspace"] and plain_answers["lenses"]
    assert odd == plain_answers


def test_check_names_the_file_in_an_odd_folder(tmp_path):
    root = write_project(tmp_path / ODD_FOLDER / "shop")
    result = subprocess.run(
        [*SERVER_COMMAND, "check", "--format", "json", "."], cwd=root, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 1, result.stderr
    assert {row["path"] for row in json.loads(result.stdout)} == {"src/shop/defs/gadgets/defs.yaml"}


@pytest.mark.asyncio(loop_scope="function")
async def test_two_spellings_of_a_uri_are_one_document(client: LanguageClient, tmp_path):
    """Neovim leaves `@` unescaped (its RFC 3986 set), VS Code writes `%40`: the server answers both about
    one document, and publishes under the one spelling (VS Code's, `Path.as_uri()`'s)."""
    path = write_project(tmp_path / ODD_FOLDER / "shop") / "src/shop/defs/gadgets/defs.yaml"
    escaped = path.as_uri()
    neovim = escaped.replace("%40", "@")
    assert neovim != escaped
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=neovim, language_id="yaml", version=1, text=path.read_text())
        )
    )
    await wait_for_registry(client, path)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=escaped, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=path.read_text())],
        )
    )

    assert await until(client, lambda: any(d.code == "unknown-attribute" for d in client.diagnostics.get(escaped, [])))
    assert neovim not in client.diagnostics
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=neovim), position=types.Position(line=0, character=10)
        )
    )
    assert hover is not None and hover.contents.value.startswith("**Gadget**")
