"""inlay_hints.py and resolved_view.py: a worker `render` answer turned into hints and the resolved YAML."""

import pytest
from lsprotocol import types

from dagster_components_ls.features.inlay_hints import inlay_hints, shortened
from dagster_components_ls.features.resolved_view import resolved_view
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import LineIndex

TEXT = """\
type: shop.Card  # a comment
attributes:
  title: "{{ env.TITLE }}"
  body: "{{ env.BODY }} and more"
  path: '{{ context.project_root }}/a/very/long/path/that/goes/on/and/on'
  later: "{{ node.name }}"
  plain: text
"""


def value(path, text=None, env=(), error=None, runtime=False, val=None):
    return {
        "path": path,
        "text": text,
        "value": val if val is not None else text,
        "env": [{"name": n, "set": s, "default": d} for n, s, d in env],
        "error": error,
        "runtime": runtime,
    }


ANSWER = {
    "results": [
        {
            "index": 0,
            "skipped": None,
            "failed": None,
            "values": [
                value(["attributes", "title"], "${TITLE}", [("TITLE", True, False)]),
                value(["attributes", "body"], "None and more", [("BODY", False, False)]),
                value(["attributes", "path"], "/p/a/very/long/path/that/goes/on/and/on/and/on"),
                value(["attributes", "later"], runtime=True),
                value(["attributes", "gone"], "x"),  # a path the text no longer has: no hint
            ],
            "resolved": {
                "type": "shop.Card",
                "attributes": {
                    "title": "${TITLE}",
                    "body": "None and more",
                    "path": "/p/a/very/long/path/that/goes/on/and/on/and/on",
                    "later": "{{ node.name }}",
                    "plain": "text",
                },
            },
        }
    ]
}


def hints(show_env=False, within=None):
    parsed = parse_file(TEXT)
    found = inlay_hints(parsed, LineIndex(TEXT), ANSWER, show_env, within)
    return [(h.position.line, h.position.character, h.label, h.tooltip) for h in found]


def test_each_rendered_value_gets_one_hint_at_its_end():
    assert hints() == [
        (2, 26, "TITLE: set", None),
        (3, 33, "→ None and more", "Environment: BODY unset\n\n⚠ not set and no default: Dagster renders None"),
        (4, 73, "→ /p/a/very/long/path…oes/on/and/on/and/on", "/p/a/very/long/path/that/goes/on/and/on/and/on"),
        (
            5,
            26,
            "at run time",
            "Rendered by the component when it builds each asset (with names of its own), not at load",
        ),
    ]


def test_hints_outside_the_asked_range_are_left_out():
    within = types.Range(start=types.Position(line=3, character=0), end=types.Position(line=3, character=0))
    assert [h[:3] for h in hints(within=within)] == [(3, 33, "→ None and more")]


def test_a_set_variable_shows_its_rendering_when_values_are_shown():
    assert hints(show_env=True)[0] == (2, 26, "→ ${TITLE}", "Environment: TITLE set")


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("short", "short", id="short"),
        pytest.param("a\n  b", "a b", id="one-line"),
        pytest.param("x" * 41, "x" * 19 + "…" + "x" * 20, id="middle-left-out"),
    ],
)
def test_shortened(text, expected):
    assert shortened(text) == expected


def test_the_resolved_view_keeps_key_order_drops_comments_and_lists_unset_variables():
    parsed = parse_file(TEXT)
    assert resolved_view(parsed, LineIndex(TEXT), ANSWER, None) == {
        "text": (
            "type: shop.Card\n"
            "attributes:\n"
            "  title: ${TITLE}\n"
            "  body: None and more\n"
            "  path: /p/a/very/long/path/that/goes/on/and/on/and/on\n"
            "  later: '{{ node.name }}'\n"
            "  plain: text\n"
        ),
        "errors": [
            {
                "message": "Environment variable BODY is not set and has no default: None",
                "range": {"start": {"line": 3, "character": 8}, "end": {"line": 3, "character": 33}},
            }
        ],
    }


def test_a_document_of_an_unknown_type_is_shown_as_written_with_the_reason():
    text = "type: nope.Nope\nattributes:\n  a: '{{ 1 }}'\n"
    assert resolved_view(parse_file(text), LineIndex(text), {"results": []}, 0) == {
        "text": "type: nope.Nope\nattributes:\n  a: '{{ 1 }}'\n",
        "errors": [
            {
                "message": "Not rendered: the component type is not known",
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 15}},
            }
        ],
    }
