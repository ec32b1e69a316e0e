"""Templates rendered by the worker for open documents: one `render` call per document version, kept in memory."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from ..checks.background import CALL_TIMEOUT_SECONDS
from ..features.rendering import render_request
from ..project.worker_client import WorkerError
from ..worker import protocol
from .documents import Snapshot

if TYPE_CHECKING:
    from .wiring import Server

UNTRUSTED = "The workspace is not trusted: templates are rendered only in trusted workspaces"
Key = tuple[Optional[int], Optional[str], bool]
"""(document version, registry fingerprint, environment values shown): a new one renders again."""


@dataclass
class Rendered:
    """A document version's answer (or why there is none)."""

    snapshot: Snapshot
    answer: dict[str, Any]
    error: Optional[str] = None


@dataclass
class Rendering:
    """Each open document's last render answer, and the call in flight for its newest version.

    Nothing rendered is written to disk (unlike validation answers): rendered values may hold secrets."""

    server: Server
    answers: dict[str, tuple[Key, Rendered]] = field(default_factory=dict)
    pending: dict[str, tuple[Key, asyncio.Task]] = field(default_factory=dict)

    def refusal(self, uri: str) -> Optional[str]:
        """Why nothing may be rendered for this document (untrusted, no environment), if so."""
        if not self.server.settings.trusted:
            return UNTRUSTED
        state = self.server.projects.state_for(uri)
        if state.unset_environment is not None:
            return state.unset_environment
        if state.python is None or state.registry is None:
            return state.error or "The project's component types are not known yet"
        return None

    async def rendered(self, uri: str) -> Optional[Rendered]:
        """The answer for the document as it is now: cached, the call in flight, or a new call."""
        snap = await self.server.ready_snapshot(uri)
        if snap is None:
            return None
        refusal = self.refusal(uri)
        if refusal is not None:
            return Rendered(snap, {}, refusal)
        key = self._key(uri)
        found = self.answers.get(uri)
        if found is not None and found[0] == key:
            return found[1]
        running = self.pending.get(uri)
        if running is None or running[0] != key:
            running = (key, asyncio.ensure_future(self._render(uri, key, snap)))
            self.pending[uri] = running
        return await asyncio.shield(running[1])

    def forget(self, uri: str) -> None:
        self.answers.pop(uri, None)
        self.pending.pop(uri, None)

    def _key(self, uri: str) -> Key:
        state = self.server.projects.state_for(uri)
        return (self.server.documents.version(uri), state.fingerprint, self.server.settings.inlay_hints_show_env_values)

    async def _render(self, uri: str, key: Key, snap: Snapshot) -> Rendered:
        request = render_request(snap.parsed, snap.ctx, key[2])
        answer: dict[str, Any] = {"results": []}
        error = None
        if request["documents"]:
            worker = self.server.projects.state_for(uri).background_worker()
            try:
                answer = await asyncio.to_thread(worker.call, protocol.METHOD_RENDER, request, CALL_TIMEOUT_SECONDS)
            except WorkerError as exc:
                error = exc.message
        rendered = Rendered(snap, answer, error)
        if self.pending.get(uri, (None,))[0] == key:
            # A failed call is kept too: the next version (or registry) asks again, not every request.
            self.pending.pop(uri, None)
            self.answers[uri] = (key, rendered)
        return rendered


def resolved_answer(rendered: Optional[Rendered], document: Optional[int]) -> dict[str, Any]:
    """The `dagster/resolved` result: the rendered text, or no text and why at the file's start."""
    from ..features.resolved_view import resolved_view

    if rendered is None or rendered.error is not None:
        why = rendered.error if rendered is not None else "Not an open component file"
        start = {"line": 0, "character": 0}
        return {"text": "", "errors": [{"message": why, "range": {"start": start, "end": start}}]}
    snap = rendered.snapshot
    return resolved_view(snap.parsed, snap.index, rendered.answer, document)
