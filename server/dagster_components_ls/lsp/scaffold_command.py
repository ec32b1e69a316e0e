"""The `dagster.scaffold` command: the project's scaffolder run in its worker, then the edit applied by the client."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from lsprotocol import types

from ..model.uris import canonical, from_path, to_path
from ..model.vocabulary import COMPONENT_FILE_NAMES
from ..worker import protocol

if TYPE_CHECKING:
    from .wiring import Server

SCAFFOLD_TIMEOUT_SECONDS = 60.0


async def run_scaffold(ls: Server, request: dict) -> Optional[dict]:
    """`{type, folder, params?, into?, append?}`: create `<folder>/defs.yaml` (never overwriting), or
    write into the open document `into` (replacing it when blank, appending a `---` document with `append`)."""
    from ..features.scaffolding import (
        ScaffoldConflict,
        creation_edit,
        fill_edit,
        scaffold_outcome,
        scaffold_params,
        scaffold_refusal,
        scaffolded_files,
    )

    typename, folder_uri = request.get("type"), request.get("folder")
    if not isinstance(typename, str) or not isinstance(folder_uri, str):
        raise ValueError("dagster.scaffold needs {type, folder}")
    folder = to_path(folder_uri)
    state = ls.projects.state_for(from_path(folder / "defs.yaml"))
    if state.loading is not None:
        await state.loading
    refusal = scaffold_refusal(state.python is not None, ls.settings.trusted, state.unset_environment)
    if refusal is not None:
        raise ValueError(refusal)
    root = state.project.root if state.project else None
    params = scaffold_params(request.get("params") or {}, root)
    result = await asyncio.to_thread(
        state.background_worker().call,
        protocol.METHOD_SCAFFOLD,
        {
            "project_root": str(root) if root else None,
            "type": typename,
            "folder_name": folder.name,
            "params": params or None,
            "append": False,
        },
        SCAFFOLD_TIMEOUT_SECONDS,
    )
    files = scaffolded_files(folder, result)
    into = request.get("into")
    if isinstance(into, str) and ls.documents.get(into) is not None:
        into = canonical(into)
        text = next((f.text for f in files if f.path.name in COMPONENT_FILE_NAMES), "")
        edit = fill_edit(into, ls.documents.parse(into)[2], text, append=bool(request.get("append")))
    else:
        try:
            edit = creation_edit(files, exists=Path.exists)
        except ScaffoldConflict as exc:
            ls.client.show_message(types.MessageType.Error, str(exc))
            return None
    answer = await ls.client.apply_edit(types.ApplyWorkspaceEditParams(edit=edit, label=f"Scaffold {typename}"))
    outcome, message = scaffold_outcome(typename, files, answer.applied, answer.failure_reason)
    if message is not None:
        ls.client.show_message(types.MessageType.Error, message)
    return outcome
