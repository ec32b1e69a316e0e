"""Workspace diagnostics: the component files no editor has open are checked and published too, and
again when the component's code changes (the platform engineer's loop), through the real server."""

import tempfile
from pathlib import Path

import pytest_lsp
from e2e_support import (
    GADGET_V1,
    SHOP_SKELETON,
    server_config,
    start_session,
    summary,
    until,
    wait_for_registry,
    write_files,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

WORKSPACE = Path(tempfile.mkdtemp(prefix="dcls-workspace-diagnostics-"))
GOOD = "src/shop/defs/good/defs.yaml"
BAD = "src/shop/defs/bad/defs.yaml"
FILES = {
    **SHOP_SKELETON,
    "src/shop/components/gadget.py": GADGET_V1,
    GOOD: """
        type: shop.components.gadget.Gadget
        attributes:
          name: g
    """,
    BAD: """
        type: shop.components.gadget.Gadget
        attributes:
          name: b
          color: red
    """,
}
UNKNOWN_COLOR = (
    "unknown-attribute",
    3,
    2,
    3,
    7,
    "Unknown attribute 'color' for shop.components.gadget.Gadget. Allowed: name",
)
WIDGET = '''
"""A project-local component with its own validation: only the worker can run it."""

import dagster as dg
import pydantic


class Widget(dg.Component, dg.Model, dg.Resolvable):
    """Builds one widget asset."""

    name: str

    @pydantic.field_validator("name")
    @classmethod
    def _not_raw(cls, value: str) -> str:
        if value.startswith(RESERVED):
            raise ValueError(f"name {value!r} starts with {RESERVED!r}, which is reserved")
        return value

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return dg.Definitions()


RESERVED = "raw_"
'''
RAW = "src/shop/defs/raw/defs.yaml"
FILES[RAW] = """
    type: shop.components.widget.Widget
    attributes:
      name: raw_orders
"""
FILES["src/shop/components/widget.py"] = WIDGET


def reserved(prefix: str) -> tuple:
    message = f"name 'raw_orders' starts with '{prefix}', which is reserved (from shop.components.widget.Widget)"
    return ("component-validation", 2, 2, 2, 6, message)


WAIT = 30


async def start(lsp_client: LanguageClient, options: dict) -> None:
    """A session like VS Code's on a new copy of the project: its folder is a workspace folder, nothing is open."""
    root = Path(tempfile.mkdtemp(dir=WORKSPACE)) / "shop"
    write_files(root, FILES)
    lsp_client.root = root
    folder = types.WorkspaceFolder(uri=root.as_uri(), name="shop")
    await start_session(lsp_client, options, root_uri=root.as_uri(), workspace_folders=[folder])


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient):
    await start(lsp_client, {})
    yield
    await lsp_client.shutdown_session()


async def published(client: LanguageClient, relative: str, expected: list) -> list:
    uri = (client.root / relative).as_uri()
    await until(client, lambda: uri in client.diagnostics and summary(client.diagnostics[uri]) == expected, WAIT)
    return summary(client.diagnostics.get(uri, [])) if uri in client.diagnostics else ["never published"]


def watched(client: LanguageClient, relative: str, kind: types.FileChangeType) -> None:
    uri = (client.root / relative).as_uri()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=uri, type=kind)])
    )


def open_text(client: LanguageClient, relative: str, text: str) -> str:
    uri = (client.root / relative).as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
        )
    )
    return uri


async def test_a_closed_file_s_problems_are_published_without_opening_it(client: LanguageClient):
    # The session opens nothing: the registry is read for the workspace folder's project (warm-up),
    # then each of its component files is checked.
    assert await published(client, BAD, [UNKNOWN_COLOR]) == [UNKNOWN_COLOR]
    assert await published(client, GOOD, []) == []


