"""What each service needs of the server and of the other services, as Protocols (so only server.py imports them)."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import Optional, Protocol, TypeVar

from lsprotocol import types
from pygls.workspace import Workspace

from ..model.context import CheckContext
from .documents import Documents, Snapshot
from .project_state import ProjectState
from .settings import Settings

T = TypeVar("T")


class ProjectsPort(Protocol):
    """Of projects.Projects: which project owns a document, and its file context."""

    def state_for(self, uri: str) -> ProjectState: ...

    def open_uris(self, state: ProjectState) -> list[str]: ...

    def context_for(self, uri: str, state: ProjectState) -> CheckContext: ...

    @property
    def states(self) -> dict[Optional[Path], ProjectState]: ...


class PublishingPort(Protocol):
    """Of publishing.Publishing: diagnostics sent again, worker-backed problems dropped."""

    def publish_all(self, state: ProjectState) -> None: ...

    def forget_background(self, uri: str, cancel: bool = False) -> None: ...

    def background_pending(self) -> bool: ...


class WorkspaceChecksPort(Protocol):
    """Of workspace_checks.WorkspaceChecks: the closed files of a project checked, a closed document's disk
    diagnostics published."""

    def check_project(self, state: ProjectState) -> None: ...

    def closed(self, uri: str) -> bool: ...

    def dropped(self, uri: str) -> None: ...


class LineagePort(Protocol):
    """Of lineage_schedule.LineageSchedule: a (re)load of the definitions asked for, the worker renewed."""

    def want(self, state: ProjectState, only_if_missing: bool = False) -> None: ...

    def renew_worker(self, state: ProjectState, installed: Optional[str]) -> None: ...


class ClientPort(Protocol):
    """Of client_calls.ClientCalls: what is told to or asked of the client."""

    def status(self, state: ProjectState, subject: str, value: str, message: str) -> None: ...

    def show_message(self, kind: types.MessageType, message: str) -> None: ...

    async def begin_progress(self, title: str, message: str) -> Optional[str]: ...

    def end_progress(self, token: Optional[str], message: str) -> None: ...

    async def with_slow_progress(self, title: str, message: str, work: Awaitable[T]) -> T: ...

    async def apply_edit(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult: ...

    def refresh_code_lenses(self) -> None: ...

    def refresh_diagnostics(self) -> None: ...
    def refresh_inlay_hints(self) -> None: ...


class Server(Protocol):
    """Of server.ComponentsLanguageServer: its services, settings, the pygls workspace and notifications."""

    @property
    def settings(self) -> Settings: ...

    @property
    def pull_diagnostics(self) -> bool: ...

    @property
    def workspace(self) -> Workspace: ...

    @property
    def documents(self) -> Documents: ...

    @property
    def projects(self) -> ProjectsPort: ...

    @property
    def publishing(self) -> PublishingPort: ...

    @property
    def workspace_checks(self) -> WorkspaceChecksPort: ...

    @property
    def lineage(self) -> LineagePort: ...

    @property
    def client(self) -> ClientPort: ...

    def snapshot(self, uri: str) -> Optional[Snapshot]: ...

    async def ready_snapshot(self, uri: str) -> Optional[Snapshot]: ...

    def text_document_publish_diagnostics(self, params: types.PublishDiagnosticsParams) -> None: ...
