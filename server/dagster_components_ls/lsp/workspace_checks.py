"""Diagnostics for the component files the editor has not opened: every file of a project, published
once its registry is ready and again after every registry refresh or load, so that a change to a
component shows in each instance it breaks without opening one (issue 16's platform engineer's loop)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from lsprotocol import types

from ..checks.pipeline import file_problems
from ..model.positions import LineIndex
from ..model.uris import from_path, to_path
from ..project.discovery import component_files
from .documents import is_component_file

if TYPE_CHECKING:
    from .project_state import ProjectState
    from .wiring import Server

FILES_PER_TURN = 25
"""Files checked between two turns of the event loop: what the user types is answered in between."""


class WorkspaceChecks:
    """One pass per project over its closed component files (a newer pass cancels an older one), the
    diagnostics each got (to clear them when a file goes or the setting is turned off)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.passes: dict[Optional[Path], asyncio.Task] = {}
        self.shown: set[str] = set()
        """URIs of closed files that have (possibly empty) workspace diagnostics in the editor."""
        self.stopped = False

    def enabled(self) -> bool:
        return self.server.settings.diagnostics_workspace

    def check_project(self, state: ProjectState) -> None:
        """Start (or restart) the pass over the project's closed component files."""
        if self.stopped or not self.enabled() or state.project is None or state.registry is None:
            return
        key = state.project.root
        running = self.passes.pop(key, None)
        if running is not None:
            running.cancel()
        self.passes[key] = asyncio.get_running_loop().create_task(self.run(state))

    def stop(self) -> None:
        """After `shutdown`: no pass runs or starts (the client may be gone; nothing is sent after it)."""
        self.stopped = True
        for task in self.passes.values():
            task.cancel()
        self.passes.clear()

    async def run(self, state: ProjectState) -> None:
        assert state.project is not None
        for count, path in enumerate(component_files(state.project)):
            uri = from_path(path)
            if self.server.documents.get(uri) is None:
                self.publish(uri, state)
            if count % FILES_PER_TURN == FILES_PER_TURN - 1:
                await asyncio.sleep(0)

    def publish(self, uri: str, state: ProjectState) -> None:
        """The closed file's problems as `check` gives them without `--load`'s worker checks: the
        keystroke rules and the project's last load errors and asset policies."""
        ls = self.server
        path = to_path(uri)
        if self.stopped:
            return
        if not path.is_file():
            self.clear(uri)
            return
        parsed = ls.documents.parse_path(path)
        ctx = ls.projects.context_for(uri, state)
        loaded = state.lineage.loaded if not state.lineage.from_disk else None
        problems = file_problems(parsed, ctx, str(path), loaded)
        index = LineIndex(parsed.text, ls.documents.position_encoding())
        from .publishing import to_lsp

        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[to_lsp(p, index) for p in problems])
        )
        self.shown.add(uri)

    def opened(self, uri: str) -> None:
        """An opened file's diagnostics are the open document's from now on."""
        self.shown.discard(uri)

    def clear(self, uri: str) -> None:
        if uri in self.shown:
            self.shown.discard(uri)
            self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def closed(self, uri: str) -> bool:
        """A document closed: its diagnostics become those of the file on disk. False when the setting is off
        (the caller clears them) or the file is not a component file of a project with a registry."""
        state = self.server.projects.state_for(uri)
        if not self.enabled() or state.project is None or state.registry is None:
            return False
        self.publish(uri, state)
        return True

    def files_changed(self, uris: list[str]) -> None:
        """Closed component files created, changed or deleted on disk: checked again, or cleared."""
        for uri in uris:
            if not is_component_file(uri) or self.server.documents.get(uri) is not None:
                continue
            state = self.server.projects.state_for(uri)
            if self.enabled() and state.project is not None and state.registry is not None:
                self.publish(uri, state)
            else:
                self.clear(uri)

    def reconfigured(self) -> None:
        """The setting changed: a pass over every project (on), or every closed file cleared (off)."""
        if self.enabled():
            for state in self.server.projects.states.values():
                self.check_project(state)
            return
        for task in self.passes.values():
            task.cancel()
        self.passes.clear()
        for uri in list(self.shown):
            self.clear(uri)
