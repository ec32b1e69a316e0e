"""The LanguageServer object wiring its services, and every @server.feature (each a few lines)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Optional, cast

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .. import __version__
from ..features.asset_answers import (
    complete_with_assets,
    definition_with_assets,
    hover_with_assets,
    lineage_result,
)
from ..features.code_lens import SHOW_LINEAGE_COMMAND, code_lenses
from ..features.components import component_list
from ..features.definition import document_links
from ..features.diagnostic_reports import DIAGNOSTIC_OPTIONS, DocumentReport, supports_pull
from ..features.semantic_tokens import LEGEND, semantic_tokens
from ..features.signature_help import signature_help
from ..features.symbols import document_symbols, workspace_symbols
from ..model.positions import Span
from ..model.uris import to_path
from ..project.files import text_or_none
from .client_calls import ClientCalls
from .documents import Documents, Snapshot, is_component_file
from .lineage_schedule import LineageSchedule
from .params import first_arg, lineage_request, resolved_request
from .projects import Projects
from .publishing import Publishing
from .rendering import Rendering, resolved_answer
from .rpc import ComponentsProtocol, serve_stdio
from .scaffold_command import run_scaffold
from .settings import Settings
from .workspace_checks import WorkspaceChecks
from .workspace_names import WorkspaceNames

# Modules used only after start-up (background checks, quick fixes, scaffolding, policy config) are
# imported where they are used: the server answers its first completion ~0.1 s sooner.

REQUEST_WAIT_SECONDS = 3.0
COMPONENTS_REQUEST = "dagster/components"
LINEAGE_REQUEST = "dagster/lineage"
DEBUG_REQUEST = "dagster/debug"
RESOLVED_REQUEST = "dagster/resolved"
REFRESH_COMMAND = "dagster.refreshRegistry"
SCAFFOLD_COMMAND = "dagster.scaffold"


class ComponentsLanguageServer(LanguageServer):
    """The pygls server: settings, and the services that hold the state (documents, projects,
    diagnostics publishing, lineage scheduling, calls to the client)."""

    def __init__(self) -> None:
        super().__init__(
            "dagster-components-ls",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=ComponentsProtocol,
        )
        self.settings = Settings()
        self.pull_diagnostics = False
        """The client pulls open documents' diagnostics (decided at `initialize`, see supports_pull); else
        every diagnostic is pushed. Never both for one file: the editor would show each twice."""
        self.documents = Documents(self)
        self.projects = Projects(self)
        self.publishing = Publishing(self)
        self.workspace_checks = WorkspaceChecks(self)
        self.lineage = LineageSchedule(self)
        self.client = ClientCalls(self)
        self.names = WorkspaceNames(self)
        self.rendering = Rendering(self)

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
                await asyncio.wait(
                    [state.loading, building], timeout=REQUEST_WAIT_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                building.cancel()
                snap = self.snapshot(uri)
        return snap

    def opened(self, uri: str) -> None:
        """A document opened: publish it, learn the types it uses, load its project's lineage if none is."""
        self.publishing.schedule(uri)
        self.workspace_checks.opened(uri)
        if is_component_file(uri):
            self.projects.learn_types(uri)
            self.lineage.want(self.projects.state_for(uri), only_if_missing=True)

    def closed(self, uri: str) -> None:
        """A document closed: its parse and pending checks are dropped, its diagnostics cleared."""
        self.documents.forget(uri)
        self.rendering.forget(uri)
        self.publishing.close(uri)


server = ComponentsLanguageServer()


