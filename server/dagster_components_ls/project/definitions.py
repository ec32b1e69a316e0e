"""The worker's `load` call for a project: the params, and preparing stored state first when it is missing or stale."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..worker import protocol
from .worker_client import capped


def load_params(project_root: str, prepare: bool, timeout: float) -> dict[str, Any]:
    """The `load` params: a quarter of the call per document's build_defs (the whole build gets
    twice that), so a hanging one is its document's load-error and the others still load in time."""
    return {"project_root": project_root, "prepare": prepare, "seconds_per_document": capped(timeout) / 4}


def load_definitions(
    worker: Any,
    project_root: str,
    on_prepare: Callable[[str], None],
    timeout: float = 120.0,
    prepare_timeout: float = 600.0,
) -> dict[str, Any]:
    """The worker's `load` answer for a project (blocking), preparing stored state first when it is
    missing or stale; `on_prepare` hears what is prepared and why. Raises WorkerError."""
    result = worker.call(protocol.METHOD_LOAD, load_params(project_root, False, timeout), timeout=timeout)
    needed = result.get("needs_prepare")
    if needed:
        on_prepare("Preparing " + ", ".join(f"{n.get('key')} ({n.get('reason')})" for n in needed))
        result = worker.call(
            protocol.METHOD_LOAD, load_params(project_root, True, prepare_timeout), timeout=prepare_timeout
        )
    return result
