"""The LanguageServer object wiring its services, and every @server.feature (each a few lines)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Optional

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .. import __version__
from ..checks.diagnostics import resolve_type
from ..features.completion import complete
from ..features.components import component_list
from ..features.definition import definition, document_links
from ..features.hover import hover
from ..features.lineage import asset_at, asset_completions, asset_hover, lens_title, lineage_view
from ..features.lsp_ranges import lsp_range
from ..features.symbols import document_symbols, workspace_symbols
from ..model.uris import canonical, from_path, to_path
from ..worker import protocol
from .client_calls import ClientCalls
from .documents import COMPONENT_FILE_NAMES, Documents, Snapshot, is_component_file
from .lineage_schedule import LineageSchedule
from .projects import ProjectState, Projects
from .publishing import Publishing
from .rpc import ComponentsProtocol, serve_stdio
from .settings import Settings

# Modules used only after start-up (background checks, quick fixes, scaffolding, policy config) are
# imported where they are used: the server answers its first completion ~0.1 s sooner.

REQUEST_WAIT_SECONDS = 3.0
SCAFFOLD_TIMEOUT_SECONDS = 60.0
COMPONENTS_REQUEST = "dagster/components"
LINEAGE_REQUEST = "dagster/lineage"
DEBUG_REQUEST = "dagster/debug"
SHOW_LINEAGE_COMMAND = "dagster.showLineage"
REFRESH_COMMAND = "dagster.refreshRegistry"
SCAFFOLD_COMMAND = "dagster.scaffold"


class ComponentsLanguageServer(LanguageServer):
    """The pygls server: settings, and the services that hold the state (documents, projects,
    diagnostics publishing, lineage scheduling, calls to the client)."""

    def __init__(self) -> None:
        super().__init__("dagster-components-ls", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=ComponentsProtocol)
        self.settings = Settings()
        self.documents = Documents(self)
        self.projects = Projects(self)
        self.publishing = Publishing(self)
        self.lineage = LineageSchedule(self)
        self.client = ClientCalls(self)

    def snapshot(self, uri: str) -> Optional[Snapshot]:
        """What the features answer from; None for files that are not component files."""
        if not is_component_file(uri) or self.documents.get(uri) is None:
            return None
        text, parsed, index = self.documents.parse(uri)
        return Snapshot(text, parsed, index, self.projects.context_for(uri, self.projects.state_for(uri)))

    async def ready_snapshot(self, uri: str) -> Optional[Snapshot]:
        """A snapshot for answering a request: right after start-up, wait briefly for the registry
        (a warm cache takes ~0.1 s) rather than answer without the component types."""
        snap = self.snapshot(uri)
        if snap is not None and snap.ctx.registry is None:
            state = self.projects.state_for(uri)
            if state.loading is not None and not state.building.is_set():
                # Only while the cache may answer: a worker's build takes seconds to minutes (a module
                # that hangs), and every request would wait in vain; they answer from what is known.
                building = asyncio.ensure_future(state.building.wait())
                await asyncio.wait([state.loading, building], timeout=REQUEST_WAIT_SECONDS,
                                   return_when=asyncio.FIRST_COMPLETED)
                building.cancel()
                snap = self.snapshot(uri)
        return snap

    def opened(self, uri: str) -> None:
        """A document opened (or saved): publish it, learn its types, load its project's lineage once."""
        self.publishing.schedule(uri)
        if is_component_file(uri):
            self.projects.learn_types(uri)
            self.lineage.want(self.projects.state_for(uri), only_if_missing=True)

    def closed(self, uri: str) -> None:
        self.documents.forget(uri)
        self.publishing.close(uri)


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


server = ComponentsLanguageServer()


@server.feature(types.INITIALIZE)
def on_initialize(ls: ComponentsLanguageServer, params: types.InitializeParams) -> None:
    ls.settings = Settings.from_options(params.initialization_options)


