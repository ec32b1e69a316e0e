"""Pull diagnostics (LSP 3.17) as pure values: which clients pull, result ids, full or unchanged reports."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Optional, Union

from lsprotocol import converters, types

DocumentReport = Union[types.RelatedFullDocumentDiagnosticReport, types.RelatedUnchangedDocumentDiagnosticReport]
WorkspaceItem = Union[types.WorkspaceFullDocumentDiagnosticReport, types.WorkspaceUnchangedDocumentDiagnosticReport]

DIAGNOSTIC_OPTIONS = types.DiagnosticOptions(
    identifier="dagster", inter_file_dependencies=True, workspace_diagnostics=True
)
"""What the server advertises in pull mode: a component's change affects the files that use it."""

_converter = converters.get_converter()


def supports_pull(capabilities: Optional[types.ClientCapabilities]) -> bool:
    """Pull mode needs both the request and the refresh: worker answers and registry refreshes arrive after
    the client pulled, and without `workspace/diagnostic/refresh` it would never see them (Neovim 0.11
    pulls per document but cannot be told to pull again, so it keeps push)."""
    if capabilities is None:
        return False
    document = capabilities.text_document
    workspace = capabilities.workspace
    refresh = workspace.diagnostics if workspace is not None else None
    return (
        document is not None
        and document.diagnostic is not None
        and refresh is not None
        and bool(refresh.refresh_support)
    )


def result_id(diagnostics: Sequence[types.Diagnostic], version: Optional[int]) -> str:
    """A digest of the report and the document version it is for: it changes exactly when what the client
    shows would (new text, worker answers, a registry refresh or load that changes a problem), so equal ids
    mean an `unchanged` answer is true. The version is part of it because editors move old markers with
    edits: after an edit a report is sent again even when it is equal."""
    payload = json.dumps([version, _converter.unstructure(list(diagnostics))], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def document_report(
    diagnostics: Sequence[types.Diagnostic], version: Optional[int], previous: Optional[str]
) -> DocumentReport:
    """An open document's answer to `textDocument/diagnostic`: unchanged when the client has this one."""
    current = result_id(diagnostics, version)
    if previous == current:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=current)
    return types.RelatedFullDocumentDiagnosticReport(items=list(diagnostics), result_id=current)


def workspace_items(
    reports: Mapping[str, tuple[Sequence[types.Diagnostic], Optional[int]]], previous: Mapping[str, str]
) -> list[WorkspaceItem]:
    """The answer to `workspace/diagnostic`: each file's report with the version it is for (None: the file
    on disk), in URI order, unchanged when `previousResultIds` names its current id."""
    items: list[WorkspaceItem] = []
    for uri in sorted(reports):
        diagnostics, version = reports[uri]
        current = result_id(diagnostics, version)
        if previous.get(uri) == current:
            items.append(types.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, result_id=current, version=version))
        else:
            items.append(
                types.WorkspaceFullDocumentDiagnosticReport(
                    uri=uri, items=list(diagnostics), result_id=current, version=version
                )
            )
    return items
