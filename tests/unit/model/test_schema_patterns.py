"""Schema regexes and recursive schemas from a component's model (issue 21, item 18): patterns run in
linear time (RE2), a pattern RE2 cannot run judges nothing, and a recursive `$ref` never raises."""

import json
from pathlib import Path

import pytest

from dagster_components_ls.checks.diagnostics import diagnose
from dagster_components_ls.features.completion import complete
from dagster_components_ls.features.hover import hover
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import LineIndex
from dagster_components_ls.model.registry import Registry
from dagster_components_ls.model.schemas import INVALID, UNKNOWN, SchemaError, type_label, validate

SNAPSHOT = Path(__file__).resolve().parents[2] / "fixtures" / "registry_snapshot.json"
EVIL = "^(a+)+$"  # Python's re takes 2^n steps on n a's and no match; RE2 one pass
SLOW = "a" * 40 + "!"
# What pydantic writes for `name: str = Field(pattern=...)`, `labels: dict[constr(pattern=...), int]`,
# a lookahead (pydantic's python-re engine allows it), and recursive models.
SCHEMA = {
    "$defs": {
        "Tree": {
            "anyOf": [
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/Tree"}}},
                },
                {"type": "integer"},
            ]
        },
        "Loop": {"anyOf": [{"$ref": "#/$defs/Loop"}, {"type": "integer"}]},
        "Self": {"$ref": "#/$defs/Self"},
        "Both": {"allOf": [{"$ref": "#/$defs/Both"}, {"type": "integer"}]},
        "Ping": {"$ref": "#/$defs/Pong"},
        "Pong": {"anyOf": [{"$ref": "#/$defs/Ping"}, {"type": "boolean"}]},
    },
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": EVIL},
        "labels": {"type": "object", "patternProperties": {EVIL: {"type": "integer"}}, "additionalProperties": False},
        "tags": {
            "type": "object",
            "patternProperties": {EVIL: {"type": "integer"}},
            "additionalProperties": {"type": "string"},
        },
        "ahead": {"type": "string", "pattern": "^(?!x)"},
        "tree": {"$ref": "#/$defs/Tree"},
        "loop": {"$ref": "#/$defs/Loop"},
        "self": {"$ref": "#/$defs/Self"},
        "both": {"$ref": "#/$defs/Both"},
        "ping": {"$ref": "#/$defs/Ping"},
    },
}


@pytest.mark.parametrize(
    "instance, expected",
    [
        pytest.param(
            {"name": SLOW}, [SchemaError(INVALID, ("name",), f"'{SLOW}' does not match '{EVIL}'")], id="pattern"
        ),
        pytest.param({"name": "aaa"}, [], id="pattern-matches"),
        pytest.param(
            {"labels": {SLOW: 1, "aa": 2}},
            [SchemaError(UNKNOWN, ("labels",), f"'{SLOW}' is not allowed here", key=SLOW)],
            id="pattern-properties-closed",
        ),
        pytest.param(
            {"labels": {"aa": "x"}},
            [SchemaError(INVALID, ("labels", "aa"), "'x' is not an integer")],
            id="pattern-properties-value",
        ),
        pytest.param(
            {"tags": {SLOW: 1, "aa": 2}},
            [SchemaError(INVALID, ("tags", SLOW), "1 is not a string")],
            id="pattern-properties-open",
        ),
        pytest.param({"ahead": "xyz"}, [], id="lookahead-judges-nothing"),
        pytest.param({"tree": {"kids": [{"kids": [3]}]}, "loop": 3, "self": 1, "both": 2}, [], id="recursive-valid"),
        pytest.param({"loop": "x"}, [SchemaError(INVALID, ("loop",), "'x' is not an integer")], id="recursive-any-of"),
        pytest.param({"ping": 1}, [], id="mutually-recursive"),
    ],
)
def test_patterns_run_in_linear_time_and_recursion_never_raises(instance, expected, bounded):
    assert validate(SCHEMA, instance) == expected


def test_type_labels_of_recursive_schemas_are_finite(bounded):
    assert [type_label(SCHEMA, SCHEMA["properties"][name]) for name in ("tree", "loop", "self", "both", "ping")] == [
        "dict | int",
        "int",
        "Any",
        "Any",
        "bool",
    ]


@pytest.fixture
def ctx() -> CheckContext:
    snapshot = json.loads(SNAPSHOT.read_text())
    component = dict(snapshot["types"][0], key="shop.Patterns", aliases=[], schema=SCHEMA, source=None)
    snapshot["types"] = [*snapshot["types"], component]
    return CheckContext(registry=Registry.from_snapshot(snapshot), exists=lambda path: True)


def test_a_document_of_such_a_component_is_diagnosed_completed_and_hovered(ctx, bounded):
    text = (
        f"type: shop.Patterns\nattributes:\n  name: {SLOW}\n  labels:\n    {SLOW}: 1\n"
        "  loop: x\n  self: 1\n  both: 2\n  tree:\n    kids:\n      - \n"
    )
    parsed = parse_file(text)
    assert [(p.code, p.message) for p in diagnose(parsed, ctx)] == [
        ("invalid-value", f"attributes.name: '{SLOW}' does not match '{EVIL}'"),
        ("unknown-attribute", f"Unknown attribute '{SLOW}' in attributes.labels"),
        ("invalid-value", "attributes.loop: 'x' is not an integer"),
        ("invalid-value", "attributes.tree.kids[0]: None is not an integer or a mapping"),
    ]
    index = LineIndex(text)
    for line in range(text.count("\n")):
        for offset in (index.line_start(line) + 2, index.line_start(line + 1) - 1):
            complete(parsed, offset, ctx, index, {})
            hover(parsed, offset, ctx, index)
