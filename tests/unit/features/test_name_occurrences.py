"""The names under the cursor and where files name them, without a registry (types resolve by name)."""

from pathlib import Path

import pytest
from lsprotocol import types

from dagster_components_ls.features.references import (
    ASSET,
    TYPE,
    WorkspaceFile,
    counted_hover,
    highlights,
    instance_count,
    name_at,
    occurrences,
    references,
)
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.loaded import Loaded
from dagster_components_ls.model.positions import LineIndex

CTX = CheckContext(registry=None, folder="/p/src/acme/defs/reports", folder_module="acme.defs.reports")
OTHER = CheckContext(registry=None, folder="/p/src/acme/defs/other", folder_module="acme.defs.other")

REPORTS = (
    "type: .weekly_report.WeeklyReport\n"
    "attributes:\n"
    "  asset_key: reports/digest\n"
    "  sources: [research/churn, 'orders']\n"
    "  owner: orders\n"
    "---\n"
    "type: acme.defs.reports.weekly_report.WeeklyReport\n"
    "attributes:\n"
    '  asset_key: "reports/other"\n'
    "  deps:\n"
    "    - reports/digest\n"
    '    - "*"\n'
)


def cut(text: str, span) -> str:
    return text[span.start : span.end]


def test_name_at_a_relative_type_is_its_absolute_name():
    name = name_at(parse_file(REPORTS), REPORTS.index("weekly"), CTX)
    assert (name.kind, name.name, cut(REPORTS, name.span)) == (
        TYPE,
        "acme.defs.reports.weekly_report.WeeklyReport",
        ".weekly_report.WeeklyReport",
    )


def test_name_at_asset_keys_in_asset_fields_only():
    parsed = parse_file(REPORTS)
    quoted = name_at(parsed, REPORTS.index("orders'"), CTX)
    assert (quoted.kind, quoted.name, cut(REPORTS, quoted.span)) == (ASSET, "orders", "orders")
    assert name_at(parsed, REPORTS.index("orders\n"), CTX) is None  # `owner: orders` names no asset
    assert name_at(parsed, REPORTS.index("attributes"), CTX) is None  # a key
    # ...unless the load knows the scalar as an asset
    loaded = Loaded.from_result({"assets": [{"key": "orders"}]})
    assert name_at(parsed, REPORTS.index("orders\n"), CTX, loaded).name == "orders"


def test_occurrences_of_a_type_resolve_relative_names():
    parsed = parse_file(REPORTS)
    name = name_at(parsed, 8, CTX)
    assert [cut(REPORTS, o.span) for o in occurrences(parsed, name, CTX)] == [
        ".weekly_report.WeeklyReport",
        "acme.defs.reports.weekly_report.WeeklyReport",
    ]
    # In another folder, `.weekly_report.WeeklyReport` is another type.
    assert [cut(REPORTS, o.span) for o in occurrences(parsed, name, OTHER)] == [
        "acme.defs.reports.weekly_report.WeeklyReport"
    ]


def test_references_across_files_and_without_the_declaration():
    other = 'type: x.Y\nattributes:\n  deps: ["reports/digest"]\n'
    files = [
        WorkspaceFile(Path("/p/a/defs.yaml"), parse_file(REPORTS), CTX),
        WorkspaceFile(Path("/p/b/defs.yaml"), parse_file(other), OTHER),
    ]
    name = name_at(files[0].parsed, REPORTS.index("reports/digest"), CTX)
    found = references(name, files, "utf-16")
    shape = [(loc.uri, loc.range.start.line, loc.range.start.character, loc.range.end.character) for loc in found]
    assert shape == [
        ("file:///p/a/defs.yaml", 2, 13, 27),
        ("file:///p/a/defs.yaml", 10, 6, 20),
        ("file:///p/b/defs.yaml", 2, 10, 24),
    ]
    assert len(references(name, files, "utf-16", include_writes=False)) == 2


def test_highlights_mark_the_producing_field_as_write():
    index = LineIndex(REPORTS)
    found = highlights(parse_file(REPORTS), REPORTS.index("- reports/digest") + 3, CTX, index)
    assert [(h.range.start.line, h.range.start.character, h.kind) for h in found] == [
        (2, 13, types.DocumentHighlightKind.Write),
        (10, 6, types.DocumentHighlightKind.Read),
    ]


def test_instance_count():
    files = [WorkspaceFile(Path("/p/a/defs.yaml"), parse_file(REPORTS), CTX)] * 3
    assert instance_count(files, "acme.defs.reports.weekly_report.WeeklyReport") == 6
    assert instance_count(files, "acme.Missing") == 0


@pytest.mark.parametrize(
    "text",
    ["type: \n", "type: a.B\nattributes:\n  deps: [a, \n", "attributes:\n  asset_key: [\n", "- - :\n", "", "---\n"],
)
def test_half_typed_documents_answer_without_crashing(text):
    parsed = parse_file(text)
    for offset in range(len(text) + 1):
        name = name_at(parsed, offset, CTX)
        if name is not None:
            occurrences(parsed, name, CTX)
        highlights(parsed, offset, CTX, LineIndex(text))


def test_counted_hover_puts_the_count_before_the_package_footer():
    def hover(value):
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=value))

    assert counted_hover(hover("**T**\n\ndocs\n\n---\n\nPackage `p`"), 2).contents.value == (
        "**T**\n\ndocs\n\n2 instances in the workspace\n\n---\n\nPackage `p`"
    )
    assert counted_hover(hover("**T**"), 1).contents.value == "**T**\n\n1 instance in the workspace"
