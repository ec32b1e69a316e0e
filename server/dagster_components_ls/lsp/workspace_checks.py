"""Diagnostics for the component files the editor has not opened: every file of a project, published
once its registry is ready and again after every registry refresh or load, so that a change to a
component shows in each instance it breaks without opening one (issue 16's platform engineer's loop).

Two phases per pass: the keystroke rules for every closed file first (fast, no worker), then the
worker-backed checks (the component's own validation, platform policies) in batches of files per
worker call, each batch waiting until no open document's worker check is pending: what the user is
typing goes first. A file whose answers change what it shows is published again (emit: pushed, until
the client's first `workspace/diagnostic`; from then on pulled: Neovim never asks, VS Code does)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from lsprotocol import types

from ..checks.background import CALL_TIMEOUT_SECONDS, DBT_SELECTION, Answers, Failed, batch_answers
from ..checks.pipeline import file_problems
from ..features.diagnostic_reports import WorkspaceItem, workspace_items
from ..model.context import CheckContext
from ..model.documents import ParsedFile
from ..model.positions import LineIndex
from ..model.uris import from_path, to_path
from ..project.discovery import component_files
from ..worker import protocol
from .documents import is_component_file

if TYPE_CHECKING:
    from .project_state import ProjectState
    from .wiring import Server

FILES_PER_TURN = 25
"""Files checked between two turns of the event loop: what the user types is answered in between."""
FILES_PER_WORKER_CALL = 20
"""Closed files whose worker-backed checks one worker call answers: small enough that an open
document's own check, queued behind it on the same worker, waits seconds at most."""
IDLE_POLL_SECONDS = 0.1


