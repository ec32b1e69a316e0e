"""The LanguageServer: documents, per-project registries, and every @server.feature (each a few lines)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from .. import __version__
from ..project import discovery as projects
from ..project.bundled import bundled_registry, setup_hint
from ..cli.check import context_for, referenced_types
from ..features.completion import complete
from ..features.components import component_list
from ..features.definition import definition, document_links
from ..checks.diagnostics import CheckContext, Problem, diagnose, resolve_type
from ..model.documents import ParsedFile, parse_file
from ..project.files import read_text
from ..features.hover import hover
from ..checks.load_problems import Loaded
from ..features.lineage import LineageState, asset_at, asset_completions, asset_hover, lens_title, lineage_view
from ..features.lsp_ranges import lsp_range
from ..model.positions import LineIndex, Span
from ..project.registry import Registry, fingerprint, load_registry, prune_cache
from .rpc import ComponentsProtocol, serve_stdio
from .settings import Settings
from ..features.symbols import document_symbols, workspace_symbols
from ..model.uris import canonical, from_path, to_path
from ..worker import protocol
from ..project.worker_client import WorkerError, WorkerProcess

if TYPE_CHECKING:
    from ..checks.policies import PolicyConfig

log = logging.getLogger(__name__)
T = TypeVar("T")

# Modules used only after start-up (background checks, quick fixes, scaffolding, policy config) are
# imported where they are used: the server answers its first completion ~0.1 s sooner.

COMPONENT_FILE_NAMES = frozenset({"defs.yaml", "defs.yml", "component.yaml", "component.yml"})
DEBOUNCE_SECONDS = 0.01
BACKGROUND_DEBOUNCE_SECONDS = 0.3
SLOW_WORK_SECONDS = 2.0
"""Worker work that runs longer than this is reported with `$/progress`."""
REFRESH_POLL_SECONDS = 2.0
REGISTRY_TIMEOUT_SECONDS = 180.0
REQUEST_WAIT_SECONDS = 3.0
LINEAGE_DEBOUNCE_SECONDS = 0.2
LOAD_TIMEOUT_SECONDS = 120.0
PREPARE_TIMEOUT_SECONDS = 600.0
LINEAGE_WAIT_SECONDS = 600.0
SCAFFOLD_TIMEOUT_SECONDS = 60.0
APPLY_EDIT_TIMEOUT_SECONDS = 30.0
STATUS_NOTIFICATION = "dagster/status"
COMPONENTS_REQUEST = "dagster/components"
LINEAGE_REQUEST = "dagster/lineage"
DEBUG_REQUEST = "dagster/debug"
SHOW_LINEAGE_COMMAND = "dagster.showLineage"
# Saves here never change what loads (or are written by the load itself: dbt's target/, the stored state).
WATCHED_GLOBS = ("**/*.py", "**/*.sql", "**/*.yml", "**/*.yaml", "**/*.csv", "**/pyproject.toml", "**/dg.toml")
LINEAGE_IGNORED_DIRS = frozenset({"target", "logs", "dbt_packages", "node_modules", "__pycache__", ".venv"})
REFRESH_COMMAND = "dagster.refreshRegistry"
SCAFFOLD_COMMAND = "dagster.scaffold"

SEVERITIES = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


@dataclass(frozen=True)
class Snapshot:
    """One version of an open component file, with what every feature needs to answer about it."""

    text: str
    parsed: ParsedFile
    index: LineIndex
    ctx: CheckContext

    def offset(self, position: types.Position) -> int:
        return self.index.offset_at(position)


@dataclass(eq=False)
class ProjectState:
    """One dg project (or the files outside any project) and its registry snapshot."""

    project: Optional[projects.Project]
    python: Optional[Path] = None
    registry: Optional[Registry] = None
    fingerprint: Optional[str] = None
    error: Optional[str] = None
    loading: Optional[asyncio.Task] = None
    contexts: dict[tuple[str, Optional[str]], CheckContext] = field(default_factory=dict)
    extra_types: frozenset[str] = frozenset()
    """Typenames open documents use that the project scan does not see (lone files, re-exports)."""
    policies: Optional[PolicyConfig] = None
    worker: Optional[WorkerProcess] = None
    """A long-lived worker for background checks; replaced whenever the registry is rebuilt."""
    lineage: LineageState = field(default_factory=LineageState)
    installed: Optional[str] = None
    """The interpreter and installed packages the lineage worker imported (see registry.installed_stamp)."""
    attempted: Optional[str] = None
    """The fingerprint of the last registry build; the poll does not retry one that failed."""
    building: asyncio.Event = field(default_factory=asyncio.Event)
    """Set while a worker builds the registry (the cache could not answer): requests stop waiting for it."""
    bypass_cache: bool = False
    """The next registry read asks the worker whatever the cache holds (Reload Component Types)."""
    unset_environment: Optional[str] = None
    """Why the project's environment cannot run the worker (no Dagster, no interpreter), while
    `registry` is the bundled snapshot: no worker-backed check, type lookup or load is attempted."""

    def background_worker(self) -> WorkerProcess:
        if self.worker is None:
            assert self.python is not None
            self.worker = WorkerProcess(self.python, self.project.root if self.project else Path.cwd())
        return self.worker

    @property
    def root_uri(self) -> Optional[str]:
        return from_path(self.project.root) if self.project else None


class ComponentsLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("dagster-components-ls", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=ComponentsProtocol)
        self.settings = Settings()
        self.python_override: Optional[str] = None
        self.states: dict[Optional[Path], ProjectState] = {}
        self.parsed: dict[str, tuple[int, ParsedFile, LineIndex]] = {}
        self.owners: dict[str, Optional[projects.Project]] = {}
        self.disk_files: dict[Path, tuple[tuple[int, int], ParsedFile]] = {}
        self.background: dict[str, tuple[int, list[Problem]]] = {}
        """Worker-backed problems (own validation, platform policies) per document, for the version they were computed on."""
        self.background_tasks: dict[str, tuple[int, asyncio.Task]] = {}
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.poller: Optional[asyncio.Task] = None

    # --- documents ---

    def parse(self, uri: str) -> tuple[str, ParsedFile, LineIndex]:
        """The open document's parse and line index, cached by version (only changed YAML documents re-parse)."""
        doc = self.workspace.get_text_document(uri)
        cached = self.parsed.get(uri)
        if cached is None or cached[0] != doc.version:
            encoding = self.position_encoding()
            cached = (doc.version or 0, parse_file(doc.source), LineIndex(doc.source, encoding))
            self.parsed[uri] = cached
        return doc.source, cached[1], cached[2]

    async def ready_snapshot(self, uri: str) -> Optional[Snapshot]:
        """A snapshot for answering a request: right after start-up, wait briefly for the registry
        (a warm cache takes ~0.1 s) rather than answer without the component types."""
        snap = self.snapshot(uri)
        if snap is not None and snap.ctx.registry is None:
            state = self.state_for(uri)
            if state.loading is not None and not state.building.is_set():
                # Only while the cache may answer: a worker's build takes seconds to minutes (a module
                # that hangs), and every request would wait in vain; they answer from what is known.
                building = asyncio.ensure_future(state.building.wait())
                await asyncio.wait([state.loading, building], timeout=REQUEST_WAIT_SECONDS,
                                   return_when=asyncio.FIRST_COMPLETED)
                building.cancel()
                snap = self.snapshot(uri)
        return snap

    def warm_up(self) -> None:
        """Start reading the registries of the workspace's projects before any document opens."""
        for folder in self.workspace.folders.values():
            for project in projects.find_projects(to_path(folder.uri)):
                state = self.states.setdefault(project.root, ProjectState(project))
                if state.registry is None and state.loading is None:
                    state.loading = asyncio.get_running_loop().create_task(self.load(state))

    def open_document(self, uri: str) -> Optional[TextDocument]:
        """The open document at `uri`, or None (pygls files documents under their unescaped URI)."""
        return self.workspace.text_documents.get(unquote(uri))

    def snapshot(self, uri: str) -> Optional[Snapshot]:
        """What the features answer from; None for files that are not component files."""
        if not is_component_file(uri) or self.open_document(uri) is None:
            return None
        text, parsed, index = self.parse(uri)
        return Snapshot(text, parsed, index, self.context_for(uri, self.state_for(uri)))

    def schedule(self, uri: str) -> None:
        """Publish diagnostics shortly after the last change (typing bursts collapse into one run)."""
        if not is_component_file(uri) and not is_pyproject(uri):
            return
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        self.pending[uri] = asyncio.get_running_loop().call_later(DEBOUNCE_SECONDS, self.publish, uri)

    def publish(self, uri: str) -> None:
        self.pending.pop(uri, None)
        if self.open_document(uri) is None:
            return
        if is_pyproject(uri):
            self.publish_policy_config(uri)
            return
        text, parsed, index = self.parse(uri)
        state = self.state_for(uri)
        ctx = self.context_for(uri, state)
        problems = diagnose(parsed, ctx)
        if state.error is not None and state.registry is None:
            first_line = Span(0, len(text.split("\n", 1)[0]))
            problems.append(Problem(first_line, "worker-error", state.error, severity="warning"))
        problems += self.loaded_problems(uri, parsed, state)
        version = self.workspace.get_text_document(uri).version
        background = self.background.get(uri)
        if background is not None and background[0] == version:
            from ..checks.background import merged

            problems = merged(problems, background[1])
        elif state.registry is not None and self.settings.trusted:
            self.schedule_background(uri, version or 0)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[to_lsp(p, index) for p in problems], version=version)
        )

    def loaded_problems(self, uri: str, parsed: ParsedFile, state: ProjectState) -> list[Problem]:
        """Load errors and asset-level policies from the project's last good load (diagnostics of a save)."""
        loaded = state.lineage.loaded
        if loaded is None or state.lineage.from_disk:  # an earlier session's errors are not reported as today's
            return []
        from ..checks.diagnostics import without_suppressed
        from ..checks.load_problems import load_problems, policy_problems

        path = str(to_path(uri))
        found = load_problems(loaded, path, parsed)
        if state.policies is not None:
            found += policy_problems(loaded, path, parsed, state.policies)
        return without_suppressed(parsed.text, found)

    def publish_policy_config(self, uri: str) -> None:
        """Mistakes in `[tool.dagster-components-ls.policies]` of an open pyproject.toml, as it is typed."""
        from ..checks.policies import parse_policy_config

        doc = self.workspace.get_text_document(uri)
        problems = parse_policy_config(doc.source)[1]
        index = LineIndex(doc.source, self.position_encoding())
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=[to_lsp(p, index) for p in problems], version=doc.version))

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
        snap = self.snapshot(uri)
        state = self.state_for(uri)
        if snap is None or state.registry is None or state.python is None or state.fingerprint is None:
            return
        from ..checks.background import BACKGROUND_CHECKS, run_background_checks

        worker = state.background_worker()
        loaded, assets = state.lineage.loaded, None
        if loaded is not None:
            path = str(to_path(uri))
            assets = loaded.assets_by_document(path, len(snap.parsed.documents))
        count = len(snap.parsed.documents)
        problems = await self.with_slow_progress(
            "Dagster validation", f"Validating {count} document{'s' * (count != 1)} of {to_path(uri).name}",
            asyncio.to_thread(run_background_checks, worker, state.fingerprint, snap.text, snap.parsed, snap.ctx,
                              BACKGROUND_CHECKS, assets))
        current = self.open_document(uri)
        if current is None or current.version != version:
            return  # an outdated version's results are dropped
        self.background[uri] = (version, problems)
        self.schedule(uri)

    def publish_all(self, state: ProjectState) -> None:
        for uri in self.open_uris(state):
            self.schedule(uri)

    # --- projects and registries ---

    def state_for(self, uri: str) -> ProjectState:
        """The project state of a document; which project owns it is cached (no disk walk per keystroke)."""
        if uri in self.owners:
            owner = self.owners[uri]
        else:
            path = to_path(uri)
            try:
                owner = projects.find_project(path)
            except projects.ProjectConfigError as exc:
                state = self.states.setdefault(path.parent, ProjectState(None))
                state.error = str(exc)
                return state
            self.owners[uri] = owner
        key = owner.root if owner else None
        state = self.states.get(key)
        if state is None:
            state = self.states[key] = ProjectState(owner)
        if state.registry is None and state.loading is None and state.error is None:
            state.loading = asyncio.get_running_loop().create_task(self.load(state))
        return state

    def context_for(self, uri: str, state: ProjectState) -> CheckContext:
        path = to_path(uri)
        ctx = context_for(path, state.project, state.registry, state.policies)
        key = (str(path), ctx.folder_module)
        cached = state.contexts.get(key)
        if cached is None or cached.registry is not state.registry or cached.policies is not state.policies:
            state.contexts[key] = cached = ctx
        return cached

    async def load(self, state: ProjectState, reason: str = "") -> None:
        """Build (or read from cache) the registry in the background, then check open documents again."""
        root = state.project.root if state.project else None
        self.status(state, "registry", "loading", reason or "Reading component types")
        progress = await self.begin_progress("Dagster components", reason or "Reading component types")
        try:
            state.python = projects.resolve_interpreter(self.settings.python or self.python_override, root)
            loop = asyncio.get_running_loop()
            registry, stamp, installed = await asyncio.to_thread(
                self._read_registry, state, lambda: loop.call_soon_threadsafe(state.building.set))
        except Exception as exc:  # WorkerError, InterpreterNotFound, OSError; anything else is a bug of ours,
            # which must not leave the project `loading` and read again on every request either
            reason = str(exc)
            if not isinstance(exc, (WorkerError, projects.InterpreterNotFound, OSError)):
                log.exception("reading the component types failed")
                reason = f"{type(exc).__name__}: {exc}"
            bundled = bundled_registry() if self.settings.trusted and _environment_missing(exc) else None
            if bundled is not None:  # features from Dagster's own types until the environment is set up
                state.registry, state.fingerprint, state.error, state.unset_environment = bundled, None, None, reason
                state.contexts.clear()
                configured = bool(self.settings.python or self.python_override)
                message = f"{bundled.approximate} ({reason}){setup_hint(root, configured)}"
                self.status(state, "registry", "ready", message)
                self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=message))
            else:
                if state.unset_environment is not None:  # another failure now: the label would not hold
                    state.registry, state.unset_environment = None, None
                state.error = f"Could not read the component types: {reason}"
                self.status(state, "registry", "error" if self.settings.trusted else "untrusted", state.error)
                self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=state.error))
        else:
            state.registry, state.fingerprint, state.error, state.unset_environment = registry, stamp, None, None
            from ..checks.policies import load_policy_config, policy_config_path

            state.policies = load_policy_config(policy_config_path(state.project))[0]
            state.contexts.clear()
            if state.worker is not None:  # its imports are from before the change
                state.worker.close()
                state.worker = None
            for uri in self.open_uris(state):
                self.background.pop(uri, None)
                self.background_tasks.pop(uri, None)
            if self.settings.trusted:
                self.status(state, "registry", "ready", f"{len(registry.types)} component types "
                            f"(Dagster {registry.dagster_version or 'unknown'}){_failed_modules(registry)}")
            else:
                self.status(state, "registry", "untrusted",
                            f"{len(registry.types)} component types from the cache; the workspace is not trusted, so no project code runs")
            self.renew_lineage_worker(state, installed)
        finally:
            state.loading = None
            state.building.clear()
            self.end_progress(progress, state.error or "Component types ready")
        self.publish_all(state)
        if state.registry is not None and state.unset_environment is None:
            for uri in self.open_uris(state):
                self.learn_types(uri)
            if self.open_uris(state):
                self.want_lineage(state, only_if_missing=True)

    def open_uris(self, state: ProjectState) -> list[str]:
        uris = [doc.uri for doc in list(self.workspace.text_documents.values())]
        return [uri for uri in uris if is_component_file(uri) and self.state_for(uri) is state]

    async def begin_progress(self, title: str, message: str) -> Optional[str]:
        """Standard `$/progress` for slow work, when the client supports it (every editor shows it)."""
        window = self.client_capabilities.window
        if window is None or not window.work_done_progress:
            return None
        token = f"dagster-components-{uuid.uuid4().hex}"
        try:
            await asyncio.wait_for(self.work_done_progress.create_async(token), 5)
        except Exception:  # a client that refuses or never answers gets no progress, nothing else
            return None
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, message=message))
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
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))

    def _read_registry(self, state: ProjectState, on_build: Callable[[], None]) -> tuple[Registry, Optional[str], Optional[str]]:
        """The registry, the fingerprint it answers to and the installed packages' stamp (both None
        when untrusted: nothing is polled, no worker runs)."""
        from ..project.registry import installed_stamp

        assert state.python is not None
        if not self.settings.trusted:  # no user code runs, not even the interpreter: a cached registry or nothing
            registry = load_registry(state.python, state.project, extra_types=state.extra_types, cache_only=True)
            prune_cache()  # after the read: the entry in use was marked used, so it stays
            return registry, None, None
        stamp = state.attempted = fingerprint(state.python, state.project)
        installed = installed_stamp(state.python)
        worker = WorkerProcess(state.python, state.project.root if state.project else Path.cwd())
        try:
            use_cache, state.bypass_cache = not state.bypass_cache, False
            registry = load_registry(state.python, state.project, worker=worker, timeout=REGISTRY_TIMEOUT_SECONDS,
                                     extra_types=state.extra_types, stamp=stamp, on_build=on_build,
                                     use_cache=use_cache)
            prune_cache()  # at start-up and after each rebuild, once the entry in use was marked used
            return registry, stamp, installed
        finally:
            worker.close()

    def learn_types(self, uri: str) -> None:
        """Ask the worker about typenames this document uses that the registry does not know yet."""
        state = self.state_for(uri)
        if state.registry is None or state.unset_environment is not None:  # no worker to ask
            return
        _, parsed, _ = self.parse(uri)
        unknown = {t for t in referenced_types([parsed]) if state.registry.lookup(t) is None} - state.extra_types
        if unknown:
            state.extra_types = state.extra_types | unknown
            self.refresh(state, "Reading newly referenced component types")

    def refresh(self, state: ProjectState, reason: str) -> None:
        if state.loading is None:
            state.error = None
            state.loading = asyncio.get_running_loop().create_task(self.load(state, reason))

    async def poll_for_changes(self) -> None:
        """Rebuild a registry when its fingerprint changes (component code saved, packages installed)."""
        while True:
            await asyncio.sleep(REFRESH_POLL_SECONDS)
            for state in list(self.states.values()):
                if state.loading is not None or state.python is None or (state.fingerprint or state.attempted) is None:
                    continue
                try:
                    stamp = await asyncio.to_thread(fingerprint, state.python, state.project)
                except OSError:
                    continue
                if stamp != state.fingerprint and stamp != state.attempted:  # a failed build waits for a change
                    self.refresh(state, "Component code or installed packages changed")

    def used_types(self, snap: Snapshot) -> list[str]:
        """The typenames the project's other component files use (for ranking scaffold actions)."""
        if snap.ctx.project_root is None:
            return []
        return referenced_types(self.parse_path(path) for path in projects.component_files(Path(snap.ctx.project_root)))

    def workspace_files(self) -> tuple[list[tuple[Path, ParsedFile]], list[Path]]:
        """Every component file under the workspace folders (open ones as edited), and the defs folders."""
        folders = [to_path(f.uri) for f in self.workspace.folders.values()]
        folders += [state.project.root for state in self.states.values() if state.project]
        files: dict[Path, ParsedFile] = {}
        roots: list[Path] = []
        for folder in dict.fromkeys(folders):
            for project in projects.find_projects(folder):
                if project.defs_dir is not None:
                    roots.append(project.defs_dir)
            for path in projects.component_files(folder):
                files.setdefault(path, self.parse_path(path))
        return sorted(files.items()), roots

    def parse_path(self, path: Path) -> ParsedFile:
        """An open document's current text, else the file on disk (cached by modification time)."""
        uri = from_path(path)
        if self.open_document(uri) is not None:
            return self.parse(uri)[1]
        try:
            stat = path.stat()
            key = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            return parse_file("")
        cached = self.disk_files.get(path)
        if cached is None or cached[0] != key:
            try:  # only a regular file: a FIFO named defs.yaml would block the event loop forever
                text = read_text(path)
            except OSError:
                text = ""
            cached = (key, parse_file(text))
            self.disk_files[path] = cached
        return cached[1]

    async def watch_files(self) -> None:
        """Ask the client to report saved sources (component code, dbt models), where it can: the
        registry and the lineage follow files the editor does not send us."""
        workspace = self.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace is not None else None
        if watched is None or not watched.dynamic_registration:
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(watchers=[
            types.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED_GLOBS])
        try:
            await asyncio.wait_for(self.client_register_capability_async(types.RegistrationParams(registrations=[
                types.Registration(id="dagster-components-watch", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                   register_options=options)])), 5)
        except Exception as exc:  # a client that refuses keeps the 2 s fingerprint poll and didSave
            log.info("file watching not registered: %s", exc)

    # --- lineage ---

    def want_lineage(self, state: ProjectState, only_if_missing: bool = False) -> None:
        """Load the project's definitions (again); a save during a load cancels it and loads anew."""
        lin = state.lineage
        if (state.project is None or state.python is None or not self.settings.trusted or not self.settings.lineage_enabled
                or state.unset_environment is not None):
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
            0 if only_if_missing else LINEAGE_DEBOUNCE_SECONDS, self.start_lineage, state)

    def start_lineage(self, state: ProjectState) -> None:
        lin = state.lineage
        lin.timer = None
        if lin.task is None or lin.task.done():
            lin.task = asyncio.get_running_loop().create_task(self.run_lineage(state))
        elif lin.running and lin.worker is not None:
            lin.worker.interrupt()  # the running load answers {"cancelled": true}; run_lineage loads again

    async def run_lineage(self, state: ProjectState) -> None:
        lin = state.lineage
        while lin.done < lin.wanted:
            generation = lin.running = lin.wanted
            self.status(state, "lineage", "loading", "Loading definitions")
            try:
                result = await asyncio.to_thread(self._load_definitions, state, False)
                if result.get("needs_prepare"):
                    result = await self._prepare_and_load(state, result["needs_prepare"])
            except WorkerError as exc:
                lin.done, lin.error = generation, f"Could not load the definitions: {exc.message}"
                log.warning("%s\n%s", lin.error, exc.traceback or exc.stderr_tail)
                self.status(state, "lineage", "error", lin.error)
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
            for uri in self.open_uris(state):  # platform policies that ask for assets run again, with them
                self.background.pop(uri, None)
                # A run for this version (done, or started with the old assets) must not stand in for
                # the new one: schedule_background skips a version that has a task.
                task = self.background_tasks.pop(uri, None)
                if task is not None:
                    task[1].cancel()
            for error in lin.loaded.errors:
                log.info("load error in %s: %s\n%s", error.get("path"), error.get("message"), error.get("traceback"))
            self.tell_failures(state, [_load_failure(error, state.project) for error in lin.loaded.errors])
            errors = len(lin.loaded.errors)
            produced = sum(1 for a in lin.loaded.assets.values() if a.get("materializable", True))
            self.status(state, "lineage", "error" if errors else "ready",
                        f"{produced} assets" + (f", {errors} load error{'s' if errors != 1 else ''}" if errors else ""))
            self.publish_all(state)
            self.refresh_code_lenses()

    def tell_failures(self, state: ProjectState, failures: list[str]) -> None:
        """window/showMessage for each failure the last load did not have already: editors without
        our status see them too, once each (a failure that goes away and comes back is told again)."""
        for failure in dict.fromkeys(failures):
            if failure not in state.lineage.shown:
                self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=failure))
        state.lineage.shown = frozenset(failures)

    async def _prepare_and_load(self, state: ProjectState, needed: list[dict]) -> dict:
        """Stored state (dbt's manifest) is missing or older than its project: prepare it, with progress."""
        what = ", ".join(f"{n.get('key')} ({n.get('reason')})" for n in needed)
        message = f"Preparing {what}"
        self.status(state, "lineage", "loading", message)
        progress = await self.begin_progress("Dagster definitions", message)
        try:
            return await asyncio.to_thread(self._load_definitions, state, True)
        finally:
            self.end_progress(progress, "Definitions loaded")

    def _load_definitions(self, state: ProjectState, prepare: bool) -> dict:
        lin = state.lineage
        if lin.worker is None:
            assert state.python is not None and state.project is not None
            lin.worker = WorkerProcess(state.python, state.project.root)
        from ..project.definitions import load_params

        timeout = PREPARE_TIMEOUT_SECONDS if prepare else LOAD_TIMEOUT_SECONDS
        return lin.worker.call(protocol.METHOD_LOAD, load_params(str(state.project.root), prepare, timeout),
                               timeout=timeout)

    def renew_lineage_worker(self, state: ProjectState, installed: Optional[str]) -> None:
        """A new interpreter or installed packages: the lineage worker's imports are outdated. The
        first stamp of a session only records what the (possibly already running) worker has."""
        if installed is None:
            return
        if state.installed is not None and installed != state.installed and state.lineage.worker is not None:
            worker, state.lineage.worker = state.lineage.worker, None
            asyncio.get_running_loop().run_in_executor(None, worker.close)  # never block the editor on it
            self.want_lineage(state)
        state.installed = installed

    async def apply_edit(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        """`workspace/applyEdit`, waiting a bounded time: a client may answer null, or never."""
        timeout = float(os.environ.get("DAGSTER_COMPONENTS_LS_APPLY_EDIT_TIMEOUT", APPLY_EDIT_TIMEOUT_SECONDS))  # tests shorten it
        answer = asyncio.ensure_future(self.workspace_apply_edit_async(params))
        # Not wait_for: cancelling would make pygls fail on the client's late answer.
        done, _ = await asyncio.wait({answer}, timeout=timeout)
        if not done:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason=f"no answer within {timeout:g} s")
        if answer.exception() is not None:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason=f"it answered an error: {answer.exception()}")
        result = answer.result()
        if not isinstance(result, types.ApplyWorkspaceEditResult):
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason=f"it answered {json.dumps(result, default=str)}")
        return result

    def stop_workers(self, state: ProjectState) -> None:
        """Close the project's workers (their process groups, dbt children included) and any pending load."""
        if state.worker is not None:
            state.worker.close()
            state.worker = None
        lin = state.lineage
        if lin.timer is not None:
            lin.timer.cancel()
        if lin.worker is not None:
            lin.worker.close()
            lin.worker = None

    def refresh_code_lenses(self) -> None:
        workspace = self.client_capabilities.workspace
        lens = workspace.code_lens if workspace is not None else None
        if lens is not None and lens.refresh_support:
            self.workspace_code_lens_refresh(None)

    async def loaded_for(self, uri: str, wait: bool) -> tuple[ProjectState, Optional[Loaded]]:
        """The last good load of the document's project (first starting one; waiting for it with `wait`)."""
        state = self.state_for(uri)
        if state.loading is not None:
            await state.loading
        lin = state.lineage
        if lin.loaded is None:
            self.want_lineage(state, only_if_missing=True)
            if lin.timer is not None:  # someone is waiting: start now
                lin.timer.cancel()
                self.start_lineage(state)
            if wait and lin.task is not None:
                await asyncio.wait([lin.task], timeout=LINEAGE_WAIT_SECONDS)
        return state, lin.loaded

    def document_location(self, path: str, document: Optional[int]) -> Optional[dict]:
        """{uri, range} of a document's first line (its open text, else the file on disk)."""
        from ..features.lineage import document_location

        return document_location(path, document, lambda p: self.parse_path(Path(p)), self.position_encoding())

    def error_location(self, error: dict) -> Optional[dict]:
        from ..features.lineage import error_location

        return error_location(error, lambda p: self.parse_path(Path(p)), self.position_encoding())

    def position_encoding(self) -> str:
        return self.workspace.position_encoding or types.PositionEncodingKind.Utf16

    def status(self, state: ProjectState, subject: str, value: str, message: str) -> None:
        log.info("%s %s: %s (project %s, interpreter %s)", subject, value, message, state.root_uri, state.python)
        self.protocol.notify(STATUS_NOTIFICATION, {
            "project": state.root_uri,
            "interpreter": str(state.python) if state.python else None,
            "subject": subject,
            "state": value,
            "message": message,
        })


