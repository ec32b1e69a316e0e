"""Lineage scheduling: when a project's definitions load (again), in its own worker, and what is told of it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from lsprotocol import types

from ..model.loaded import Loaded
from ..project import discovery as projects
from ..project.worker_client import WorkerError, WorkerProcess
from ..worker import protocol

if TYPE_CHECKING:
    from .project_state import ProjectState
    from .wiring import Server

log = logging.getLogger(__name__)

LINEAGE_DEBOUNCE_SECONDS = 0.2
LOAD_TIMEOUT_SECONDS = 120.0
PREPARE_TIMEOUT_SECONDS = 600.0
LINEAGE_WAIT_SECONDS = 600.0


def load_failure(error: Mapping[str, Any], project: Optional[projects.Project]) -> str:
    """One load error as a sentence for window/showMessage: "Loading src/p/defs/b/defs.yaml (document 2) failed: ..."."""
    path = error.get("path")
    if path and project is not None and Path(path).is_relative_to(project.root):
        path = str(Path(path).relative_to(project.root))
    where = f" {path}" if path else " the definitions"
    document = error.get("document")
    if isinstance(document, int):
        where += f" (document {document + 1})"
    return f"Loading{where} failed: {error.get('message')}"


class LineageSchedule:
    """Each project's definitions load: debounced after saves, one at a time, interrupted by a newer want."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def want(self, state: ProjectState, only_if_missing: bool = False) -> None:
        """Load the project's definitions (again); a save during a load cancels it and loads anew."""
        lin = state.lineage
        settings = self.server.settings
        if (
            state.project is None
            or state.python is None
            or not settings.trusted
            or not settings.lineage_enabled
            or state.unset_environment is not None
        ):
            return
        if only_if_missing and (lin.loaded is not None or lin.wanted):
            return
        if lin.loaded is None and not lin.wanted:  # a server start: the last graph at once, stale
            from ..project.registry import stored_lineage

            stored = stored_lineage(state.project.root)
            if isinstance(stored, dict):
                lin.loaded, lin.from_disk = Loaded.from_result(stored), True
        lin.wanted += 1  # stale from now on; the load starts once a burst of saves is over
        if lin.timer is not None:
            lin.timer.cancel()
        lin.timer = asyncio.get_running_loop().call_later(
            0 if only_if_missing else LINEAGE_DEBOUNCE_SECONDS, self.start, state
        )

    def start(self, state: ProjectState) -> None:
        lin = state.lineage
        lin.timer = None
        if lin.task is None or lin.task.done():
            lin.task = asyncio.get_running_loop().create_task(self.run(state))
        elif lin.running and lin.worker is not None:
            lin.worker.interrupt()  # the running load answers {"cancelled": true}; run loads again

    async def run(self, state: ProjectState) -> None:
        lin = state.lineage
        ls = self.server
        while lin.done < lin.wanted:
            generation = lin.running = lin.wanted
            ls.client.status(state, "lineage", "loading", "Loading definitions")
            try:
                result = await asyncio.to_thread(self._load_definitions, state, False)
                if result.get("needs_prepare"):
                    result = await self._prepare_and_load(state, result["needs_prepare"])
            except WorkerError as exc:
                lin.done, lin.error = generation, f"Could not load the definitions: {exc.message}"
                log.warning("%s\n%s", lin.error, exc.traceback or exc.stderr_tail)
                ls.client.status(state, "lineage", "error", lin.error)
                self.tell_failures(state, [lin.error])
                continue
            finally:
                lin.running = 0
            if result.get("cancelled"):
                continue
            lin.loaded, lin.error, lin.from_disk = Loaded.from_result(result), None, False
            lin.done = max(lin.done, generation)
            if state.project is not None:
                from ..project.registry import store_lineage

                await asyncio.to_thread(store_lineage, state.project.root, result)
            for uri in ls.projects.open_uris(state):  # platform policies that ask for assets run again, with them
                # A run for this version (done, or started with the old assets) must not stand in for
                # the new one: schedule_background skips a version that has a task.
                ls.publishing.forget_background(uri, cancel=True)
            for error in lin.loaded.errors:
                log.info("load error in %s: %s\n%s", error.get("path"), error.get("message"), error.get("traceback"))
            self.tell_failures(state, [load_failure(error, state.project) for error in lin.loaded.errors])
            errors = len(lin.loaded.errors)
            produced = sum(1 for a in lin.loaded.assets.values() if a.get("materializable", True))
            ls.client.status(
                state,
                "lineage",
                "error" if errors else "ready",
                f"{produced} assets" + (f", {errors} load error{'s' if errors != 1 else ''}" if errors else ""),
            )
            ls.publishing.publish_all(state)
            ls.client.refresh_code_lenses()

    def tell_failures(self, state: ProjectState, failures: list[str]) -> None:
        """window/showMessage for each failure the last load did not have already: editors without
        our status see them too, once each (a failure that goes away and comes back is told again)."""
        for failure in dict.fromkeys(failures):
            if failure not in state.lineage.shown:
                self.server.client.show_message(types.MessageType.Error, failure)
        state.lineage.shown = frozenset(failures)

    async def _prepare_and_load(self, state: ProjectState, needed: list[dict]) -> dict:
        """Stored state (dbt's manifest) is missing or older than its project: prepare it, with progress."""
        what = ", ".join(f"{n.get('key')} ({n.get('reason')})" for n in needed)
        message = f"Preparing {what}"
        client = self.server.client
        client.status(state, "lineage", "loading", message)
        progress = await client.begin_progress("Dagster definitions", message)
        try:
            return await asyncio.to_thread(self._load_definitions, state, True)
        finally:
            client.end_progress(progress, "Definitions loaded")

    def _load_definitions(self, state: ProjectState, prepare: bool) -> dict:
        lin = state.lineage
        assert state.python is not None and state.project is not None
        if lin.worker is None:
            lin.worker = WorkerProcess(state.python, state.project.root)
        from ..project.definitions import load_params

        timeout = PREPARE_TIMEOUT_SECONDS if prepare else LOAD_TIMEOUT_SECONDS
        return lin.worker.call(
            protocol.METHOD_LOAD, load_params(str(state.project.root), prepare, timeout), timeout=timeout
        )

    def renew_worker(self, state: ProjectState, installed: Optional[str]) -> None:
        """A new interpreter or installed packages: the lineage worker's imports are outdated. The
        first stamp of a session only records what the (possibly already running) worker has."""
        if installed is None:
            return
        if state.installed is not None and installed != state.installed and state.lineage.worker is not None:
            worker, state.lineage.worker = state.lineage.worker, None
            asyncio.get_running_loop().run_in_executor(None, worker.close)  # never block the editor on it
            self.want(state)
        state.installed = installed

    def why_none(self, state: ProjectState) -> str:
        """Why the project has no lineage to show: no project, untrusted, turned off, no environment, an error."""
        from ..features.asset_answers import why_no_lineage

        settings = self.server.settings
        return why_no_lineage(
            state.project is not None, settings.trusted, settings.lineage_enabled, state.unset_environment, state.error
        )

    async def loaded_for(self, uri: str, wait: bool) -> tuple[ProjectState, Optional[Loaded]]:
        """The last good load of the document's project (first starting one; waiting for it with `wait`)."""
        state = self.server.projects.state_for(uri)
        if state.loading is not None:
            await state.loading
        lin = state.lineage
        if lin.loaded is None:
            self.want(state, only_if_missing=True)
            if lin.timer is not None:  # someone is waiting: start now
                lin.timer.cancel()
                self.start(state)
            if wait and lin.task is not None:
                await asyncio.wait([lin.task], timeout=LINEAGE_WAIT_SECONDS)
        return state, lin.loaded
