"""Workspace trust: configuration after initialization can lower it, never raise it."""

import sys
from pathlib import Path

import pytest
import pytest_lsp
from e2e_support import SHOP_SKELETON, private_cache, server_config, start_session, statuses, until, write_files
from lsprotocol import types
from pytest_lsp import LanguageClient

UNTRUSTED_CACHE = private_cache("dcls-trust-")


def write_importing_project(root: Path, marker: Path) -> Path:
    """A dg project whose package writes `marker` when it is imported (as a worker would import it)."""
    return write_files(
        root,
        {
            **SHOP_SKELETON,
            "src/shop/__init__.py": f"from pathlib import Path\nPath({str(marker)!r}).write_text('imported')\n",
            "src/shop/defs/things/defs.yaml": "type: dagster.components.DefsFolderComponent\n",
        },
    )


@pytest_lsp.fixture(config=server_config(Path(UNTRUSTED_CACHE)))
async def untrusted(lsp_client: LanguageClient):
    await start_session(lsp_client, {"trusted": False})
    yield
    await lsp_client.shutdown_session()


def registry_states(client: LanguageClient) -> list[str]:
    return [s.state for s in statuses(client) if s.subject == "registry" and s.state != "loading"]


@pytest.mark.parametrize(
    "settings",
    [
        {},  # what eglot sends by default
        {"dagsterComponents": {"python": sys.executable}},
        {"dagsterComponents": {"lineage": {"enabled": True}}},
    ],
)
@pytest.mark.asyncio(loop_scope="function")
async def test_a_configuration_without_trusted_does_not_trust_the_workspace(
    untrusted: LanguageClient, tmp_path, settings
):
    marker = tmp_path / "imported.txt"
    path = write_importing_project(tmp_path / "shop", marker) / "src/shop/defs/things/defs.yaml"
    untrusted.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="yaml", version=1, text=path.read_text()
            )
        )
    )
    assert await until(untrusted, lambda: registry_states(untrusted) == ["untrusted"])

    untrusted.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=settings))
    # The settings changed (lineage, python), so the registry is read again: still from the cache only.
    assert await until(untrusted, lambda: len(registry_states(untrusted)) == 2)
    assert registry_states(untrusted) == ["untrusted", "untrusted"]
    assert not marker.exists()
    result = await untrusted.protocol.send_request_async("dagster/lineage", {"textDocument": {"uri": path.as_uri()}})
    assert [e.message for e in result.errors] == [
        "Lineage runs the project's code, which an untrusted workspace does not allow"
    ]
    assert not marker.exists()


@pytest.mark.asyncio(loop_scope="function")
async def test_an_explicit_trusted_true_in_the_configuration_does_not_raise_trust(untrusted: LanguageClient, tmp_path):
    """Trust is raised only by a new session (VS Code restarts the server when the workspace is trusted)."""
    marker = tmp_path / "imported.txt"
    path = write_importing_project(tmp_path / "shop", marker) / "src/shop/defs/things/defs.yaml"
    untrusted.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="yaml", version=1, text=path.read_text()
            )
        )
    )
    assert await until(untrusted, lambda: registry_states(untrusted) == ["untrusted"])

    untrusted.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"dagsterComponents": {"trusted": True, "lineage": {"enabled": True}}}
        )
    )
    assert await until(untrusted, lambda: len(registry_states(untrusted)) == 2)
    assert registry_states(untrusted) == ["untrusted", "untrusted"]
    assert not marker.exists()


@pytest_lsp.fixture(config=server_config(Path(UNTRUSTED_CACHE)))
async def trusted(lsp_client: LanguageClient):
    await start_session(lsp_client, {})
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_trusted_false_in_the_configuration_lowers_trust(trusted: LanguageClient, tmp_path):
    marker = tmp_path / "imported.txt"
    path = write_importing_project(tmp_path / "shop", marker) / "src/shop/defs/things/defs.yaml"
    trusted.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="yaml", version=1, text=path.read_text()
            )
        )
    )
    assert await until(trusted, lambda: registry_states(trusted) == ["ready"])
    assert marker.exists()  # the registry build imported the project
    marker.unlink()

    trusted.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"dagsterComponents": {"trusted": False}})
    )
    assert await until(trusted, lambda: len(registry_states(trusted)) == 2)
    assert registry_states(trusted)[1] == "untrusted"
    assert not marker.exists()
