"""Checking a new name and building the rename's edits."""

from pathlib import Path

import pytest
from lsprotocol import types

from dagster_components_ls.features.references import ASSET, TEMPLATE_VAR, Name, WorkspaceFile, name_at
from dagster_components_ls.features.rename import (
    RenameRefused,
    check_definitions,
    check_new_name,
    rename_edits,
    renameable,
    workspace_edit,
)
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.loaded import Loaded
from dagster_components_ls.model.positions import Span

CTX = CheckContext(registry=None, folder="/p/defs/a", folder_module="p.defs.a")
TEXT = "type: x.Y\nattributes:\n  asset_key: a/b\n  deps: [\"c\", 'a/b', a/b]\n"
FILES = [WorkspaceFile(Path("/p/defs/a/defs.yaml"), parse_file(TEXT), CTX)]
AB = Name(ASSET, "a/b", Span(0, 0))


def edits(result):
    return {
        uri: [(e.range.start.line, e.range.start.character, e.range.end.character, e.new_text) for e in es]
        for uri, es in result.items()
    }


def test_rename_keeps_quotes_and_flow_style():
    assert edits(rename_edits(AB, "a/z", FILES, "utf-16")) == {
        "file:///p/defs/a/defs.yaml": [(2, 13, 16, "a/z"), (3, 15, 18, "a/z"), (3, 21, 24, "a/z")]
    }


def test_a_plain_scalar_that_would_not_read_as_a_string_is_quoted():
    assert edits(rename_edits(AB, "2024", FILES, "utf-16"))["file:///p/defs/a/defs.yaml"] == [
        (2, 13, 16, '"2024"'),
        (3, 15, 18, "2024"),  # already inside quotes
        (3, 21, 24, '"2024"'),
    ]


def test_a_template_variable_renames_its_function_too():
    var = Name(TEMPLATE_VAR, "owner", Span(0, 0), origin="/p/vars.py")
    r = types.Range(start=types.Position(line=3, character=4), end=types.Position(line=3, character=9))
    definition = types.Location(uri="file:///p/vars.py", range=r)
    assert edits(rename_edits(var, "lead", [], "utf-16", [definition])) == {"file:///p/vars.py": [(3, 4, 9, "lead")]}


@pytest.mark.parametrize(
    ("name", "new", "loaded", "message"),
    [
        (AB, "c", None, "The asset key `c` already exists (in /p/defs/a/defs.yaml): the rename would merge two assets"),
        (
            AB,
            "dbt/orders",
            Loaded.from_result({"assets": [{"key": "dbt/orders"}]}),
            "An asset with the key `dbt/orders` already exists: the rename would merge two assets",
        ),
        (AB, "a b", None, "`a b` is not a valid asset key (parts of letters, digits and underscores, joined by `/`)"),
        (AB, "a//b", None, "`a//b` is not a valid asset key (parts of letters, digits and underscores, joined by `/`)"),
        (
            Name(TEMPLATE_VAR, "owner", Span(0, 0)),
            "env",
            None,
            "`env` is not a valid template variable name (a Python identifier)",
        ),
        (
            Name(TEMPLATE_VAR, "owner", Span(0, 0)),
            "9lives",
            None,
            "`9lives` is not a valid template variable name (a Python identifier)",
        ),
    ],
)
def test_refused_renames_say_why(name, new, loaded, message):
    with pytest.raises(RenameRefused) as refused:
        check_new_name(name, new, FILES, loaded)
    assert str(refused.value) == message


def test_accepted_names():
    check_new_name(AB, "a/b", FILES, None)  # unchanged
    check_new_name(AB, "new/key_2", FILES, None)
    check_new_name(Name(TEMPLATE_VAR, "owner", Span(0, 0)), "lead_owner", FILES, None)


def test_types_do_not_rename():
    parsed = parse_file(TEXT)
    assert not renameable(name_at(parsed, 7, CTX))
    assert renameable(name_at(parsed, TEXT.index("a/b"), CTX))
    assert not renameable(None)


def test_workspace_edit_with_and_without_versions():
    edit = types.TextEdit(
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=1)),
        new_text="x",
    )
    plain = workspace_edit({"file:///a": [edit]}, None)
    assert plain.changes == {"file:///a": [edit]} and plain.document_changes is None
    versioned = workspace_edit({"file:///a": [edit], "file:///b": [edit]}, {"file:///a": 3})
    assert [(c.text_document.uri, c.text_document.version) for c in versioned.document_changes] == [
        ("file:///a", 3),
        ("file:///b", None),
    ]


