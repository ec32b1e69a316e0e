"""Completion, hover, definition, links and symbols from the real server, on the example project."""

import asyncio

import pytest
from e2e_support import EXAMPLES, TIMEOUT, open_and_wait
from lsprotocol import types
from pytest_lsp import LanguageClient

LTV = EXAMPLES / "acme_analytics" / "src" / "acme_analytics" / "defs" / "research" / "ltv" / "defs.yaml"
RESEARCH_JOB = EXAMPLES / "acme_platform" / "src" / "acme_platform" / "components" / "research_job.py"


def at(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def doc_id(path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=path.as_uri())


@pytest.mark.asyncio(loop_scope="function")
async def test_completion_offers_the_missing_keys_while_typing(client: LanguageClient):
    text = LTV.read_text() + "  "  # the cursor on a new, indented line under `attributes:`
    await open_and_wait(client, LTV, text)
    result = await asyncio.wait_for(
        client.text_document_completion_async(types.CompletionParams(text_document=doc_id(LTV), position=at(13, 2))),
        TIMEOUT,
    )
    assert [item.label for item in result.items] == ["script", "tags"]


@pytest.mark.asyncio(loop_scope="function")
async def test_completion_offers_enum_members_as_values(client: LanguageClient):
    text = LTV.read_text().replace("compute_size: large", "compute_size: ")
    await open_and_wait(client, LTV, text)
    result = await asyncio.wait_for(
        client.text_document_completion_async(types.CompletionParams(text_document=doc_id(LTV), position=at(6, 16))),
        TIMEOUT,
    )
    assert [item.label for item in result.items][:3] == ["small", "medium", "large"]


@pytest.mark.asyncio(loop_scope="function")
async def test_hover_on_the_type_shows_the_component(client: LanguageClient):
    await open_and_wait(client, LTV)
    result = await asyncio.wait_for(
        client.text_document_hover_async(types.HoverParams(text_document=doc_id(LTV), position=at(0, 12))), TIMEOUT
    )
    assert result.contents.kind == types.MarkupKind.Markdown
    assert result.contents.value.splitlines()[0] == "**ResearchJob** `acme_platform.ResearchJob`"
    assert (result.range.start.line, result.range.start.character, result.range.end.character) == (0, 6, 31)


@pytest.mark.asyncio(loop_scope="function")
async def test_definition_of_the_type_is_the_class(client: LanguageClient):
    await open_and_wait(client, LTV)
    result = await asyncio.wait_for(
        client.text_document_definition_async(types.DefinitionParams(text_document=doc_id(LTV), position=at(0, 20))),
        TIMEOUT,
    )
    class_line = (
        RESEARCH_JOB.read_text().splitlines().index("class ResearchJob(dg.Component, dg.Model, dg.Resolvable):")
    )
    assert [(loc.uri, loc.range.start.line) for loc in result] == [(RESEARCH_JOB.as_uri(), class_line)]


@pytest.mark.asyncio(loop_scope="function")
async def test_document_links_point_at_the_notebook(client: LanguageClient):
    await open_and_wait(client, LTV)
    result = await asyncio.wait_for(
        client.text_document_document_link_async(types.DocumentLinkParams(text_document=doc_id(LTV))), TIMEOUT
    )
    assert [(link.target, link.range.start.line) for link in result] == [
        ((LTV.parent / "ltv_forecast.ipynb").as_uri(), 5)
    ]


@pytest.mark.asyncio(loop_scope="function")
async def test_document_and_workspace_symbols(client: LanguageClient):
    await open_and_wait(client, LTV)
    symbols = await asyncio.wait_for(
        client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc_id(LTV))), TIMEOUT
    )
    assert [(s.name, s.detail) for s in symbols] == [
        ("ResearchJob", "acme_platform.ResearchJob · research/ltv_forecast")
    ]
    assert [c.name for c in symbols[0].children] == ["type", "attributes"]
    found = await asyncio.wait_for(client.workspace_symbol_async(types.WorkspaceSymbolParams(query="rjltv")), TIMEOUT)
    assert [(s.name, s.location.uri) for s in found] == [("ResearchJob research/ltv", LTV.as_uri())]
