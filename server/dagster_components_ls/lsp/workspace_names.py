"""References, rename, document highlight and the instance count of a type, over the workspace's component
files (open ones as edited), for the handlers in lsp/server.py."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Protocol

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from ..features.references import (
    ASSET,
    TYPE,
    Name,
    WorkspaceFile,
    counted_hover,
    declaration,
    highlights,
    instance_count,
    name_at,
    references,
)
from ..features.rename import RenameRefused, check_definitions, check_new_name, rename_edits, renameable, workspace_edit
from ..model.context import CheckContext
from ..model.documents import ParsedFile
from ..model.loaded import Loaded
from ..model.uris import from_path, to_path
from .documents import Documents, Snapshot
from .project_state import ProjectState


class _Projects(Protocol):
    """Of projects.Projects: the workspace's component files, each one's project and context."""

    def state_for(self, uri: str) -> ProjectState: ...

    def context_for(self, uri: str, state: ProjectState) -> CheckContext: ...

    def workspace_files(self) -> tuple[list[tuple[Path, ParsedFile]], list[Path]]: ...


class NamesServer(Protocol):
    """Of server.ComponentsLanguageServer: what following names needs."""

    @property
    def documents(self) -> Documents: ...

    @property
    def projects(self) -> _Projects: ...

    @property
    def client_capabilities(self) -> types.ClientCapabilities: ...

    def snapshot(self, uri: str) -> Optional[Snapshot]: ...


class WorkspaceNames:
    """Names (types, asset keys, template variables) followed across the workspace's component files."""

    def __init__(self, server: NamesServer) -> None:
        self.server = server
        self._uris: dict[Path, str] = {}
        self._contexts: dict[Path, tuple[object, object, CheckContext]] = {}

    def files(self, also: Optional[str] = None) -> list[WorkspaceFile]:
        """Every component file of the workspace (and `also`'s file) with its parse and check context; each
        file's URI and context are kept while its project's registry and policies stay the same (a request
        over 1,000 files spent half its time building them)."""
        projects, documents = self.server.projects, self.server.documents
        found, _ = projects.workspace_files()
        if also is not None and to_path(also) not in {path for path, _ in found}:
            found.append((to_path(also), documents.parse_path(to_path(also))))
        out = []
        for path, parsed in found:
            uri = self._uris.get(path) or self._uris.setdefault(path, from_path(path))
            state = projects.state_for(uri)
            known = self._contexts.get(path)
            if known is None or known[0] is not state.registry or known[1] is not state.policies:
                known = self._contexts[path] = (state.registry, state.policies, projects.context_for(uri, state))
            out.append(WorkspaceFile(path, parsed, known[2]))
        return out

    def _at(self, uri: str, position: types.Position) -> tuple[Optional[Snapshot], Optional[Name], Optional[Loaded]]:
        snap = self.server.snapshot(uri)
        if snap is None:
            return None, None, None
        loaded = self.server.projects.state_for(uri).lineage.loaded
        return snap, name_at(snap.parsed, snap.offset(position), snap.ctx, loaded), loaded

    def references(self, params: types.ReferenceParams) -> Optional[list[types.Location]]:
        """Declaration first (when asked): a type's class, a template variable's function, an asset's producer."""
        uri = params.text_document.uri
        snap, name, loaded = self._at(uri, params.position)
        if snap is None or name is None:
            return None
        wanted = params.context.include_declaration
        declared = declaration(snap.parsed, name, snap.ctx, snap.index) if wanted else []
        files = self.same_type(uri, name, self.files(uri))
        found = references(name, files, self.server.documents.position_encoding(), declared, wanted)
        producer = self._producer(name, loaded) if wanted else None
        if producer is not None and not any(loc.uri == producer.uri for loc in found):
            found.insert(0, producer)
        return found

    def _producer(self, name: Name, loaded: Optional[Loaded]) -> Optional[types.Location]:
        """The first line of the document that produces an asset, from the last load."""
        asset = loaded.assets.get(name.name) if loaded is not None and name.kind == ASSET else None
        producer = asset.get("producer") if asset is not None else None
        if not isinstance(producer, dict) or not isinstance(producer.get("path"), str):
            return None
        where = self.server.documents.document_location(producer["path"], producer.get("document"))
        if where is None:
            return None
        r = where["range"]
        start, end = types.Position(**r["start"]), types.Position(**r["end"])
        return types.Location(uri=where["uri"], range=types.Range(start=start, end=end))

    def prepare_rename(
        self, params: types.PrepareRenameParams
    ) -> Optional[types.Range | types.PrepareRenamePlaceholder]:
        """The name's range; for a key written as a list of parts, with the key itself as the placeholder
        (the rename box offers `research/churn`, not `[research, churn]`)."""
        snap, name, _ = self._at(params.text_document.uri, params.position)
        if snap is None or name is None or not renameable(name):
            return None
        from ..features.lsp_ranges import lsp_range

        found = lsp_range(snap.index, name.span)
        if snap.text[name.span.start : name.span.end] != name.name:
            return types.PrepareRenamePlaceholder(range=found, placeholder=name.name)
        return found

    def rename(self, params: types.RenameParams) -> Optional[types.WorkspaceEdit]:
        """One WorkspaceEdit for every file; a refused rename answers a RequestFailed error with the reason."""
        uri = params.text_document.uri
        snap, name, loaded = self._at(uri, params.position)
        if snap is None or name is None or not renameable(name):
            raise JsonRpcException(
                "Nothing to rename here: place the cursor on an asset key or a template variable",
                code=types.LSPErrorCodes.RequestFailed,
            )
        files = self.files(uri)
        defs = declaration(snap.parsed, name, snap.ctx, snap.index)
        try:
            check_new_name(name, params.new_name.strip(), files, loaded)
            check_definitions(name, defs)
        except RenameRefused as exc:
            raise JsonRpcException(str(exc), code=types.LSPErrorCodes.RequestFailed) from exc
        edits = rename_edits(name, params.new_name.strip(), files, self.server.documents.position_encoding(), defs)
        return workspace_edit(edits, self._versions(edits) if self._document_changes() else None)

    def _document_changes(self) -> bool:
        workspace = self.server.client_capabilities.workspace
        edit = workspace.workspace_edit if workspace is not None else None
        return bool(edit is not None and edit.document_changes)

    def _versions(self, edits: dict[str, list[types.TextEdit]]) -> dict[str, Optional[int]]:
        return {uri: self.server.documents.version(uri) for uri in edits}

    def highlights(self, params: types.DocumentHighlightParams) -> Optional[list[types.DocumentHighlight]]:
        snap = self.server.snapshot(params.text_document.uri)
        if snap is None:
            return None
        loaded = self.server.projects.state_for(params.text_document.uri).lineage.loaded
        return highlights(snap.parsed, snap.offset(params.position), snap.ctx, snap.index, loaded)

    def with_instance_count(
        self, uri: str, position: types.Position, hover: Optional[types.Hover]
    ) -> Optional[types.Hover]:
        """On a `type:` value, the hover gains "N instances in the workspace" (before its package footer)."""
        snap, name, _ = self._at(uri, position)
        if hover is None or name is None or name.kind != TYPE:
            return hover
        return counted_hover(hover, instance_count(self.same_type(uri, name, self.files(uri)), name.name))

    def same_type(self, uri: str, name: Name, files: list[WorkspaceFile]) -> list[WorkspaceFile]:
        """For a type of the project's own modules, only that project's files: another project's class of the
        same name is another class. Installed packages' types are the same across the workspace."""
        project = self.server.projects.state_for(uri).project
        if name.kind != TYPE or project is None or not name.name.startswith(project.root_module + "."):
            return files
        return [f for f in files if f.path.is_relative_to(project.root)]