def scaffold_actions(snap: Snapshot, uri: str, used: list[str]) -> list[types.CodeAction]:
    """In a blank defs.yaml: "Scaffold <type>" for each type, most relevant first. On a valid
    document: add another document of the same type."""
    from ..features.scaffolding import SCAFFOLD_COMMAND, relevant_types

    registry = snap.ctx.registry
    if registry is None or registry.approximate:  # the bundled snapshot: no scaffolder can run
        return []
    folder = from_path(to_path(uri).parent)

    def action(title: str, typename: str, append: bool) -> types.CodeAction:
        args = {"type": typename, "folder": folder, "into": uri, "append": append}
        return types.CodeAction(title=title, kind=types.CodeActionKind.Refactor,
                                command=types.Command(title=title, command=SCAFFOLD_COMMAND, arguments=[args]))

    if not snap.text.strip():
        return [action(f"Scaffold {key}", key, False) for key in relevant_types(registry, used, snap.ctx.folder_module)]
    keys = []
    for doc in snap.parsed.documents:
        written = doc.value.get("type") if isinstance(doc.value, dict) else None
        component = resolve_type(written.strip(), snap.ctx) if isinstance(written, str) else None
        if component is not None and component.key not in keys:
            keys.append(component.key)
    return [action(f"Add another {key} document", key, True) for key in keys]


