"""One project's state: its registry snapshot, file contexts, workers and lineage (no service logic)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from ..features.dbt_models import Manifests
from ..features.lineage import LineageState
from ..model.context import CheckContext
from ..model.registry import Registry
from ..model.uris import from_path
from ..project import discovery as projects
from ..project.worker_client import WorkerProcess

if TYPE_CHECKING:
    from ..checks.policies.config import PolicyConfig


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
    dbt_vocabularies: dict[str, dict] = field(default_factory=dict)
    """Manifest path -> its vocabulary (protocol.DbtVocabulary), from the last `dbt_selection` answer
    that read it (an open dbt document's or the workspace pass's): what a `deps` of any document follows."""
    dbt: Manifests = field(default_factory=Manifests)
    """The same, indexed for hover, definition and completion (rebuilt when an answer arrives)."""
    unset_environment: Optional[str] = None
    """Why the project's environment cannot run the worker (no Dagster, no interpreter), while
    `registry` is the bundled snapshot: no worker-backed check, type lookup or load is attempted."""

    def learn_dbt(self, answer: object) -> None:
        """Keep the manifests' vocabularies of a `dbt_selection` answer, first: the newest one per manifest
        and per dbt project (the stored state's manifest replaces target/manifest.json once prepared)."""
        manifests = answer.get("manifests") if isinstance(answer, dict) else None
        new = {p: v for p, v in manifests.items() if isinstance(v, dict)} if isinstance(manifests, dict) else {}
        if not new:
            return
        dirs = {v.get("project_dir") for v in new.values()}
        kept = {p: v for p, v in self.dbt_vocabularies.items() if p not in new and v.get("project_dir") not in dirs}
        self.dbt_vocabularies = {**new, **kept}
        self.dbt = Manifests.of(self.dbt_vocabularies.values())

    def background_worker(self) -> WorkerProcess:
        if self.worker is None:
            assert self.python is not None
            self.worker = WorkerProcess(self.python, self.project.root if self.project else Path.cwd())
        return self.worker

    @property
    def root_uri(self) -> Optional[str]:
        return from_path(self.project.root) if self.project else None

    def stop_workers(self) -> None:
        """Close the project's workers (their process groups, dbt children included) and any pending load."""
        if self.worker is not None:
            self.worker.close()
            self.worker = None
        lin = self.lineage
        if lin.timer is not None:
            lin.timer.cancel()
        if lin.worker is not None:
            lin.worker.close()
            lin.worker = None
