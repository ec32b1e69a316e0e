"""diagnostic_reports.py: which clients pull, result ids that change exactly with the report, unchanged answers."""

import pytest
from lsprotocol import types

from dagster_components_ls.features.diagnostic_reports import (
    document_report,
    result_id,
    supports_pull,
    workspace_items,
)


def diagnostic(code: str, line: int = 0) -> types.Diagnostic:
    span = types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=4))
    return types.Diagnostic(range=span, message=f"{code} here", code=code, source="dagster")


def capabilities(document: bool, refresh: bool | None) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            diagnostic=types.DiagnosticClientCapabilities(dynamic_registration=False) if document else None
        ),
        workspace=types.WorkspaceClientCapabilities(
            diagnostics=None
            if refresh is None
            else types.DiagnosticWorkspaceClientCapabilities(refresh_support=refresh)
        ),
    )


@pytest.mark.parametrize(
    "client, expected",
    [
        pytest.param(capabilities(document=True, refresh=True), True, id="request-and-refresh"),
        pytest.param(capabilities(document=True, refresh=None), False, id="request-only-like-neovim-0.11"),
        pytest.param(capabilities(document=True, refresh=False), False, id="refresh-announced-false"),
        pytest.param(capabilities(document=False, refresh=True), False, id="refresh-only"),
        pytest.param(types.ClientCapabilities(), False, id="nothing"),
        pytest.param(None, False, id="no-capabilities"),
    ],
)
def test_supports_pull(client, expected):
    assert supports_pull(client) is expected


def test_result_id_follows_the_report_and_the_version():
    report = [diagnostic("invalid-value", 9)]
    assert result_id(report, 3) == result_id([diagnostic("invalid-value", 9)], 3)
    assert len({result_id(report, 3), result_id(report, 4), result_id([], 3), result_id(report, None)}) == 4
    assert result_id([diagnostic("invalid-value", 10)], 3) != result_id(report, 3)


def test_document_report_is_unchanged_only_for_the_current_id():
    report = [diagnostic("yaml-syntax")]
    full = document_report(report, 2, None)
    assert full == types.RelatedFullDocumentDiagnosticReport(items=report, result_id=result_id(report, 2))
    assert document_report(report, 2, full.result_id) == types.RelatedUnchangedDocumentDiagnosticReport(
        result_id=full.result_id
    )
    assert document_report(report, 3, full.result_id) == types.RelatedFullDocumentDiagnosticReport(
        items=report, result_id=result_id(report, 3)
    )


def test_workspace_items_answer_unchanged_for_known_ids_and_full_for_the_rest():
    bad, good, typed = [diagnostic("unknown-attribute", 3)], [], [diagnostic("invalid-value", 1)]
    reports = {"file:///p/b.yaml": (bad, None), "file:///p/a.yaml": (good, None), "file:///p/open.yaml": (typed, 7)}
    previous = {"file:///p/b.yaml": result_id(bad, None), "file:///p/a.yaml": "stale", "file:///p/open.yaml": "x"}
    assert workspace_items(reports, previous) == [
        types.WorkspaceFullDocumentDiagnosticReport(
            uri="file:///p/a.yaml", items=[], result_id=result_id(good, None), version=None
        ),
        types.WorkspaceUnchangedDocumentDiagnosticReport(
            uri="file:///p/b.yaml", result_id=result_id(bad, None), version=None
        ),
        # An open document's report is for its version, with the id textDocument/diagnostic gives it.
        types.WorkspaceFullDocumentDiagnosticReport(
            uri="file:///p/open.yaml", items=typed, result_id=result_id(typed, 7), version=7
        ),
    ]
    assert workspace_items({}, previous) == []