async def test_a_required_field_added_to_the_component_flags_every_closed_instance(client: LanguageClient):
    assert await published(client, BAD, [UNKNOWN_COLOR]) == [UNKNOWN_COLOR]
    gadget = client.root / "src/shop/components/gadget.py"
    gadget.write_text(GADGET_V1.replace("    name: str\n", "    name: str\n    size: int\n"))
    watched(client, "src/shop/components/gadget.py", types.FileChangeType.Changed)
    missing = ("missing-attribute", 1, 0, 1, 10, "Missing required attribute 'size' in attributes")
    assert await published(client, GOOD, [missing]) == [missing]
    unknown = (*UNKNOWN_COLOR[:5], UNKNOWN_COLOR[5] + ", size")
    assert await published(client, BAD, [missing, unknown]) == [missing, unknown]


async def test_a_closed_document_shows_its_file_again_and_a_deleted_file_is_cleared(client: LanguageClient):
    assert await published(client, GOOD, []) == []
    typed = "type: shop.components.gadget.Gadget\nattributes:\n  name: g\n  colour: red\n"
    uri = open_text(client, GOOD, typed)
    await until(client, lambda: any(d.code == "unknown-attribute" for d in client.diagnostics.get(uri, [])))
    assert [(row[0], row[1]) for row in summary(client.diagnostics[uri])] == [("unknown-attribute", 3)]
    # Closed without saving: the editor shows the file on disk's (no) problems, not nothing and not the draft's.
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert await published(client, GOOD, []) == []

    (client.root / BAD).unlink()
    watched(client, BAD, types.FileChangeType.Deleted)
    assert await published(client, BAD, []) == []


async def test_turning_the_setting_off_clears_closed_files_and_on_checks_them_again(client: LanguageClient):
    assert await published(client, BAD, [UNKNOWN_COLOR]) == [UNKNOWN_COLOR]
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"dagsterComponents": {"diagnostics": {"workspace": False}}})
    )
    assert await published(client, BAD, []) == []
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"dagsterComponents": {"diagnostics": {"workspace": True}}})
    )
    assert await published(client, BAD, [UNKNOWN_COLOR]) == [UNKNOWN_COLOR]


@pytest_lsp.fixture(config=server_config())
async def client_off(lsp_client: LanguageClient):
    await start(lsp_client, {"diagnostics": {"workspace": False}})
    yield
    await lsp_client.shutdown_session()


async def test_with_the_setting_off_only_open_files_are_published(client_off: LanguageClient):
    client = client_off
    uri = open_text(client, GOOD, (client.root / GOOD).read_text())
    await wait_for_registry(client, client.root / GOOD)
    assert await until(client, lambda: uri in client.diagnostics)
    await until(client, lambda: False, timeout=2)  # what a workspace pass would have published by now
    assert set(client.diagnostics) == {uri}


async def test_a_closed_file_gets_the_component_s_own_validation_from_the_worker(client: LanguageClient):
    # The keystroke rules see nothing wrong (`name` is a string); the component's validator, run by the
    # worker for the closed file in the pass's second phase, rejects the value.
    assert await published(client, RAW, [reserved("raw_")]) == [reserved("raw_")]
    # The platform engineer tightens the rule: the closed instance is judged by the new code.
    widget = client.root / "src/shop/components/widget.py"
    widget.write_text(WIDGET.replace('RESERVED = "raw_"', 'RESERVED = "raw"'))
    watched(client, "src/shop/components/widget.py", types.FileChangeType.Changed)
    assert await published(client, RAW, [reserved("raw")]) == [reserved("raw")]
    # ...then loosens it: the problem goes.
    widget.write_text(WIDGET.replace('RESERVED = "raw_"', 'RESERVED = "ingest_"'))
    watched(client, "src/shop/components/widget.py", types.FileChangeType.Changed)
    assert await published(client, RAW, []) == []


async def test_a_closed_file_changed_on_disk_is_validated_again(client: LanguageClient):
    assert await published(client, RAW, [reserved("raw_")]) == [reserved("raw_")]
    (client.root / RAW).write_text("type: shop.components.widget.Widget\nattributes:\n  name: orders\n")
    watched(client, RAW, types.FileChangeType.Changed)
    assert await published(client, RAW, []) == []
    (client.root / RAW).write_text("type: shop.components.widget.Widget\nattributes:\n  name: raw_orders\n")
    watched(client, RAW, types.FileChangeType.Changed)
    assert await published(client, RAW, [reserved("raw_")]) == [reserved("raw_")]
