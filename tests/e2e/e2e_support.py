"""Helpers shared by the end-to-end tests: paths, the server command, a small editable dg project."""

import asyncio
import os
import sys
import textwrap
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SERVER_COMMAND = [sys.executable, "-m", "dagster_components_ls"]

GADGET_V1 = '''
"""A project-local component whose code the tests edit."""

import dagster as dg


class Gadget(dg.Component, dg.Model, dg.Resolvable):
    """Builds one gadget asset."""

    name: str

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return dg.Definitions()
'''


def write_project(root: Path) -> Path:
    """A small dg project that is not installed anywhere: the worker finds it through its src/ folder."""
    files = {
        "pyproject.toml": """
            [project]
            name = "shop"
            version = "0.0.1"

            [tool.dg]
            directory_type = "project"

            [tool.dg.project]
            root_module = "shop"
            registry_modules = ["shop.components.*"]
        """,
        "src/shop/__init__.py": "",
        "src/shop/components/__init__.py": "",
        "src/shop/components/gadget.py": GADGET_V1,
        "src/shop/defs/__init__.py": "",
        "src/shop/defs/gadgets/defs.yaml": """
            type: shop.components.gadget.Gadget
            attributes:
              name: g
              color: red
        """,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


TIMEOUT = 120

SHARED_CACHE = Path(os.environ.get("DAGSTER_COMPONENTS_LS_TEST_CACHE", "/tmp/dagster-components-ls-test-cache"))


def server_config(cache: Path = SHARED_CACHE) -> ClientServerConfig:
    return ClientServerConfig(server_command=SERVER_COMMAND,
                              server_env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(cache)})


async def start_session(lsp_client: LanguageClient, options: dict, capabilities=None) -> types.InitializeResult:
    """Initialize like an editor, recording `dagster/status` notifications on `lsp_client.statuses`."""
    lsp_client.statuses = []

    @lsp_client.feature("dagster/status")
    def on_status(params):
        lsp_client.statuses.append(params)

    return await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or client_capabilities("visual-studio-code"),
            root_uri=EXAMPLES.as_uri(),
            initialization_options={"python": sys.executable, **options},
        )
    )


async def open_and_wait(client: LanguageClient, path: Path, text: str | None = None) -> list[types.Diagnostic]:
    """Open a document and wait for diagnostics computed with the registry (after any `loading` pass)."""
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text or path.read_text())
        )
    )
    return await wait_for_ready_diagnostics(client, uri)


async def wait_for_ready_diagnostics(client: LanguageClient, uri: str, version: int | None = None) -> list[types.Diagnostic]:
    async def ready():
        while True:
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            registry_ready = any(s.state == "ready" and s.subject == "registry" for s in statuses(client))
            if uri in client.diagnostics and registry_ready:
                return

    await asyncio.wait_for(ready(), TIMEOUT)
    # One more publish may be queued right after `ready`: let the debounce settle.
    await asyncio.sleep(0.1)
    return list(client.diagnostics[uri])


def statuses(client):
    return [s if hasattr(s, "state") else type("S", (), s) for s in client.statuses]


def summary(diagnostics: list[types.Diagnostic]) -> list[tuple]:
    return [
        (d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.message)
        for d in sorted(diagnostics, key=lambda d: (d.range.start.line, d.range.start.character))
    ]