class WorkspaceChecks:
    """One pass per project over its closed component files (a newer pass cancels an older one), the
    diagnostics each got (to clear them when a file goes or the setting is turned off, and to answer
    `workspace/diagnostic`)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.passes: dict[Optional[Path], asyncio.Task] = {}
        self.shown: set[str] = set()
        """URIs of closed files that have (possibly empty) pushed workspace diagnostics in the editor."""
        self.reports: dict[str, list[types.Diagnostic]] = {}
        """Each closed file's current diagnostics, what `workspace/diagnostic` answers."""
        self.cleared: set[str] = set()
        """Reports emptied after they were pulled (a deleted file, the setting off): answered once, then dropped."""
        self.pulled = False
        """The client has sent `workspace/diagnostic`: closed files are no longer pushed."""
        self.answers: dict[str, tuple[tuple[str, str, str], Answers]] = {}
        """Closed files' URIs -> ((registry fingerprint, digest of the text checked, digest of the loaded assets
        asked with), worker answers)."""
        self.single: dict[str, asyncio.Task] = {}
        """Worker checks of one closed file (changed on disk, or just closed), by URI."""
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
        for task in [*self.passes.values(), *self.single.values()]:
            task.cancel()
        self.passes.clear()
        self.single.clear()

    async def run(self, state: ProjectState) -> None:
        assert state.project is not None
        closed = []
        for count, path in enumerate(component_files(state.project)):
            uri = from_path(path)
            if self.server.documents.get(uri) is None:
                self.publish(uri, state)
                closed.append(uri)
            if count % FILES_PER_TURN == FILES_PER_TURN - 1:
                await asyncio.sleep(0)
        for start in range(0, len(closed), FILES_PER_WORKER_CALL):
            await self.check_with_worker(closed[start : start + FILES_PER_WORKER_CALL], state)

    def worker_backed(self, state: ProjectState) -> bool:
        """Whether the project's worker may run closed files' checks (trusted, a real registry)."""
        return (
            self.server.settings.trusted
            and state.registry is not None
            and state.unset_environment is None
            and state.python is not None
            and state.fingerprint is not None
        )

    async def check_with_worker(self, uris: list[str], state: ProjectState) -> None:
        """The worker-backed checks of some closed files in one worker call (once no open document's
        own check is pending), each file published again if its answers change what it shows."""
        if not self.worker_backed(state):
            return
        await self.idle()
        files = [(uri, parsed) for uri in uris if (parsed := self.closed_file(uri)) is not None]
        if not files or not self.worker_backed(state):
            return
        ctxs = [self.server.projects.context_for(uri, state) for uri, _ in files]
        loaded = state.lineage.loaded
        assets = None
        if loaded is not None:
            assets = [loaded.assets_by_document(str(to_path(uri)), len(p.documents)) for uri, p in files]
        stamp = state.fingerprint
        assert stamp is not None
        keys = [_answer_key(stamp, parsed, assets[i] if assets else None) for i, (_, parsed) in enumerate(files)]
        # A file whose text, registry and loaded assets are those of its kept answers is not asked again (a
        # pass after each load would otherwise read every file's cached answers); a dbt file always is (its
        # selection is judged on the manifest the load prepared).
        todo = [i for i, ((uri, parsed), ctx) in enumerate(zip(files, ctxs)) if self._ask(uri, keys[i], parsed, ctx)]
        if not todo:
            return
        worker = state.background_worker()
        checked = [(files[i][1], ctxs[i]) for i in todo]
        asked = [assets[i] for i in todo] if assets is not None else None
        found = await asyncio.to_thread(batch_answers, worker, stamp, checked, CALL_TIMEOUT_SECONDS, asked)
        for answers in found:
            state.learn_dbt(answers.get(protocol.METHOD_DBT_SELECTION))
        for i, answers in zip(todo, found):
            uri = files[i][0]
            # Opened meanwhile: the document's own diagnostics rule. Changed or gone: publish judges it.
            if self.server.documents.get(uri) is None and state.fingerprint == stamp:
                self.answers[uri] = (keys[i], answers)
                self.publish(uri, state)

    def _ask(self, uri: str, key: tuple[str, str, str], parsed: ParsedFile, ctx: CheckContext) -> bool:
        """Whether a closed file's worker checks must run: its kept answers are of another key, or one of
        them is a failed call (it may not fail again), or it has a dbt document."""
        kept = self.answers.get(uri)
        if kept is None or kept[0] != key or any(isinstance(a, Failed) for a in kept[1].values()):
            return True
        return bool(DBT_SELECTION.request(parsed, ctx, None)["documents"])

    async def idle(self) -> None:
        """Returns once no open document's worker-backed check is pending or running."""
        while self.server.publishing.background_pending():
            await asyncio.sleep(IDLE_POLL_SECONDS)

    def closed_file(self, uri: str) -> Optional[ParsedFile]:
        """The file on disk, parsed, while it is closed and there; else None."""
        path = to_path(uri)
        if self.stopped or self.server.documents.get(uri) is not None or not path.is_file():
            return None
        return self.server.documents.parse_path(path)

    def check_one(self, uri: str, state: ProjectState) -> None:
        """The worker-backed checks of one closed file, in the background (a newer run replaces an older)."""
        if self.stopped or not self.worker_backed(state):
            return
        running = self.single.pop(uri, None)
        if running is not None:
            running.cancel()
        task = asyncio.get_running_loop().create_task(self.check_with_worker([uri], state))
        self.single[uri] = task
        task.add_done_callback(lambda done: self.single.pop(uri, None) if self.single.get(uri) is done else None)

    def publish(self, uri: str, state: ProjectState) -> None:
        """The closed file's problems as `check` gives them: the keystroke rules, the project's last
        load errors and asset policies, and the worker's answers once they are in for this text."""
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
        kept = self.answers.get(uri)
        answers = None
        if kept is not None and kept[0][:2] == (state.fingerprint, _digest(parsed.text)):
            answers = kept[1]
        problems = file_problems(parsed, ctx, str(path), loaded, answers)
        index = LineIndex(parsed.text, ls.documents.position_encoding())
        from .publishing import to_lsp

        self.emit(uri, [to_lsp(p, index) for p in problems])

    def emit(self, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        """Where a closed file's diagnostics leave: kept for `workspace/diagnostic`, and pushed until the
        client pulls them (after that it is asked to pull again, when they changed). Unchanged ones are
        not sent again."""
        changed = self.reports.get(uri) != diagnostics
        self.reports[uri] = diagnostics
        self.cleared.discard(uri)
        if self.pulled:
            if changed:
                self.server.client.refresh_diagnostics()
            return
        if not changed and uri in self.shown:
            return
        self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))
        self.shown.add(uri)

    def pulled_reports(
        self, previous: dict[str, str], open_reports: dict[str, tuple[list[types.Diagnostic], Optional[int]]]
    ) -> list[WorkspaceItem]:
        """The answer to `workspace/diagnostic`: the closed files' reports and the open documents' (VS Code
        stops pulling a document whose tab is hidden and takes the workspace's report for it from then on).
        The first one clears what was pushed: the client would show both."""
        if not self.pulled:
            self.pulled = True
            for uri in sorted(self.shown):
                self.unpush(uri)
        reports = {uri: (diagnostics, None) for uri, diagnostics in self.reports.items() if uri not in open_reports}
        items = workspace_items({**reports, **open_reports}, previous)
        for uri in self.cleared:
            self.reports.pop(uri, None)
        self.cleared.clear()
        return items

    def opened(self, uri: str) -> None:
        """An opened file's diagnostics are the open document's from now on (a pulling client's own: what
        was pushed for the file on disk is cleared, else the editor shows both)."""
        self.reports.pop(uri, None)
        self.cleared.discard(uri)
        if self.server.pull_diagnostics:
            self.unpush(uri)
        self.shown.discard(uri)
        task = self.single.pop(uri, None)
        if task is not None:
            task.cancel()

    def unpush(self, uri: str) -> None:
        if uri in self.shown:
            self.shown.discard(uri)
            self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def clear(self, uri: str) -> None:
        """The file has no workspace diagnostics any more: an empty push, or (pulled) an empty report once."""
        self.answers.pop(uri, None)
        self.unpush(uri)
        if uri in self.reports and self.pulled:
            self.reports[uri] = []
            self.cleared.add(uri)
            self.server.client.refresh_diagnostics()
        else:
            self.reports.pop(uri, None)

    def dropped(self, uri: str) -> None:
        """A closed document no pass checks (a file outside any project): its last pulled report may be of the
        open text, so once pulled it is reported empty once."""
        if self.pulled:
            self.reports[uri] = []
            self.cleared.add(uri)

    def closed(self, uri: str) -> bool:
        """A document closed: its diagnostics become those of the file on disk. False when the setting is off
        (the caller clears them) or the file is not a component file of a project with a registry."""
        state = self.server.projects.state_for(uri)
        if not self.enabled() or state.project is None or state.registry is None:
            return False
        self.shown.discard(uri)  # the open document's diagnostics are in the editor now, not these
        self.reports.pop(uri, None)
        self.publish(uri, state)
        self.check_one(uri, state)
        return True

    def files_changed(self, uris: list[str]) -> None:
        """Closed component files created, changed or deleted on disk: checked again, or cleared."""
        for uri in uris:
            if not is_component_file(uri) or self.server.documents.get(uri) is not None:
                continue
            state = self.server.projects.state_for(uri)
            if self.enabled() and state.project is not None and state.registry is not None:
                self.publish(uri, state)
                self.check_one(uri, state)
            else:
                self.clear(uri)

    def reconfigured(self) -> None:
        """The setting changed: a pass over every project (on), or every closed file cleared (off)."""
        if self.enabled():
            for state in self.server.projects.states.values():
                self.check_project(state)
            return
        for task in [*self.passes.values(), *self.single.values()]:
            task.cancel()
        self.passes.clear()
        self.single.clear()
        for uri in sorted(self.shown | set(self.reports)):
            self.clear(uri)


def _answer_key(stamp: str, parsed: ParsedFile, assets: object) -> tuple[str, str, str]:
    """What a closed file's worker answers depend on: the registry, the text, the loaded assets asked with."""
    return stamp, _digest(parsed.text), _digest(json.dumps(assets, sort_keys=True, default=str))


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