@server.feature(types.INITIALIZE)
def on_initialize(ls: ComponentsLanguageServer, params: types.InitializeParams) -> None:
    ls.settings = Settings.from_options(params.initialization_options)
    ls.pull_diagnostics = supports_pull(params.capabilities)


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
        workspace_changed = settings.diagnostics_workspace != ls.settings.diagnostics_workspace
        ls.settings = settings
        ls.projects.reconfigure(distrusted)
        if workspace_changed:
            ls.workspace_checks.reconfigured()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def on_open(ls: ComponentsLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.opened(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def on_change(ls: ComponentsLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.publishing.schedule(params.text_document.uri)


@server.feature(types.SHUTDOWN)
def on_shutdown(ls: ComponentsLanguageServer, params: Any) -> None:
    """Stop the workers with the server (their process groups, dbt children included), and the checks of closed files."""
    ls.workspace_checks.stop()
    ls.projects.stop_all()


@server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, DIAGNOSTIC_OPTIONS)
async def on_document_diagnostic(
    ls: ComponentsLanguageServer, params: types.DocumentDiagnosticParams
) -> DocumentReport:
    """Pull mode: the open document's diagnostics (as push would send them), or unchanged."""
    await ls.ready_snapshot(params.text_document.uri)
    return ls.publishing.report(params.text_document.uri, params.previous_result_id)


@server.feature(types.WORKSPACE_DIAGNOSTIC)
def on_workspace_diagnostic(
    ls: ComponentsLanguageServer, params: types.WorkspaceDiagnosticParams
) -> types.WorkspaceDiagnosticReport:
    """Open documents' and closed component files' diagnostics; from the first of these requests on, closed
    files are no longer pushed."""
    previous = {known.uri: known.value for known in params.previous_result_ids}
    items = ls.workspace_checks.pulled_reports(previous, ls.publishing.open_reports())
    return types.WorkspaceDiagnosticReport(items=items)


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
    ls.projects.forget_walk(params.changes)
    ls.projects.changed_code([change.uri for change in params.changes])
    ls.workspace_checks.files_changed([change.uri for change in params.changes])


@server.feature(
    types.TEXT_DOCUMENT_COMPLETION,
    types.CompletionOptions(trigger_characters=[":", " ", ".", "{", "-", "'", '"'], resolve_provider=False),
)
async def on_completion(ls: ComponentsLanguageServer, params: types.CompletionParams) -> Optional[types.CompletionList]:
    uri = params.text_document.uri
    snap = await ls.ready_snapshot(uri)
    if snap is None:
        return None
    state = ls.projects.state_for(uri)
    where = (snap.parsed, snap.offset(params.position), snap.ctx, snap.index)
    loaded, dbt = state.lineage.loaded, ls.publishing.dbt_answer(uri)
    return complete_with_assets(*where, os.environ, loaded, str(to_path(uri)), dbt, state.dbt)


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def on_hover(ls: ComponentsLanguageServer, params: types.HoverParams) -> Optional[types.Hover]:
    snap = await ls.ready_snapshot(params.text_document.uri)
    if snap is None:
        return None
    state = ls.projects.state_for(params.text_document.uri)
    dbt, offset = ls.publishing.dbt_answer(params.text_document.uri), snap.offset(params.position)
    answer = hover_with_assets(snap.parsed, offset, snap.ctx, snap.index, state.lineage.loaded, dbt, state.dbt)
    return ls.names.with_instance_count(params.text_document.uri, params.position, answer)


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
async def on_references(ls: ComponentsLanguageServer, params: types.ReferenceParams) -> Optional[list[types.Location]]:
    """A type's instances, an asset key's producer and every file naming it, a template variable's uses."""
    await ls.ready_snapshot(params.text_document.uri)
    return ls.names.references(params)


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
async def on_prepare_rename(
    ls: ComponentsLanguageServer, params: types.PrepareRenameParams
) -> Optional[types.Range | types.PrepareRenamePlaceholder]:
    await ls.ready_snapshot(params.text_document.uri)
    return ls.names.prepare_rename(params)


@server.feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))
async def on_rename(ls: ComponentsLanguageServer, params: types.RenameParams) -> Optional[types.WorkspaceEdit]:
    """Asset keys written in YAML and template variables; refused (RequestFailed) with the reason."""
    await ls.ready_snapshot(params.text_document.uri)
    return ls.names.rename(params)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
async def on_document_highlight(
    ls: ComponentsLanguageServer, params: types.DocumentHighlightParams
) -> Optional[list[types.DocumentHighlight]]:
    await ls.ready_snapshot(params.text_document.uri)
    return ls.names.highlights(params)


@server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, LEGEND)
async def on_semantic_tokens(
    ls: ComponentsLanguageServer, params: types.SemanticTokensParams
) -> Optional[types.SemanticTokens]:
    """The tokens of `{{ }}` templates (the YAML around them is the client's grammar's)."""
    snap = await ls.ready_snapshot(params.text_document.uri)
    return semantic_tokens(snap.parsed, snap.index, snap.ctx) if snap else None


@server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_RANGE, LEGEND)
async def on_semantic_tokens_range(
    ls: ComponentsLanguageServer, params: types.SemanticTokensRangeParams
) -> Optional[types.SemanticTokens]:
    snap = await ls.ready_snapshot(params.text_document.uri)
    if snap is None:
        return None
    span = Span(snap.offset(params.range.start), snap.offset(params.range.end))
    return semantic_tokens(snap.parsed, snap.index, snap.ctx, span)


@server.feature(
    types.TEXT_DOCUMENT_SIGNATURE_HELP,
    types.SignatureHelpOptions(trigger_characters=["(", ","], retrigger_characters=[")"]),
)
async def on_signature_help(
    ls: ComponentsLanguageServer, params: types.SignatureHelpParams
) -> Optional[types.SignatureHelp]:
    """Inside a template call: the callee's real parameters, the one being written active."""
    snap = await ls.ready_snapshot(params.text_document.uri)
    return signature_help(snap.parsed, snap.offset(params.position), snap.ctx, text_or_none) if snap else None


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
async def on_definition(ls: ComponentsLanguageServer, params: types.DefinitionParams) -> Optional[list[types.Location]]:
    snap = await ls.ready_snapshot(params.text_document.uri)
    if snap is None:
        return None
    state = ls.projects.state_for(params.text_document.uri)
    offset, locate, read = snap.offset(params.position), ls.documents.document_location, ls.documents.text_at
    return definition_with_assets(
        snap.parsed, offset, snap.ctx, snap.index, state.lineage.loaded, locate, state.dbt, read
    )


