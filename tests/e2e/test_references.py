"""References, rename, document highlight and the instance count on a type's hover, from the real server over
stdio, on a copy of examples/acme_analytics with one more file naming assets in quotes and flow style."""

import asyncio
from pathlib import Path

import acme_analytics
import acme_platform.components.research_job as research_job
import pytest
import pytest_lsp
from e2e_support import (
    SHOP_SKELETON,
    TIMEOUT,
    copy_example,
    defs,
    loaded,
    open_and_wait,
    server_config,
    start_session,
    write_files,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient
from test_load import WIDGET

# The examples are installed (editable) from the main checkout: a type's class is found there.
RESEARCH_JOB = Path(research_job.__file__)
# The worker reads template variables from the installed module, so these tests open the installed file.
REPORTS = Path(acme_analytics.__file__).parent / "defs" / "reports" / "defs.yaml"

SUMMARY = """
type: acme_platform.ResearchJob

attributes:
  asset_key: "research/churn_summary"
  owner: team:research
  script: summary.py
  deps: ["research/churn_model", 'research/ltv_forecast', orders]
"""


@pytest.fixture()
def project(tmp_path) -> Path:
    root = copy_example("acme_analytics", tmp_path)
    write_files(root / "src" / "acme_analytics" / "defs", {"research/summary/defs.yaml": SUMMARY})
    return root


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient, project: Path):
    await start_session(lsp_client, {}, root_uri=project.as_uri())
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=server_config())
async def examples_client(lsp_client: LanguageClient):
    """On examples/: the worker reads template variables from the installed example (a copy's are not its
    own); references and rename only answer, they write nothing."""
    await start_session(lsp_client, {})
    yield
    await lsp_client.shutdown_session()