def is_pyproject(uri: str) -> bool:
    return to_path(uri).name == "pyproject.toml"


def is_component_file(uri: str) -> bool:
    return to_path(uri).name in COMPONENT_FILE_NAMES


def to_lsp(problem: Problem, index: LineIndex) -> types.Diagnostic:
    return types.Diagnostic(
        range=lsp_range(index, problem.span),
        message=problem.message,
        severity=SEVERITIES[problem.severity],
        code=problem.code,
        source="dagster",
        data=problem.data,
    )


server = ComponentsLanguageServer()


@server.feature(types.INITIALIZE)
def on_initialize(ls: ComponentsLanguageServer, params: types.InitializeParams) -> None:
    ls.settings = Settings.from_options(params.initialization_options)


@server.feature(types.INITIALIZED)
async def on_initialized(ls: ComponentsLanguageServer, params: types.InitializedParams) -> None:
    ls.poller = asyncio.get_running_loop().create_task(ls.poll_for_changes())
    ls.warm_up()
    await ls.watch_files()


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
def on_configuration(ls: ComponentsLanguageServer, params: types.DidChangeConfigurationParams) -> None:
    settings = ls.settings.reconfigured(params.settings)
    if isinstance(params.settings, dict) and settings != ls.settings:
        distrusted = ls.settings.trusted and not settings.trusted
        ls.settings = settings
        for state in ls.states.values():
            if distrusted:  # no more project code from now on, not even in workers already running
                ls.stop_workers(state)
            ls.refresh(state, "Settings changed")


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def on_open(ls: ComponentsLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)
    if is_component_file(params.text_document.uri):
        ls.learn_types(params.text_document.uri)
        ls.want_lineage(ls.state_for(params.text_document.uri), only_if_missing=True)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def on_change(ls: ComponentsLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(types.SHUTDOWN)
def on_shutdown(ls: ComponentsLanguageServer, params: Any) -> None:
    """Stop the workers with the server (their process groups, dbt children included)."""
    for state in ls.states.values():
        ls.stop_workers(state)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def on_close(ls: ComponentsLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.parsed.pop(params.text_document.uri, None)
    ls.background.pop(params.text_document.uri, None)
    task = ls.background_tasks.pop(params.text_document.uri, None)
    if task is not None:
        task[1].cancel()
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def on_save(ls: ComponentsLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
    changed_code([params.text_document.uri], ls)
    if is_component_file(params.text_document.uri) and ls.open_document(params.text_document.uri) is not None:
        ls.learn_types(params.text_document.uri)


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def on_watched_files(ls: ComponentsLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
    changed_code([change.uri for change in params.changes], ls)


def changed_code(uris: list[str], ls: ComponentsLanguageServer) -> None:
    """A saved component module or pyproject.toml rebuilds its project's registry without a restart;
    any saved file the definitions may read (not dbt's or Dagster's own output) loads them again."""
    for uri in uris:
        path = to_path(uri)
        config = path.name in ("pyproject.toml", "dg.toml")
        if config:
            ls.owners.clear()  # project boundaries or their settings may have moved
        for state in list(ls.states.values()):
            root = state.project.root if state.project else None
            if root is not None and (not path.is_relative_to(root) or is_generated(path.relative_to(root))):
                continue  # elsewhere, or a venv, dbt's target/, .local_defs_state/ (the 2 s poll sees installs)
            if root is not None:
                ls.want_lineage(state)
            if config or path.suffix == ".py":
                ls.refresh(state, f"{path.name} changed")


def is_generated(relative: Path) -> bool:
    """Inside a folder no one edits by hand: hidden ones, venvs, dbt's and Dagster's output."""
    return any(p in LINEAGE_IGNORED_DIRS or p.startswith(".") for p in relative.parts[:-1])


@server.feature(
    types.TEXT_DOCUMENT_COMPLETION,
    types.CompletionOptions(trigger_characters=[":", " ", ".", "{", "-", "'", '"'], resolve_provider=False),
)
async def on_completion(ls: ComponentsLanguageServer, params: types.CompletionParams) -> Optional[types.CompletionList]:
    snap = await ls.ready_snapshot(params.text_document.uri)
    if snap is None:
        return None
    offset = snap.offset(params.position)
    items = complete(snap.parsed, offset, snap.ctx, snap.index, os.environ)
    loaded = ls.state_for(params.text_document.uri).lineage.loaded
    if loaded is not None:
        path = str(to_path(params.text_document.uri))
        doc = snap.parsed.document_at(offset)
        own = loaded.produced(path, doc.index) if doc is not None else []
        assets = asset_completions(snap.parsed, offset, loaded, snap.index, own)
        labels = {item.label for item in assets}
        items = assets + [item for item in items if item.label not in labels]
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def on_hover(ls: ComponentsLanguageServer, params: types.HoverParams) -> Optional[types.Hover]:
    snap = await ls.ready_snapshot(params.text_document.uri)
    if snap is None:
        return None
    loaded = ls.state_for(params.text_document.uri).lineage.loaded
    found = asset_at(snap.parsed, snap.offset(params.position), loaded) if loaded is not None else None
    if found is not None:
        producer = loaded.assets[found[0]].get("producer") or {}  # type: ignore[union-attr]
        where = _producer_text(producer, snap.ctx.project_root)
        return asset_hover(loaded, found[0], found[1], snap.index, where)  # type: ignore[arg-type]
    return hover(snap.parsed, snap.offset(params.position), snap.ctx, snap.index)


def _producer_text(producer: dict, project_root: Optional[str]) -> Optional[str]:
    path = producer.get("path")
    if not isinstance(path, str):
        return None
    shown = os.path.relpath(path, project_root) if project_root and path.startswith(project_root) else path
    document = producer.get("document")
    return f"`{shown}`" + (f" (document {document + 1})" if isinstance(document, int) and document else "")


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
async def on_definition(ls: ComponentsLanguageServer, params: types.DefinitionParams) -> Optional[list[types.Location]]:
    snap = await ls.ready_snapshot(params.text_document.uri)
    if snap is None:
        return None
    loaded = ls.state_for(params.text_document.uri).lineage.loaded
    found = asset_at(snap.parsed, snap.offset(params.position), loaded) if loaded is not None else None
    producer = loaded.assets[found[0]].get("producer") if found is not None else None  # type: ignore[union-attr]
    if isinstance(producer, dict):
        location = ls.document_location(producer["path"], producer.get("document"))
        if location is not None:
            return [types.Location(uri=location["uri"], range=_lsp_range(location["range"]))]
    return definition(snap.parsed, snap.offset(params.position), snap.ctx, snap.index)


def _lsp_range(r: dict) -> types.Range:
    return types.Range(start=types.Position(**r["start"]), end=types.Position(**r["end"]))


@server.feature(types.TEXT_DOCUMENT_CODE_LENS)
def on_code_lens(ls: ComponentsLanguageServer, params: types.CodeLensParams) -> Optional[list[types.CodeLens]]:
    """Above each document's `type:`: how many assets it produces and their direct neighbours."""
    snap = ls.snapshot(params.text_document.uri)
    state = ls.state_for(params.text_document.uri) if snap is not None else None
    if snap is None or state is None or state.project is None or not ls.settings.lineage_enabled or not ls.settings.trusted:
        return None
    loaded = state.lineage.loaded
    path = str(to_path(params.text_document.uri))
    lenses = []
    for doc in snap.parsed.documents:
        type_key = doc.root.key_node("type") if doc.root is not None and doc.root.kind == "map" else None
        if type_key is None:
            continue
        title = lens_title(loaded, path, doc.index, state.lineage.error)
        lenses.append(types.CodeLens(
            range=lsp_range(snap.index, type_key.span.shifted(doc.start)),
            command=types.Command(title=title, command=SHOW_LINEAGE_COMMAND,
                                  arguments=[{"uri": params.text_document.uri, "document": doc.index}])))
    return lenses


@server.feature(LINEAGE_REQUEST)
async def on_lineage(ls: ComponentsLanguageServer, params: Any) -> dict:
    """`{textDocument: {uri}, document?, depth?}` -> DESIGN's lineage result (the last good graph, `stale`
    while a newer load runs; the first request waits for the first load)."""
    request = _params_dict(params)
    uri = (request.get("textDocument") or {}).get("uri") or request.get("uri")
    if not isinstance(uri, str):
        raise ValueError("dagster/lineage needs textDocument.uri")
    document, depth = request.get("document"), request.get("depth", 1)
    state, loaded = await ls.loaded_for(uri, wait=True)
    path = str(to_path(uri))
    if loaded is None:
        message = state.lineage.error or _why_no_lineage(ls, state)
        return {"assets": [], "edges": [], "errors": [{"message": message, "uri": uri, "range": None}],
                "stale": state.lineage.stale}
    view = lineage_view(loaded, path, document if isinstance(document, int) else None,
                        depth if isinstance(depth, int) else 1, state.lineage.stale,
                        ls.document_location, ls.error_location)
    if state.lineage.error:  # the last refresh failed: the graph shown is the one before it
        view["errors"].append({"message": state.lineage.error, "uri": None, "range": None})
    return view


def _why_no_lineage(ls: ComponentsLanguageServer, state: ProjectState) -> str:
    if state.project is None:
        return "Lineage needs a dg project: this file is in none"
    if not ls.settings.trusted:
        return "Lineage runs the project's code, which an untrusted workspace does not allow"
    if not ls.settings.lineage_enabled:
        return "Lineage is turned off (setting dagsterComponents.lineage.enabled)"
    if state.unset_environment is not None:
        return f"Lineage needs the project's environment, which is not set up: {state.unset_environment}"
    return state.error or "The definitions could not be loaded"


def _params_dict(params: Any) -> dict:
    """pygls hands custom requests' params over as a namedtuple-like object; read them as a dict."""
    if isinstance(params, dict):
        return params
    if hasattr(params, "_asdict"):
        return {k: _params_dict(v) if hasattr(v, "_asdict") else v for k, v in params._asdict().items()}
    return dict(vars(params)) if hasattr(params, "__dict__") else {}


@server.command(SHOW_LINEAGE_COMMAND)
async def on_show_lineage(ls: ComponentsLanguageServer, *args: Any) -> Optional[dict]:
    """`[{uri, document}]`: the lineage of that document (VS Code opens its panel instead)."""
    request = _first_arg(args)
    if not isinstance(request.get("uri"), str):
        return None
    return await on_lineage(ls, {"textDocument": {"uri": request["uri"]}, "document": request.get("document")})


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK)
def on_document_link(ls: ComponentsLanguageServer, params: types.DocumentLinkParams) -> Optional[list[types.DocumentLink]]:
    snap = ls.snapshot(params.text_document.uri)
    return document_links(snap.parsed, snap.ctx, snap.index, exists=Path.exists) if snap else None


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def on_document_symbol(ls: ComponentsLanguageServer, params: types.DocumentSymbolParams) -> Optional[list[types.DocumentSymbol]]:
    snap = ls.snapshot(params.text_document.uri)
    return document_symbols(snap.parsed, snap.ctx, snap.index) if snap else None


@server.feature(types.WORKSPACE_SYMBOL)
def on_workspace_symbol(ls: ComponentsLanguageServer, params: types.WorkspaceSymbolParams) -> list[types.WorkspaceSymbol]:
    files, roots = ls.workspace_files()
    encoding = ls.position_encoding()
    return workspace_symbols(files, params.query, roots, encoding)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.Refactor]),
)
def on_code_action(ls: ComponentsLanguageServer, params: types.CodeActionParams) -> Optional[list[types.CodeAction]]:
    snap = ls.snapshot(params.text_document.uri)
    if snap is None:
        return None
    from ..features.code_actions import code_actions, of_kinds

    uri = params.text_document.uri
    fixes = code_actions(snap.parsed, list(params.context.diagnostics), snap.ctx, snap.index, uri)
    return of_kinds(fixes + scaffold_actions(snap, uri, ls.used_types(snap)), params.context.only)


