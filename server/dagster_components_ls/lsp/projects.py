"""Per-project state: which project owns a document, its registry (read, rebuilt, polled) and its workers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from lsprotocol import types

from ..model.context import CheckContext
from ..model.documents import ParsedFile
from ..model.registry import Registry
from ..model.uris import to_path
from ..project import discovery as projects
from ..project.bundled import bundled_registry, setup_hint
from ..project.file_context import context_for, referenced_types
from ..project.registry import fingerprint, load_registry, prune_cache
from ..project.worker_client import WorkerError, WorkerProcess
from .project_state import ProjectState

if TYPE_CHECKING:
    from .wiring import Server

log = logging.getLogger(__name__)

REFRESH_POLL_SECONDS = 2.0
REGISTRY_TIMEOUT_SECONDS = 180.0
WALK_REUSE_SECONDS = 3.0
"""How long workspace_files reuses its walk of the folders when no watched file was created or deleted."""
LINEAGE_IGNORED_DIRS = frozenset({"target", "logs", "dbt_packages", "node_modules", "__pycache__", ".venv"})


def environment_missing(exc: Exception) -> bool:
    """Whether the registry failed because the project's environment is not set up (no Dagster in
    the interpreter, or no interpreter at all), not because of its code or an unsupported Dagster."""
    return isinstance(exc, projects.InterpreterNotFound) or (isinstance(exc, WorkerError) and exc.kind == "no-dagster")


def failed_modules(registry: Registry, shown: int = 3) -> str:
    """ "; 2 modules failed to import: a (did not finish within 60 s), b (...)" for the ready status."""
    if not registry.module_errors:
        return ""
    named = [f"{name} ({error})" for name, error in sorted(registry.module_errors.items())]
    more = f" and {len(named) - shown} more" if len(named) > shown else ""
    count = len(named)
    return f"; {count} module{'s' if count > 1 else ''} failed to import: {', '.join(named[:shown])}{more}"


def is_generated(relative: Path) -> bool:
    """Inside a folder no one edits by hand: hidden ones, venvs, dbt's and Dagster's output."""
    return any(p in LINEAGE_IGNORED_DIRS or p.startswith(".") for p in relative.parts[:-1])


class Projects:
    """Every project the open documents belong to, keyed by root (None: the files outside any project)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.python_override: Optional[str] = None
        self.states: dict[Optional[Path], ProjectState] = {}
        self.owners: dict[str, Optional[projects.Project]] = {}
        self.poller: Optional[asyncio.Task] = None
        self.walk: Optional[tuple[float, tuple[Path, ...], list[Path], list[Path]]] = None
        """workspace_files' last walk: (when, the folders walked, the component files, the defs folders)."""

    def warm_up(self) -> None:
        """Start reading the registries of the workspace's projects before any document opens."""
        for folder in self.server.workspace.folders.values():
            for project in projects.find_projects(to_path(folder.uri)):
                state = self.states.setdefault(project.root, ProjectState(project))
                if state.registry is None and state.loading is None:
                    state.loading = asyncio.get_running_loop().create_task(self.load(state))

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
        known = self.states.get(key)
        state = known if known is not None else self.states.setdefault(key, ProjectState(owner))
        if state.registry is None and state.loading is None and state.error is None:
            state.loading = asyncio.get_running_loop().create_task(self.load(state))
        return state

    def any_state(self) -> ProjectState:
        """The first project known, else the files outside any project (reading their types)."""
        state = next(iter(self.states.values()), None)
        if state is None:
            state = self.states.setdefault(None, ProjectState(None))
            self.refresh(state, "Reading component types")
        return state

    def context_for(self, uri: str, state: ProjectState) -> CheckContext:
        path = to_path(uri)
        ctx = context_for(path, state.project, state.registry, state.policies)
        key = (str(path), ctx.folder_module)
        cached = state.contexts.get(key)
        if cached is None or cached.registry is not state.registry or cached.policies is not state.policies:
            state.contexts[key] = cached = ctx
        return cached

    def open_uris(self, state: ProjectState) -> list[str]:
        return [uri for uri in self.server.documents.uris() if self.state_for(uri) is state]

    async def load(self, state: ProjectState, reason: str = "") -> None:
        """Build (or read from cache) the registry in the background, then check open documents again."""
        ls = self.server
        settings, client = ls.settings, ls.client
        root = state.project.root if state.project else None
        client.status(state, "registry", "loading", reason or "Reading component types")
        progress = await client.begin_progress("Dagster components", reason or "Reading component types")
        try:
            state.python = projects.resolve_interpreter(settings.python or self.python_override, root)
            loop = asyncio.get_running_loop()
            registry, stamp, installed = await asyncio.to_thread(
                self._read_registry, state, lambda: loop.call_soon_threadsafe(state.building.set)
            )
        except Exception as exc:  # WorkerError, InterpreterNotFound, OSError; anything else is a bug of ours,
            # which must not leave the project `loading` and read again on every request either
            reason = str(exc)
            if not isinstance(exc, (WorkerError, projects.InterpreterNotFound, OSError)):
                log.exception("reading the component types failed")
                reason = f"{type(exc).__name__}: {exc}"
            bundled = bundled_registry() if settings.trusted and environment_missing(exc) else None
            if bundled is not None:  # features from Dagster's own types until the environment is set up
                state.registry, state.fingerprint, state.error, state.unset_environment = bundled, None, None, reason
                state.contexts.clear()
                configured = bool(settings.python or self.python_override)
                message = f"{bundled.approximate} ({reason}){setup_hint(root, configured)}"
                client.status(state, "registry", "ready", message)
                if not settings.environment_create:  # else the client offers its own command
                    client.show_message(types.MessageType.Warning, message)
            else:
                if state.unset_environment is not None:  # another failure now: the label would not hold
                    state.registry, state.unset_environment = None, None
                state.error = f"Could not read the component types: {reason}"
                client.status(state, "registry", "error" if settings.trusted else "untrusted", state.error)
                client.show_message(types.MessageType.Error, state.error)
        else:
            state.registry, state.fingerprint, state.error, state.unset_environment = registry, stamp, None, None
            from ..checks.policies.config import load_policy_config, policy_config_path

            state.policies = load_policy_config(policy_config_path(state.project))[0]
            state.contexts.clear()
            if state.worker is not None:  # its imports are from before the change
                state.worker.close()
                state.worker = None
            for uri in self.open_uris(state):
                ls.publishing.forget_background(uri)
            if settings.trusted:
                client.status(
                    state,
                    "registry",
                    "ready",
                    f"{len(registry.types)} component types "
                    f"(Dagster {registry.dagster_version or 'unknown'}){failed_modules(registry)}",
                )
            else:
                client.status(
                    state,
                    "registry",
                    "untrusted",
                    f"{len(registry.types)} component types from the cache; the workspace is not trusted, so no project code runs",
                )
            ls.lineage.renew_worker(state, installed)
        finally:
            state.loading = None
            state.building.clear()
            client.end_progress(progress, state.error or "Component types ready")
        ls.publishing.publish_all(state)
        if state.registry is not None and state.unset_environment is None:
            client.refresh_inlay_hints()  # the documents render with the new registry
            for uri in self.open_uris(state):
                self.learn_types(uri)
            if self.open_uris(state):
                ls.lineage.want(state, only_if_missing=True)

    def _read_registry(
        self, state: ProjectState, on_build: Callable[[], object]
    ) -> tuple[Registry, Optional[str], Optional[str]]:
        """The registry, the fingerprint it answers to and the installed packages' stamp (both None
        when untrusted: nothing is polled, no worker runs)."""
        from ..project.registry import installed_stamp

        assert state.python is not None
        if (
            not self.server.settings.trusted
        ):  # no user code runs, not even the interpreter: a cached registry or nothing
            registry = load_registry(state.python, state.project, extra_types=state.extra_types, cache_only=True)
            prune_cache()  # after the read: the entry in use was marked used, so it stays
            return registry, None, None
        stamp = state.attempted = fingerprint(state.python, state.project)
        installed = installed_stamp(state.python)
        worker = WorkerProcess(state.python, state.project.root if state.project else Path.cwd())
        try:
            use_cache, state.bypass_cache = not state.bypass_cache, False
            registry = load_registry(
                state.python,
                state.project,
                worker=worker,
                timeout=REGISTRY_TIMEOUT_SECONDS,
                extra_types=state.extra_types,
                stamp=stamp,
                on_build=on_build,
                use_cache=use_cache,
            )
            prune_cache()  # at start-up and after each rebuild, once the entry in use was marked used
            return registry, stamp, installed
        finally:
            worker.close()

    def learn_types(self, uri: str) -> None:
        """Ask the worker about typenames this document uses that the registry does not know yet."""
        state = self.state_for(uri)
        if state.registry is None or state.unset_environment is not None:  # no worker to ask
            return
        _, parsed, _ = self.server.documents.parse(uri)
        unknown = {t for t in referenced_types([parsed]) if state.registry.lookup(t) is None} - state.extra_types
        if unknown:
            state.extra_types = state.extra_types | unknown
            self.refresh(state, "Reading newly referenced component types")

    def refresh(self, state: ProjectState, reason: str) -> None:
        if state.loading is None:
            state.error = None
            state.loading = asyncio.get_running_loop().create_task(self.load(state, reason))

    def start_polling(self) -> None:
        self.poller = asyncio.get_running_loop().create_task(self.poll_for_changes())

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

    def reconfigure(self, distrusted: bool) -> None:
        """Settings changed: every registry is read again (no project code runs any more once distrusted)."""
        for state in self.states.values():
            if distrusted:  # no more project code from now on, not even in workers already running
                state.stop_workers()
            self.refresh(state, "Settings changed")

    def reload_all(self) -> None:
        for state in self.states.values():  # asked for: the cache may hold an answer the user has since fixed
            state.bypass_cache = True
            self.refresh(state, "Refresh requested")

    def stop_all(self) -> None:
        for state in self.states.values():
            state.stop_workers()

    def changed_code(self, uris: list[str]) -> None:
        """A saved component module or pyproject.toml rebuilds its project's registry without a restart;
        any saved file the definitions may read (not dbt's or Dagster's own output) loads them again."""
        for uri in uris:
            path = to_path(uri)
            config = path.name in ("pyproject.toml", "dg.toml")
            if config:
                self.owners.clear()  # project boundaries or their settings may have moved
            for state in list(self.states.values()):
                root = state.project.root if state.project else None
                if root is not None and (not path.is_relative_to(root) or is_generated(path.relative_to(root))):
                    continue  # elsewhere, or a venv, dbt's target/, .local_defs_state/ (the 2 s poll sees installs)
                if root is not None:
                    self.server.lineage.want(state)
                if config or path.suffix == ".py":
                    self.refresh(state, f"{path.name} changed")

    def used_types(self, project_root: Optional[str]) -> list[str]:
        """The typenames the project's other component files use (for ranking scaffold actions)."""
        if project_root is None:
            return []
        parse_path = self.server.documents.parse_path
        return referenced_types(parse_path(path) for path in projects.component_files(Path(project_root)))

    def workspace_files(self) -> tuple[list[tuple[Path, ParsedFile]], list[Path]]:
        """Every component file under the workspace folders (open ones as edited), and the defs folders. The
        walk of the folders is reused for WALK_REUSE_SECONDS (a burst of requests: references, highlight,
        rename) unless a watched file was created or deleted meanwhile; each file is parsed afresh (cached
        by modification time)."""
        folders = [to_path(f.uri) for f in self.server.workspace.folders.values()]
        folders += [state.project.root for state in self.states.values() if state.project]
        key = tuple(sorted(set(folders), key=lambda f: (len(f.parts), str(f))))  # a folder before those inside it
        walk = self.walk
        if walk is None or walk[1] != key or time.monotonic() - walk[0] > WALK_REUSE_SECONDS:
            walk = self.walk = (time.monotonic(), key, *self._walk_folders(key))
        parse_path = self.server.documents.parse_path
        return [(path, parse_path(path)) for path in walk[2]], list(walk[3])

    def _walk_folders(self, folders: tuple[Path, ...]) -> tuple[list[Path], list[Path]]:
        paths: set[Path] = set()
        roots: list[Path] = []
        walked: list[Path] = []
        for folder in folders:
            if any(folder == w or w in folder.parents for w in walked):
                continue  # a project root inside a workspace folder: walked already
            walked.append(folder)
            for project in projects.find_projects(folder):
                if project.defs_dir is not None:
                    roots.append(project.defs_dir)
            paths.update(projects.component_files(folder))
        return sorted(paths), roots

    def forget_walk(self, changes: Sequence[types.FileEvent]) -> None:
        """A watched file created or deleted: the next workspace_files walks the folders again."""
        if any(change.type != types.FileChangeType.Changed for change in changes):
            self.walk = None