@server.feature(types.TEXT_DOCUMENT_CODE_LENS)
def on_code_lens(ls: ComponentsLanguageServer, params: types.CodeLensParams) -> Optional[list[types.CodeLens]]:
    """Above each document's `type:`: how many assets it produces and their direct neighbours."""
    uri = params.text_document.uri
    snap = ls.snapshot(uri)
    state = ls.projects.state_for(uri) if snap is not None else None
    shown = ls.settings.lineage_enabled and ls.settings.trusted
    if snap is None or state is None or state.project is None or not shown:
        return None
    return code_lenses(snap.parsed, snap.index, uri, state.lineage.loaded, state.lineage.error)


@server.feature(LINEAGE_REQUEST)
async def on_lineage(ls: ComponentsLanguageServer, params: Any) -> dict:
    """`{textDocument: {uri}, document?, depth?}` -> DESIGN's lineage result (the last good graph, `stale`
    while a newer load runs; the first request waits for the first load)."""
    uri, document, depth = lineage_request(params)
    state, loaded = await ls.lineage.loaded_for(uri, wait=True)
    why, docs = ls.lineage.why_none(state), ls.documents
    return lineage_result(loaded, uri, document, depth, state.lineage, why, docs.document_location, docs.error_location)


@server.command(SHOW_LINEAGE_COMMAND)
async def on_show_lineage(ls: ComponentsLanguageServer, *args: Any) -> Optional[dict]:
    """`[{uri, document}]`: the lineage of that document (VS Code opens its panel instead)."""
    request = first_arg(args)
    if not isinstance(request.get("uri"), str):
        return None
    return await on_lineage(ls, {"textDocument": {"uri": request["uri"]}, "document": request.get("document")})


@server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
async def on_inlay_hint(ls: ComponentsLanguageServer, params: types.InlayHintParams) -> Optional[list[types.InlayHint]]:
    """After each `{{ }}` value, what Dagster renders it to (the worker's, trusted workspaces only)."""
    if not ls.settings.inlay_hints_enabled:
        return None
    rendered = await ls.rendering.rendered(params.text_document.uri)
    if rendered is None or rendered.error is not None:
        return None
    from ..features.inlay_hints import inlay_hints

    show_env = ls.settings.inlay_hints_show_env_values
    return inlay_hints(rendered.snapshot.parsed, rendered.snapshot.index, rendered.answer, show_env, params.range)


@server.feature(RESOLVED_REQUEST)
async def on_resolved(ls: ComponentsLanguageServer, params: Any) -> dict:
    """`{textDocument: {uri}, document?}` -> `{text, errors}`: the document after Dagster's templating."""
    uri, document = resolved_request(params)
    return resolved_answer(await ls.rendering.rendered(uri), document)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK)
def on_document_link(
    ls: ComponentsLanguageServer, params: types.DocumentLinkParams
) -> Optional[list[types.DocumentLink]]:
    snap = ls.snapshot(params.text_document.uri)
    return document_links(snap.parsed, snap.ctx, snap.index, exists=Path.exists) if snap else None


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def on_document_symbol(
    ls: ComponentsLanguageServer, params: types.DocumentSymbolParams
) -> Optional[list[types.DocumentSymbol]]:
    snap = ls.snapshot(params.text_document.uri)
    return document_symbols(snap.parsed, snap.ctx, snap.index) if snap else None


@server.feature(types.WORKSPACE_SYMBOL)
def on_workspace_symbol(
    ls: ComponentsLanguageServer, params: types.WorkspaceSymbolParams
) -> list[types.WorkspaceSymbol]:
    files, roots = ls.projects.workspace_files()
    return workspace_symbols(files, params.query, roots, ls.documents.position_encoding())


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.Refactor]),
)
def on_code_action(ls: ComponentsLanguageServer, params: types.CodeActionParams) -> Optional[list[types.CodeAction]]:
    uri, snap = params.text_document.uri, ls.snapshot(params.text_document.uri)
    if snap is None:
        return None
    from ..features.code_actions import code_actions, of_kinds
    from ..features.scaffolding import scaffold_actions

    fixes = code_actions(snap.parsed, list(params.context.diagnostics), snap.ctx, snap.index, uri)
    used = ls.projects.used_types(snap.ctx.project_root)
    return of_kinds(fixes + scaffold_actions(snap.text, snap.parsed, snap.ctx, uri, used), params.context.only)


@server.command(SCAFFOLD_COMMAND)
async def on_scaffold(ls: ComponentsLanguageServer, *args: Any) -> Optional[dict]:
    """`[{type, folder, params?, into?, append?}]`: see run_scaffold."""
    return await run_scaffold(ls, first_arg(args))


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
    return {"pendingFutures": cast(ComponentsProtocol, ls.protocol).pending_futures()}


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
        return await serve_stdio(cast(ComponentsProtocol, server.protocol), lambda: server.process_id)
    finally:
        server.workspace_checks.stop()
        server.projects.stop_all()  # an `exit` without `shutdown`, a client gone: workers too
        server.shutdown()
