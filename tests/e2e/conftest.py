"""The pytest-lsp client fixture: the real server over stdio, initialized like VS Code on examples/."""

import pytest_lsp
from e2e_support import server_config, start_session
from pytest_lsp import LanguageClient


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient):
    await start_session(lsp_client, {})
    yield
    await lsp_client.shutdown_session()
