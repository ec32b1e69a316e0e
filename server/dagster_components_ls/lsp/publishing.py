"""Open documents' diagnostics: computed once for push and pull, pushed debounced per document or pulled by
the client, with worker-backed problems merged in for their version."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Optional

from lsprotocol import types

from ..checks.pipeline import file_problems
from ..features.diagnostic_reports import DocumentReport, document_report
from ..features.lsp_ranges import lsp_range
from ..model.positions import LineIndex
from ..model.problems import Problem
from ..model.uris import to_path
from ..worker import protocol
from .documents import is_component_file, is_pyproject

if TYPE_CHECKING:
    from ..checks.background import Answers
    from .project_state import ProjectState
    from .wiring import Server

DEBOUNCE_SECONDS = 0.01
BACKGROUND_DEBOUNCE_SECONDS = 0.3

SEVERITIES = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


def to_lsp(problem: Problem, index: LineIndex) -> types.Diagnostic:
    return types.Diagnostic(
        range=lsp_range(index, problem.span),
        message=problem.message,
        severity=SEVERITIES[problem.severity],
        code=problem.code,
        source="dagster",
        data=problem.data,
    )


class Publishing:
    """When each open document's diagnostics are computed and sent, and the background checks behind them."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.background: dict[str, tuple[int, Answers]] = {}
        """Worker answers (own validation, platform policies) per document, for the version they were computed on."""
        self.background_tasks: dict[str, tuple[int, asyncio.Task]] = {}
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.dbt: dict[str, dict] = {}
        """The last `dbt_selection` answer per open document, whatever its version: hover and completion
        read the manifest's vocabulary and what was selected from it while a newer answer is computed."""

    def schedule(self, uri: str) -> None:
        """Publish diagnostics shortly after the last change (typing bursts collapse into one run). A client
        that pulls asks by itself after each change: nothing is scheduled for it."""
        if self.server.pull_diagnostics or (not is_component_file(uri) and not is_pyproject(uri)):
            return
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        self.pending[uri] = asyncio.get_running_loop().call_later(DEBOUNCE_SECONDS, self.publish, uri)

    def changed(self, uri: str) -> None:
        """The document's diagnostics changed without an edit (worker answers arrived): pushed again, or
        the pulling client asked to pull again."""
        if self.server.pull_diagnostics:
            self.server.client.refresh_diagnostics()
        else:
            self.schedule(uri)

    def publish_all(self, state: ProjectState) -> None:
        """Every open document of the project again (pushed, or pulled after a refresh request), then (in
        the background) its closed files."""
        if self.server.pull_diagnostics:
            self.server.client.refresh_diagnostics()
        else:
            for uri in self.server.projects.open_uris(state):
                self.schedule(uri)
        self.server.workspace_checks.check_project(state)

    def publish(self, uri: str) -> None:
        self.pending.pop(uri, None)
        found = self.diagnostics(uri)
        if found is not None:
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=found[0], version=found[1])
            )

    def report(self, uri: str, previous: Optional[str]) -> DocumentReport:
        """The answer to `textDocument/diagnostic`: what `publish` would send, or unchanged."""
        diagnostics, version = self.diagnostics(uri) or ([], None)
        return document_report(diagnostics, version, previous)

    def open_reports(self) -> dict[str, tuple[list[types.Diagnostic], Optional[int]]]:
        """Every open document's diagnostics and version, for `workspace/diagnostic`."""
        found = {uri: self.diagnostics(uri) for uri in list(self.server.workspace.text_documents)}
        return {uri: report for uri, report in found.items() if report is not None}

    def diagnostics(self, uri: str) -> Optional[tuple[list[types.Diagnostic], Optional[int]]]:
        """An open document's diagnostics and the version they are for (None when it is not open), pushed
        or pulled alike; the worker-backed checks are started when this version has no answers yet."""
        ls = self.server
        if ls.documents.get(uri) is None or not (is_component_file(uri) or is_pyproject(uri)):
            return None  # a client pulls every document it syncs, dbt's schema.yml too
        if is_pyproject(uri):
            return self.policy_config_diagnostics(uri)
        text, parsed, index = ls.documents.parse(uri)
        state = ls.projects.state_for(uri)
        ctx = ls.projects.context_for(uri, state)
        version = ls.documents.version(uri)
        background = self.background.get(uri)
        answers = background[1] if background is not None and background[0] == version else None
        # An earlier session's load errors are not reported as today's.
        loaded = state.lineage.loaded if not state.lineage.from_disk else None
        problems = file_problems(
            parsed, ctx, str(to_path(uri)), loaded, answers, state.error if state.registry is None else None
        )
        if answers is None and state.registry is not None and ls.settings.trusted:
            self.schedule_background(uri, version or 0)
        return [to_lsp(p, index) for p in problems], version

    def policy_config_diagnostics(self, uri: str) -> tuple[list[types.Diagnostic], Optional[int]]:
        """Mistakes in `[tool.dagster-components-ls.policies]` of an open pyproject.toml, as it is typed."""
        from ..checks.policies.config import parse_policy_config

        doc = self.server.workspace.get_text_document(uri)
        problems = parse_policy_config(doc.source)[1]
        index = LineIndex(doc.source, self.server.documents.position_encoding())
        return [to_lsp(p, index) for p in problems], doc.version

    def schedule_background(self, uri: str, version: int) -> None:
        """Run the worker-backed checks for this version after a pause in typing; newer edits cancel older runs."""
        running = self.background_tasks.get(uri)
        if running is not None:
            if running[0] == version:
                return
            running[1].cancel()
        task = asyncio.get_running_loop().create_task(self.run_background(uri, version))
        self.background_tasks[uri] = (version, task)

    async def run_background(self, uri: str, version: int) -> None:
        await asyncio.sleep(BACKGROUND_DEBOUNCE_SECONDS)
        ls = self.server
        snap = ls.snapshot(uri)
        state = ls.projects.state_for(uri)
        if snap is None or state.registry is None or state.python is None or state.fingerprint is None:
            return
        from ..checks.background import BACKGROUND_CHECKS, ask_worker

        worker = state.background_worker()
        loaded, assets = state.lineage.loaded, None
        if loaded is not None:
            path = str(to_path(uri))
            assets = loaded.assets_by_document(path, len(snap.parsed.documents))
        count = len(snap.parsed.documents)
        answers = await ls.client.with_slow_progress(
            "Dagster validation",
            f"Validating {count} document{'s' * (count != 1)} of {to_path(uri).name}",
            asyncio.to_thread(ask_worker, worker, state.fingerprint, snap.parsed, snap.ctx, BACKGROUND_CHECKS, assets),
        )
        current = ls.documents.get(uri)
        if current is None or current.version != version:
            return  # an outdated version's results are dropped
        self.background[uri] = (version, answers)
        dbt = answers.get(protocol.METHOD_DBT_SELECTION)
        if isinstance(dbt, dict):
            self.dbt[uri] = dbt
            state.learn_dbt(dbt)
        self.changed(uri)

    def dbt_answer(self, uri: str) -> Optional[dict]:
        return self.dbt.get(uri)

    def background_pending(self) -> bool:
        """Whether an open document's worker-backed check is waiting or running (closed files wait)."""
        return any(not task.done() for _, task in self.background_tasks.values())

    def forget_background(self, uri: str, cancel: bool = False) -> None:
        """Drop the worker-backed problems of a document (and, with `cancel`, the run computing them)."""
        self.background.pop(uri, None)
        task = self.background_tasks.pop(uri, None)
        if cancel and task is not None:
            task[1].cancel()

    def close(self, uri: str) -> None:
        """A closed document: nothing pending for it, and its diagnostics those of the file on disk
        (workspace diagnostics), else cleared in the editor."""
        self.forget_background(uri, cancel=True)
        self.dbt.pop(uri, None)
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        if is_component_file(uri) and self.server.workspace_checks.closed(uri):
            return
        if self.server.pull_diagnostics:
            self.server.workspace_checks.dropped(uri)
        else:
            self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
