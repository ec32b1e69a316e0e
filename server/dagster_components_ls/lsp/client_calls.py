"""Requests and notifications to the client: progress, status, messages, edits, file watching, lens and
diagnostics refresh."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Optional, TypeVar

from lsprotocol import types

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

    from .project_state import ProjectState

log = logging.getLogger(__name__)
T = TypeVar("T")

REFRESH_DEBOUNCE_SECONDS = 0.05
"""Diagnostics that change together (a registry refresh, a pass over closed files) ask the client to pull once."""
SLOW_WORK_SECONDS = 2.0
"""Worker work that runs longer than this is reported with `$/progress`."""
APPLY_EDIT_TIMEOUT_SECONDS = 30.0
STATUS_NOTIFICATION = "dagster/status"
# Saves here never change what loads (or are written by the load itself: dbt's target/, the stored state).
WATCHED_GLOBS = ("**/*.py", "**/*.sql", "**/*.yml", "**/*.yaml", "**/*.csv", "**/pyproject.toml", "**/dg.toml")


class ClientCalls:
    """What the server asks of or tells the client, each bounded in time where the client may never answer."""

    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self.refresh_pending: Optional[asyncio.TimerHandle] = None

    def show_message(self, kind: types.MessageType, message: str) -> None:
        self.server.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def status(self, state: ProjectState, subject: str, value: str, message: str) -> None:
        log.info("%s %s: %s (project %s, interpreter %s)", subject, value, message, state.root_uri, state.python)
        self.server.protocol.notify(
            STATUS_NOTIFICATION,
            {
                "project": state.root_uri,
                "interpreter": str(state.python) if state.python else None,
                "subject": subject,
                "state": value,
                "message": message,
            },
        )

    async def begin_progress(self, title: str, message: str) -> Optional[str]:
        """Standard `$/progress` for slow work, when the client supports it (every editor shows it)."""
        window = self.server.client_capabilities.window
        if window is None or not window.work_done_progress:
            return None
        token = f"dagster-components-{uuid.uuid4().hex}"
        try:
            await asyncio.wait_for(self.server.work_done_progress.create_async(token), 5)
        except Exception:  # a client that refuses or never answers gets no progress, nothing else
            return None
        self.server.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, message=message))
        return token

    async def with_slow_progress(self, title: str, message: str, work: Awaitable[T]) -> T:
        """`work`'s result, with `$/progress` around it once it has run SLOW_WORK_SECONDS (as `check`
        tells stderr): quick work shows nothing."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait([task], timeout=SLOW_WORK_SECONDS)
        if done:
            return task.result()
        progress = await self.begin_progress(title, message)
        try:
            return await task
        finally:
            self.end_progress(progress, "Done")

    def end_progress(self, token: Optional[str], message: str) -> None:
        if token is not None:
            self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))

    async def apply_edit(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        """`workspace/applyEdit`, waiting a bounded time: a client may answer null, or never."""
        timeout = float(
            os.environ.get("DAGSTER_COMPONENTS_LS_APPLY_EDIT_TIMEOUT", APPLY_EDIT_TIMEOUT_SECONDS)
        )  # tests shorten it
        answer = asyncio.ensure_future(self.server.workspace_apply_edit_async(params))
        # Not wait_for: cancelling would make pygls fail on the client's late answer.
        done, _ = await asyncio.wait({answer}, timeout=timeout)
        if not done:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason=f"no answer within {timeout:g} s")
        if answer.exception() is not None:
            return types.ApplyWorkspaceEditResult(
                applied=False, failure_reason=f"it answered an error: {answer.exception()}"
            )
        result = answer.result()
        if not isinstance(result, types.ApplyWorkspaceEditResult):
            return types.ApplyWorkspaceEditResult(
                applied=False, failure_reason=f"it answered {json.dumps(result, default=str)}"
            )
        return result

    def refresh_code_lenses(self) -> None:
        workspace = self.server.client_capabilities.workspace
        lens = workspace.code_lens if workspace is not None else None
        if lens is not None and lens.refresh_support:
            self.server.workspace_code_lens_refresh(None)

    def refresh_diagnostics(self) -> None:
        """`workspace/diagnostic/refresh`, shortly after the last change, when the client supports it:
        a pulling client asks for the diagnostics again (open documents and closed files)."""
        workspace = self.server.client_capabilities.workspace
        diagnostics = workspace.diagnostics if workspace is not None else None
        if diagnostics is None or not diagnostics.refresh_support or self.refresh_pending is not None:
            return
        self.refresh_pending = asyncio.get_running_loop().call_later(REFRESH_DEBOUNCE_SECONDS, self.send_refresh)

    def send_refresh(self) -> None:
        self.refresh_pending = None
        if not self.server.protocol._shutdown:  # the client may be gone: nothing is asked after `shutdown`
            self.server.workspace_diagnostic_refresh(None)

    def refresh_inlay_hints(self) -> None:
        """Ask the client for inlay hints again (a new registry renders every document again)."""
        workspace = self.server.client_capabilities.workspace
        hints = workspace.inlay_hint if workspace is not None else None
        if hints is not None and hints.refresh_support:
            self.server.workspace_inlay_hint_refresh(None)

    async def watch_files(self) -> None:
        """Ask the client to report saved sources (component code, dbt models), where it can: the
        registry and the lineage follow files the editor does not send us."""
        workspace = self.server.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace is not None else None
        if watched is None or not watched.dynamic_registration:
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED_GLOBS]
        )
        try:
            await asyncio.wait_for(
                self.server.client_register_capability_async(
                    types.RegistrationParams(
                        registrations=[
                            types.Registration(
                                id="dagster-components-watch",
                                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                register_options=options,
                            )
                        ]
                    )
                ),
                5,
            )
        except Exception as exc:  # a client that refuses keeps the 2 s fingerprint poll and didSave
            log.info("file watching not registered: %s", exc)