@server.command(SCAFFOLD_COMMAND)
async def on_scaffold(ls: ComponentsLanguageServer, *args: Any) -> Optional[dict]:
    """`[{type, folder, params?, into?, append?}]`: create `<folder>/defs.yaml` (never overwriting), or
    write into the open document `into` (replacing it when blank, appending a `---` document with `append`)."""
    from ..features.scaffolding import ScaffoldConflict, creation_edit, fill_edit, scaffolded_files

    request = _first_arg(args)
    typename, folder_uri = request.get("type"), request.get("folder")
    if not isinstance(typename, str) or not isinstance(folder_uri, str):
        raise ValueError("dagster.scaffold needs {type, folder}")
    folder = to_path(folder_uri)
    state = ls.state_for(from_path(folder / "defs.yaml"))
    if state.loading is not None:
        await state.loading
    if state.python is None or not ls.settings.trusted:
        raise ValueError("Scaffolding runs the component's scaffolder, which needs a trusted workspace")
    if state.unset_environment is not None:
        raise ValueError(f"Scaffolding runs the component's scaffolder in the project's environment, which is not "
                         f"set up: {state.unset_environment}")
    root = state.project.root if state.project else None
    params = {k: str(root / v) if isinstance(v, str) and k.endswith("path") and root and not Path(v).is_absolute() else v
              for k, v in (request.get("params") or {}).items()}
    result = await asyncio.to_thread(state.background_worker().call, protocol.METHOD_SCAFFOLD, {
        "project_root": str(root) if root else None, "type": typename, "folder_name": folder.name,
        "params": params or None, "append": False}, SCAFFOLD_TIMEOUT_SECONDS)
    files = scaffolded_files(folder, result)
    into = request.get("into")
    if isinstance(into, str) and ls.open_document(into) is not None:
        into = canonical(into)
        text = next((f.text for f in files if f.path.name in COMPONENT_FILE_NAMES), "")
        edit = fill_edit(into, ls.parse(into)[2], text, append=bool(request.get("append")))
    else:
        try:
            edit = creation_edit(files, exists=Path.exists)
        except ScaffoldConflict as exc:
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=str(exc)))
            return None
    answer = await ls.apply_edit(types.ApplyWorkspaceEditParams(edit=edit, label=f"Scaffold {typename}"))
    result = {"applied": answer.applied, "files": [str(f.path) for f in files]}
    if not answer.applied:
        why = answer.failure_reason or "it declined"
        result["failureReason"] = message = f"Scaffold {typename}: the editor did not apply the edit ({why})"
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))
    return result