def test_an_asset_whose_producer_does_not_write_its_key_is_not_renamed():
    loaded = Loaded.from_result(
        {"assets": [{"key": "c", "producer": {"path": "/p/defs/a/defs.yaml", "document": 0}}, {"key": "a/b"}]}
    )
    with pytest.raises(RenameRefused) as refused:
        check_new_name(Name(ASSET, "c", Span(0, 0)), "d", FILES, loaded)
    assert str(refused.value) == (
        "`c` is produced by /p/defs/a/defs.yaml, which does not write the key as such: rename it where it is built"
    )
    written = Loaded.from_result({"assets": [{"key": "a/b", "producer": {"path": "/p/defs/a/defs.yaml"}}]})
    check_new_name(AB, "a/z", FILES, written)  # `asset_key: a/b` writes it


VARS_YAML = (
    "type: acme_platform.ResearchJob\n"
    "template_vars_module: .template_vars\n"
    "attributes:\n"
    '  owner: "{{ owner }}"\n'
    "  description: 'by {{ owner ~ cron }}'\n"
    "---\n"
    "type: acme_platform.ResearchJob\n"
    "attributes:\n"
    '  owner: "{{ owner }}"\n'  # no template_vars_module: another `owner`
)


def test_template_variable_uses_and_collisions(registry):
    from dataclasses import replace

    scope = {**registry.template_scope, "user_vars": {"/r/defs/reports/template_vars.py": ["owner", "cron"]}}
    ctx = CheckContext(registry=replace(registry, template_scope=scope), folder="/r/defs/reports", folder_module="r")
    parsed = parse_file(VARS_YAML)
    name = name_at(parsed, VARS_YAML.index("owner }}") + 2, ctx)
    assert (name.kind, name.name, name.origin) == (TEMPLATE_VAR, "owner", "/r/defs/reports/template_vars.py")
    files = [WorkspaceFile(Path("/r/defs/reports/defs.yaml"), parsed, ctx)]
    assert edits(rename_edits(name, "lead", files, "utf-16")) == {
        "file:///r/defs/reports/defs.yaml": [(3, 13, 18, "lead"), (4, 22, 27, "lead")]
    }
    with pytest.raises(RenameRefused) as refused:
        check_new_name(name, "cron", files, None)
    assert str(refused.value) == "A template variable `cron` is already defined beside `owner`"
    with pytest.raises(RenameRefused) as missing:
        check_definitions(name, [])
    assert str(missing.value) == "The `@template_var` function `owner` was not found: it would keep its name"


LISTED = (
    "type: x.Y\n"
    "attributes:\n"
    '  asset_key: ["research", "churn"]\n'
    "---\n"
    "type: x.Y\n"
    "attributes:\n"
    "  asset_key:\n"
    "    - research\n"
    "    - churn\n"
    "  deps: [research/churn]\n"
    "---\n"
    "type: x.Y\n"
    "attributes:\n"
    "  asset_key: [solo]\n"
)
LISTED_FILES = [WorkspaceFile(Path("/p/defs/a/defs.yaml"), parse_file(LISTED), CTX)]


def test_a_key_written_as_a_list_of_parts_is_one_key():
    parsed = parse_file(LISTED)
    flow = name_at(parsed, LISTED.index("churn"), CTX)
    block = name_at(parsed, LISTED.index("- churn"), CTX)
    solo = name_at(parsed, LISTED.index("solo"), CTX)
    assert [(n.kind, n.name, LISTED[n.span.start : n.span.end]) for n in (flow, block, solo)] == [
        (ASSET, "research/churn", '["research", "churn"]'),
        (ASSET, "research/churn", "- research\n    - churn"),
        (ASSET, "solo", "[solo]"),
    ]


def test_a_key_written_as_a_list_renames_part_by_part_or_as_a_new_flow_list():
    same_length = edits(rename_edits(Name(ASSET, "research/churn", Span(0, 0)), "ml/churn_v2", LISTED_FILES, "utf-16"))
    assert same_length == {
        "file:///p/defs/a/defs.yaml": [
            (2, 15, 23, "ml"),
            (2, 27, 32, "churn_v2"),
            (7, 6, 14, "ml"),
            (8, 6, 11, "churn_v2"),
            (9, 9, 23, "ml/churn_v2"),
        ]
    }
    longer = edits(rename_edits(Name(ASSET, "solo", Span(0, 0)), "a/b/2024", LISTED_FILES, "utf-16"))
    assert longer == {"file:///p/defs/a/defs.yaml": [(13, 13, 19, '[a, b, "2024"]')]}
    flow = edits(rename_edits(Name(ASSET, "research/churn", Span(0, 0)), "churn", LISTED_FILES, "utf-16"))
    assert flow["file:///p/defs/a/defs.yaml"][0] == (2, 13, 34, '["churn"]')


def test_a_parts_list_names_a_taken_key():
    with pytest.raises(RenameRefused, match="The asset key `solo` already exists"):
        check_new_name(Name(ASSET, "research/churn", Span(0, 0)), "solo", LISTED_FILES, None)
