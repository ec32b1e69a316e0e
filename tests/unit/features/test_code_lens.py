"""code_lens.py: one lens per document with a `type:` key, titled from the last load, running showLineage."""

from lsprotocol import types

from dagster_components_ls.features.code_lens import SHOW_LINEAGE_COMMAND, code_lenses
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.loaded import Loaded
from dagster_components_ls.model.positions import LineIndex

URI = "file:///p/defs/jobs/defs.yaml"
TEXT = "type: x.Job\nattributes: {}\n---\nattributes: {}\n---\n# a comment\ntype: x.Other\n"
LOADED = Loaded.from_result(
    {
        "assets": [
            {"key": "a", "deps": [], "producer": {"path": "/p/defs/jobs/defs.yaml", "document": 0}},
            {"key": "b", "deps": ["a"], "producer": {"path": "/p/defs/other/defs.yaml", "document": 0}},
        ]
    }
)


def lenses(loaded, failure=None):
    return [
        (lens.range.start.line, lens.range.end.character, lens.command.title, lens.command.arguments)
        for lens in code_lenses(parse_file(TEXT), LineIndex(TEXT), URI, loaded, failure)
    ]


def test_a_lens_on_each_type_key_with_the_documents_assets():
    assert lenses(LOADED) == [
        (0, 4, "1 asset · 0 upstream · 1 downstream", [{"uri": URI, "document": 0}]),
        (6, 4, "0 assets · 0 upstream · 0 downstream", [{"uri": URI, "document": 2}]),
    ]


def test_before_the_first_load_and_when_it_failed():
    assert [title for _, _, title, _ in lenses(None)] == ["Loading assets…", "Loading assets…"]
    assert [title for _, _, title, _ in lenses(None, "worker died")] == ["No lineage: worker died"] * 2


def test_the_lens_runs_show_lineage():
    lens = code_lenses(parse_file(TEXT), LineIndex(TEXT), URI, LOADED, None)[0]
    assert lens.command == types.Command(
        title="1 asset · 0 upstream · 1 downstream",
        command=SHOW_LINEAGE_COMMAND,
        arguments=[{"uri": URI, "document": 0}],
    )
    assert SHOW_LINEAGE_COMMAND == "dagster.showLineage"