def at(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def doc_id(path: Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=path.as_uri())


def spans(locations) -> list[tuple[str, int, int, int]]:
    return [(loc.uri, loc.range.start.line, loc.range.start.character, loc.range.end.character) for loc in locations]


async def references(client: LanguageClient, path: Path, position: types.Position, declaration: bool = True):
    params = types.ReferenceParams(
        text_document=doc_id(path), position=position, context=types.ReferenceContext(include_declaration=declaration)
    )
    return await asyncio.wait_for(client.text_document_references_async(params), TIMEOUT)


@pytest.mark.asyncio(loop_scope="function")
async def test_references_of_an_asset_key_in_every_file(client: LanguageClient, project: Path):
    churn, reports, summary = (
        defs(project, "research/churn"),
        defs(project, "reports"),
        defs(project, "research/summary"),
    )
    await open_and_wait(client, reports)
    found = await references(client, reports, at(14, 10))  # `- research/churn_model`
    assert spans(found) == [
        (reports.as_uri(), 14, 6, 26),
        (churn.as_uri(), 18, 13, 33),  # `asset_key: research/churn_model`, the declaration
        (summary.as_uri(), 6, 10, 30),  # `deps: ["research/churn_model", ...]`
    ]
    without = await references(client, reports, at(14, 10), declaration=False)
    assert spans(without) == [(reports.as_uri(), 14, 6, 26), (summary.as_uri(), 6, 10, 30)]


@pytest.mark.asyncio(loop_scope="function")
async def test_references_of_a_type_are_its_instances_and_its_class(client: LanguageClient, project: Path):
    ltv, churn, summary = (
        defs(project, "research/ltv"),
        defs(project, "research/churn"),
        defs(project, "research/summary"),
    )
    await open_and_wait(client, ltv)
    found = await references(client, ltv, at(0, 12))
    assert spans(found) == [
        (RESEARCH_JOB.as_uri(), 77, 6, 17),  # `class ResearchJob(...)`
        (churn.as_uri(), 1, 6, 31),
        (churn.as_uri(), 15, 6, 31),
        (ltv.as_uri(), 0, 6, 31),
        (summary.as_uri(), 0, 6, 31),
    ]
    assert spans(await references(client, ltv, at(0, 12), declaration=False)) == spans(found)[1:]


@pytest.mark.asyncio(loop_scope="function")
async def test_references_of_a_template_variable(examples_client: LanguageClient):
    client, reports = examples_client, REPORTS
    await open_and_wait(client, reports)
    found = await references(client, reports, at(10, 15))  # `{{ research_owner }}`
    module = reports.parent / "template_vars.py"
    assert spans(found) == [(module.as_uri(), 6, 4, 18), (reports.as_uri(), 10, 13, 27)]


@pytest.mark.asyncio(loop_scope="function")
async def test_hover_on_a_type_counts_its_instances(client: LanguageClient, project: Path):
    ltv = defs(project, "research/ltv")
    await open_and_wait(client, ltv)
    hover = await asyncio.wait_for(
        client.text_document_hover_async(types.HoverParams(text_document=doc_id(ltv), position=at(0, 12))), TIMEOUT
    )
    assert hover.contents.value.splitlines()[0] == "**ResearchJob** `acme_platform.ResearchJob`"
    assert hover.contents.value.split("\n\n---\n\n")[-2].splitlines()[-1] == "4 instances in the workspace"
    assert hover.contents.value.split("\n\n---\n\n")[-1].startswith("Package `acme-platform` 0.1.0")


@pytest.mark.asyncio(loop_scope="function")
async def test_document_highlight_marks_the_producer_as_write(client: LanguageClient, project: Path):
    churn = defs(project, "research/churn")
    await open_and_wait(client, churn)
    found = await asyncio.wait_for(
        client.text_document_document_highlight_async(
            types.DocumentHighlightParams(text_document=doc_id(churn), position=at(24, 12))
        ),
        TIMEOUT,
    )
    assert [(h.range.start.line, h.range.start.character, h.range.end.character, h.kind) for h in found] == [
        (4, 13, 36, types.DocumentHighlightKind.Write),
        (24, 6, 29, types.DocumentHighlightKind.Read),
    ]


async def rename(client: LanguageClient, path: Path, position: types.Position, new_name: str):
    params = types.RenameParams(text_document=doc_id(path), position=position, new_name=new_name)
    return await asyncio.wait_for(client.text_document_rename_async(params), TIMEOUT)


def edits_of(edit: types.WorkspaceEdit) -> dict[str, tuple]:
    """uri -> (version, [(line, start, end, new text)]) of a WorkspaceEdit's documentChanges."""
    return {
        change.text_document.uri: (
            change.text_document.version,
            [(e.range.start.line, e.range.start.character, e.range.end.character, e.new_text) for e in change.edits],
        )
        for change in edit.document_changes
    }


@pytest.mark.asyncio(loop_scope="function")
async def test_rename_an_asset_key_everywhere_keeping_quotes(client: LanguageClient, project: Path):
    ltv, reports, summary = defs(project, "research/ltv"), defs(project, "reports"), defs(project, "research/summary")
    await open_and_wait(client, ltv)
    prepared = await asyncio.wait_for(
        client.text_document_prepare_rename_async(
            types.PrepareRenameParams(text_document=doc_id(ltv), position=at(3, 20))
        ),
        TIMEOUT,
    )
    assert (prepared.start.line, prepared.start.character, prepared.end.character) == (3, 13, 34)
    edit = await rename(client, ltv, at(3, 20), "research/ltv_12m")
    assert edits_of(edit) == {
        reports.as_uri(): (None, [(15, 6, 27, "research/ltv_12m")]),
        ltv.as_uri(): (10_000, [(3, 13, 34, "research/ltv_12m")]),  # open: its version
        summary.as_uri(): (None, [(6, 34, 55, "research/ltv_12m")]),  # inside the single quotes
    }
    # A plain scalar that would read as a number is written quoted; a quoted one keeps its quotes.
    edit = await rename(client, ltv, at(9, 8), "2024")  # `- customers`
    assert edits_of(edit)[ltv.as_uri()] == (10_000, [(9, 6, 15, '"2024"')])


@pytest.mark.asyncio(loop_scope="function")
async def test_rename_a_template_variable_and_its_function(examples_client: LanguageClient):
    client, reports = examples_client, REPORTS
    await open_and_wait(client, reports)
    edit = await rename(client, reports, at(10, 15), "digest_owner")
    module = reports.parent / "template_vars.py"
    assert edits_of(edit) == {
        reports.as_uri(): (10_000, [(10, 13, 27, "digest_owner")]),
        module.as_uri(): (None, [(6, 4, 18, "digest_owner")]),
    }


@pytest.mark.asyncio(loop_scope="function")
async def test_rename_refused_with_the_reason(client: LanguageClient, project: Path):
    churn = defs(project, "research/churn")
    await open_and_wait(client, churn)
    with pytest.raises(JsonRpcException) as refused:
        await rename(client, churn, at(18, 20), "research/ltv_forecast")
    assert refused.value.code == types.LSPErrorCodes.RequestFailed
    assert refused.value.message == (
        "The asset key `research/ltv_forecast` already exists (in src/acme_analytics/defs/reports/defs.yaml):"
        " the rename would merge two assets"
    )
    with pytest.raises(JsonRpcException) as invalid:
        await rename(client, churn, at(18, 20), "research churn")
    assert invalid.value.message == (
        "`research churn` is not a valid asset key (parts of letters, digits and underscores, joined by `/`)"
    )
    for position in (at(5, 12), at(1, 12)):  # `owner: team:research`, the `type:` value
        prepared = await asyncio.wait_for(
            client.text_document_prepare_rename_async(
                types.PrepareRenameParams(text_document=doc_id(churn), position=position)
            ),
            TIMEOUT,
        )
        assert prepared is None


@pytest.fixture()
def shop(tmp_path) -> Path:
    """A project whose component builds its asset key in Python (`widgets/<name>`): only a load knows it."""
    return write_files(
        tmp_path / "shop",
        {
            **SHOP_SKELETON,
            "src/shop/components/widget.py": WIDGET,
            "src/shop/defs/a/defs.yaml": """
            type: shop.components.widget.Widget
            attributes:
              name: a
            """,
            "src/shop/defs/b/defs.yaml": """
            type: shop.components.widget.Widget
            attributes:
              name: b
              deps: [widgets/a]
            """,
        },
    )


@pytest_lsp.fixture(config=server_config())
async def shop_client(lsp_client: LanguageClient, shop: Path):
    await start_session(lsp_client, {"lineage": {"enabled": True}}, root_uri=shop.as_uri())
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_references_of_a_loaded_asset_start_at_its_producer(shop_client: LanguageClient, shop: Path):
    client, a, b = shop_client, shop / "src/shop/defs/a/defs.yaml", shop / "src/shop/defs/b/defs.yaml"
    await open_and_wait(client, b)
    await loaded(client)
    found = await references(client, b, at(3, 12))  # `deps: [widgets/a]`
    assert spans(found) == [(a.as_uri(), 0, 0, 35), (b.as_uri(), 3, 9, 18)]
    assert spans(await references(client, b, at(3, 12), declaration=False)) == [(b.as_uri(), 3, 9, 18)]
    with pytest.raises(JsonRpcException) as refused:
        await rename(client, b, at(3, 12), "widgets/z")
    assert refused.value.message == (
        "`widgets/a` is produced by src/shop/defs/a/defs.yaml, which does not write the key as such:"
        " rename it where it is built"
    )


@pytest_lsp.fixture(config=server_config())
async def plain_client(lsp_client: LanguageClient, project: Path):
    """A client that declares no `workspaceEdit.documentChanges` support."""
    await start_session(lsp_client, {}, capabilities=types.ClientCapabilities(), root_uri=project.as_uri())
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_rename_answers_changes_to_a_client_without_document_changes(plain_client: LanguageClient, project: Path):
    ltv, reports, summary = defs(project, "research/ltv"), defs(project, "reports"), defs(project, "research/summary")
    await open_and_wait(plain_client, ltv)
    edit = await rename(plain_client, ltv, at(3, 20), "research/ltv_12m")
    assert edit.document_changes is None
    assert {
        uri: [(e.range.start.line, e.range.start.character, e.new_text) for e in es] for uri, es in edit.changes.items()
    } == {
        reports.as_uri(): [(15, 6, "research/ltv_12m")],
        ltv.as_uri(): [(3, 13, "research/ltv_12m")],
        summary.as_uri(): [(6, 34, "research/ltv_12m")],
    }


LISTED = '''
import dagster as dg


class Listed(dg.Component, dg.Model, dg.Resolvable):
    """An asset whose key is written as a list of parts, as Dagster's docs write `asset_key: ["foo"]`."""

    asset_key: list[str]
    deps: list[str] = []

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        @dg.asset(key=dg.AssetKey(self.asset_key), deps=[dg.AssetKey.from_user_string(d) for d in self.deps])
        def _listed() -> None: ...

        return dg.Definitions(assets=[_listed])
'''


@pytest.fixture()
def listed(tmp_path) -> Path:
    return write_files(
        tmp_path / "shop",
        {
            **SHOP_SKELETON,
            "src/shop/components/listed.py": LISTED,
            "src/shop/defs/a/defs.yaml": """
            type: shop.components.listed.Listed
            attributes:
              asset_key: ["shop", 'orders']
            """,
            "src/shop/defs/b/defs.yaml": """
            type: shop.components.listed.Listed
            attributes:
              asset_key:
                - shop
                - report
              deps: [shop/orders]
            """,
        },
    )


@pytest_lsp.fixture(config=server_config())
async def listed_client(lsp_client: LanguageClient, listed: Path):
    await start_session(lsp_client, {}, root_uri=listed.as_uri())
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_a_key_written_as_a_list_of_parts_is_found_and_renamed(listed_client: LanguageClient, listed: Path):
    client, a, b = listed_client, listed / "src/shop/defs/a/defs.yaml", listed / "src/shop/defs/b/defs.yaml"
    await open_and_wait(client, a)
    assert spans(await references(client, a, at(2, 22))) == [(a.as_uri(), 2, 13, 31), (b.as_uri(), 5, 9, 20)]
    prepared = await asyncio.wait_for(
        client.text_document_prepare_rename_async(
            types.PrepareRenameParams(text_document=doc_id(a), position=at(2, 22))
        ),
        TIMEOUT,
    )
    assert isinstance(prepared, types.PrepareRenamePlaceholder)
    assert (prepared.placeholder, prepared.range.start.character, prepared.range.end.character) == (
        "shop/orders",
        13,
        31,
    )
    assert edits_of(await rename(client, a, at(2, 16), "sales/orders")) == {
        a.as_uri(): (10_000, [(2, 15, 19, "sales"), (2, 23, 29, "orders")]),  # each part in its own quotes
        b.as_uri(): (None, [(5, 9, 20, "sales/orders")]),
    }
    # Another number of parts: the list is written again, in flow style.
    assert edits_of(await rename(client, a, at(2, 16), "orders"))[a.as_uri()] == (10_000, [(2, 13, 31, '["orders"]')])
    with pytest.raises(JsonRpcException) as refused:
        await rename(client, a, at(2, 16), "shop/report")  # b's key, written as a block list
    assert refused.value.message.startswith("The asset key `shop/report` already exists (in src/shop/defs/b/defs.yaml)")