@server.feature(types.INITIALIZED)
async def on_initialized(ls: ComponentsLanguageServer, params: types.InitializedParams) -> None:
    ls.projects.start_polling()
    ls.projects.warm_up()
    await ls.client.watch_files()


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
def on_configuration(ls: ComponentsLanguageServer, params: types.DidChangeConfigurationParams) -> None:
    settings = ls.settings.reconfigured(params.settings)
    if isinstance(params.settings, dict) and settings != ls.settings:
        distrusted = ls.settings.trusted and not settings.trusted
        ls.settings = settings
        ls.projects.reconfigure(distrusted)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def on_open(ls: ComponentsLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.opened(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def on_change(ls: ComponentsLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.publishing.schedule(params.text_document.uri)


@server.feature(types.SHUTDOWN)
def on_shutdown(ls: ComponentsLanguageServer, params: Any) -> None:
    """Stop the workers with the server (their process groups, dbt children included)."""
    ls.projects.stop_all()


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def on_close(ls: ComponentsLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.closed(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def on_save(ls: ComponentsLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.projects.changed_code([params.text_document.uri])
    if is_component_file(params.text_document.uri) and ls.documents.get(params.text_document.uri) is not None:
        ls.projects.learn_types(params.text_document.uri)


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def on_watched_files(ls: ComponentsLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
    ls.projects.changed_code([change.uri for change in params.changes])


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
    loaded = ls.projects.state_for(params.text_document.uri).lineage.loaded
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
    loaded = ls.projects.state_for(params.text_document.uri).lineage.loaded
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
    loaded = ls.projects.state_for(params.text_document.uri).lineage.loaded
    found = asset_at(snap.parsed, snap.offset(params.position), loaded) if loaded is not None else None
    producer = loaded.assets[found[0]].get("producer") if found is not None else None  # type: ignore[union-attr]
    if isinstance(producer, dict):
        location = ls.documents.document_location(producer["path"], producer.get("document"))
        if location is not None:
            return [types.Location(uri=location["uri"], range=_lsp_range(location["range"]))]
    return definition(snap.parsed, snap.offset(params.position), snap.ctx, snap.index)


def _lsp_range(r: dict) -> types.Range:
    return types.Range(start=types.Position(**r["start"]), end=types.Position(**r["end"]))


@server.feature(types.TEXT_DOCUMENT_CODE_LENS)
def on_code_lens(ls: ComponentsLanguageServer, params: types.CodeLensParams) -> Optional[list[types.CodeLens]]:
    """Above each document's `type:`: how many assets it produces and their direct neighbours."""
    snap = ls.snapshot(params.text_document.uri)
    state = ls.projects.state_for(params.text_document.uri) if snap is not None else None
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
    state, loaded = await ls.lineage.loaded_for(uri, wait=True)
    path = str(to_path(uri))
    if loaded is None:
        message = state.lineage.error or _why_no_lineage(ls, state)
        return {"assets": [], "edges": [], "errors": [{"message": message, "uri": uri, "range": None}],
                "stale": state.lineage.stale}
    view = lineage_view(loaded, path, document if isinstance(document, int) else None,
                        depth if isinstance(depth, int) else 1, state.lineage.stale,
                        ls.documents.document_location, ls.documents.error_location)
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
    files, roots = ls.projects.workspace_files()
    encoding = ls.documents.position_encoding()
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
    return of_kinds(fixes + scaffold_actions(snap, uri, ls.projects.used_types(snap.ctx.project_root)), params.context.only)


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
    state = ls.projects.state_for(from_path(folder / "defs.yaml"))
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
    result = {"applied": answer.applied, "files": [str(f.path) for f in files]}
    if not answer.applied:
        why = answer.failure_reason or "it declined"
        result["failureReason"] = message = f"Scaffold {typename}: the editor did not apply the edit ({why})"
        ls.client.show_message(types.MessageType.Error, message)
    return result


def _first_arg(args: tuple) -> dict:
    """Commands arrive as `[{...}]` (pygls may pass the list itself, or its items)."""
    first = args[0] if args else {}
    if isinstance(first, list):
        first = first[0] if first else {}
    return dict(first) if isinstance(first, dict) else {}


@server.command(REFRESH_COMMAND)
def on_refresh(ls: ComponentsLanguageServer, *args: Any) -> None:
    ls.projects.reload_all()


@server.feature(COMPONENTS_REQUEST)
async def on_components(ls: ComponentsLanguageServer, params: Any) -> list[dict]:
    uri = getattr(params, "uri", None) or (params.get("uri") if isinstance(params, dict) else None)
    state = ls.projects.state_for(uri) if uri else ls.projects.any_state()
    if state.loading is not None:
        await state.loading
    return component_list(state.registry) if state.registry else []


@server.feature(DEBUG_REQUEST)
def on_debug(ls: ComponentsLanguageServer, params: Any) -> dict:
    """Internal, for the tests (no client may rely on it): the size of pygls' table of in-flight handlers."""
    return {"pendingFutures": ls.protocol.pending_futures()}


def serve(tcp: Optional[str] = None, python: Optional[str] = None) -> int:
    """Serve until `exit` (or the client is gone); the exit status, 0 only after `shutdown`."""
    server.projects.python_override = python
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
        return 0
    return asyncio.run(_serve_stdio())


async def _serve_stdio() -> int:
    try:
        return await serve_stdio(server.protocol, lambda: server.process_id)
    finally:
        server.projects.stop_all()  # an `exit` without `shutdown`, a client gone: workers too
        server.shutdown()
