"""Thousands of notifications leave nothing behind in the server's table of in-flight handlers."""

import pytest
from e2e_support import open_and_wait, plain, write_project
from lsprotocol import types
from pytest_lsp import LanguageClient

EDITS = 3000


async def pending_futures(client: LanguageClient) -> int:
    """`dagster/debug` is internal (tests only): the size of pygls' table of in-flight handlers."""
    return plain(await client.protocol.send_request_async("dagster/debug", None))["pendingFutures"]


@pytest.mark.asyncio(loop_scope="function")
async def test_notifications_leave_no_futures_behind(client: LanguageClient, tmp_path):
    path = write_project(tmp_path / "shop") / "src/shop/defs/gadgets/defs.yaml"
    await open_and_wait(client, path)
    uri = path.as_uri()
    before = await pending_futures(client)

    end = len("type: shop.components.gadget.Gadget")
    for version in range(EDITS):  # type and delete one character, like someone editing the type
        typed = version % 2 == 0
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=20_000 + version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=0, character=end),
                            end=types.Position(line=0, character=end + (0 if typed else 1)),
                        ),
                        text="x" if typed else "",
                    )
                ],
            )
        )
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))

    # Answered after every notification before it was handled. At most a request of ours to the client
    # (a progress token) may be in flight at that moment; pygls 2.1 alone kept one entry per notification.
    assert await pending_futures(client) <= before + 2