def _first_arg(args: tuple) -> dict:
    """Commands arrive as `[{...}]` (pygls may pass the list itself, or its items)."""
    first = args[0] if args else {}
    if isinstance(first, list):
        first = first[0] if first else {}
    return dict(first) if isinstance(first, dict) else {}


@server.command(REFRESH_COMMAND)
def on_refresh(ls: ComponentsLanguageServer, *args: Any) -> None:
    for state in ls.states.values():  # asked for: the cache may hold an answer the user has since fixed
        state.bypass_cache = True
        ls.refresh(state, "Refresh requested")


@server.feature(COMPONENTS_REQUEST)
async def on_components(ls: ComponentsLanguageServer, params: Any) -> list[dict]:
    uri = getattr(params, "uri", None) or (params.get("uri") if isinstance(params, dict) else None)
    state = ls.state_for(uri) if uri else next(iter(ls.states.values()), None)
    if state is None:
        state = ls.states.setdefault(None, ProjectState(None))
        ls.refresh(state, "Reading component types")
    if state.loading is not None:
        await state.loading
    return component_list(state.registry) if state.registry else []


@server.feature(DEBUG_REQUEST)
def on_debug(ls: ComponentsLanguageServer, params: Any) -> dict:
    """Internal, for the tests (no client may rely on it): the size of pygls' table of in-flight handlers."""
    return {"pendingFutures": ls.protocol.pending_futures()}


