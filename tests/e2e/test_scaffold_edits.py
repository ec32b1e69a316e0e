"""`dagster.scaffold` when the editor answers `workspace/applyEdit` with null, or not at all."""

import asyncio
import os
import shutil
from pathlib import Path

import pytest
import pytest_lsp
from e2e_support import EXAMPLES, SERVER_COMMAND, SHARED_CACHE, TIMEOUT, start_session
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

APPLY_EDIT_TIMEOUT = 2


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=SERVER_COMMAND,
        server_env={
            **os.environ,
            "DAGSTER_COMPONENTS_LS_CACHE": str(SHARED_CACHE),
            "DAGSTER_COMPONENTS_LS_APPLY_EDIT_TIMEOUT": str(APPLY_EDIT_TIMEOUT),
        },
    )
)
async def client(lsp_client: LanguageClient):
    await start_session(lsp_client, {})
    yield
    await lsp_client.shutdown_session()


async def scaffold(client: LanguageClient, tmp_path: Path) -> tuple[dict, Path]:
    project = tmp_path / "acme_analytics"
    shutil.copytree(EXAMPLES / "acme_analytics", project, ignore=shutil.ignore_patterns(".local_defs_state", "target"))
    folder = project / "src" / "acme_analytics" / "defs" / "newjob"
    result = await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="dagster.scaffold", arguments=[{"type": "acme_platform.ResearchJob", "folder": folder.as_uri()}]
            )
        ),
        TIMEOUT,
    )
    return result, folder


@pytest.mark.asyncio(loop_scope="function")
async def test_a_null_answer_to_apply_edit_is_reported(client: LanguageClient, tmp_path):
    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams):
        return None

    result, folder = await scaffold(client, tmp_path)

    message = "Scaffold acme_platform.ResearchJob: the editor did not apply the edit (it answered null)"
    assert result == {"applied": False, "files": [str(folder / "defs.yaml")], "failureReason": message}
    assert [(m.type, m.message) for m in client.messages] == [(types.MessageType.Error, message)]


@pytest.mark.asyncio(loop_scope="function")
async def test_no_answer_to_apply_edit_is_reported_after_the_timeout(client: LanguageClient, tmp_path):
    answer = asyncio.Event()

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    async def apply_edit(params: types.ApplyWorkspaceEditParams):
        await answer.wait()  # an editor that never answers (until the test ends)
        return types.ApplyWorkspaceEditResult(applied=False)

    try:
        result, folder = await scaffold(client, tmp_path)
    finally:
        answer.set()

    message = (
        f"Scaffold acme_platform.ResearchJob: the editor did not apply the edit "
        f"(no answer within {APPLY_EDIT_TIMEOUT} s)"
    )
    assert result == {"applied": False, "files": [str(folder / "defs.yaml")], "failureReason": message}
    assert [(m.type, m.message) for m in client.messages] == [(types.MessageType.Error, message)]