def serve(tcp: Optional[str] = None, python: Optional[str] = None) -> int:
    """Serve until `exit` (or the client is gone); the exit status, 0 only after `shutdown`."""
    server.python_override = python
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
        return 0
    return asyncio.run(_serve_stdio())


async def _serve_stdio() -> int:
    try:
        return await serve_stdio(server.protocol, lambda: server.process_id)
    finally:
        for state in server.states.values():  # an `exit` without `shutdown`, a client gone: workers too
            server.stop_workers(state)
        server.shutdown()


def _environment_missing(exc: Exception) -> bool:
    """Whether the registry failed because the project's environment is not set up (no Dagster in
    the interpreter, or no interpreter at all), not because of its code or an unsupported Dagster."""
    return isinstance(exc, projects.InterpreterNotFound) or (isinstance(exc, WorkerError) and exc.kind == "no-dagster")


def _failed_modules(registry: Registry, shown: int = 3) -> str:
    """"; 2 modules failed to import: a (did not finish within 60 s), b (...)" for the ready status."""
    if not registry.module_errors:
        return ""
    named = [f"{name} ({error})" for name, error in sorted(registry.module_errors.items())]
    more = f" and {len(named) - shown} more" if len(named) > shown else ""
    count = len(named)
    return f"; {count} module{'s' if count > 1 else ''} failed to import: {', '.join(named[:shown])}{more}"


def _load_failure(error: dict, project: Optional[projects.Project]) -> str:
    """One load error as a sentence for window/showMessage: "Loading src/p/defs/b/defs.yaml (document 2) failed: ..."."""
    path = error.get("path")
    if path and project is not None and Path(path).is_relative_to(project.root):
        path = str(Path(path).relative_to(project.root))
    where = f" {path}" if path else " the definitions"
    document = error.get("document")
    if isinstance(document, int):
        where += f" (document {document + 1})"
    return f"Loading{where} failed: {error.get('message')}"
