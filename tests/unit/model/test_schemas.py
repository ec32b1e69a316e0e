import pytest

from dagster_components_ls.model.schemas import INVALID, MISSING, UNKNOWN, SchemaError, branches, schema_at, validate

SCHEMA = {
    "$defs": {
        "Size": {"enum": ["small", "large"], "type": "string"},
        "Obs": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"sla": {"anyOf": [{"type": "integer", "minimum": 5}, {"type": "string"}]}},
        },
    },
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "size": {"anyOf": [{"$ref": "#/$defs/Size"}, {"type": "string"}]},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "obs": {"anyOf": [{"$ref": "#/$defs/Obs"}, {"type": "string"}]},
        "deps": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]},
    },
}


@pytest.mark.parametrize(
    "instance, expected",
    [
        pytest.param({"name": "a", "size": "small", "note": None, "obs": {"sla": 9}, "deps": ["x"]}, [], id="valid"),
        pytest.param(
            {"name": "a", "size": "huge"},
            [SchemaError(INVALID, ("size",), "'huge' is not one of ['small', 'large']", allowed=("small", "large"))],
            id="injected-string-branch-removed",
        ),
        pytest.param(
            {"name": "a", "size": "{{ env.SIZE }}", "obs": "{{ x }}", "deps": "{{ y }}"},
            [],
            id="templates-are-not-judged",
        ),
        pytest.param({"name": "a", "note": "free text"}, [], id="genuine-string-branch-kept"),
        pytest.param(
            {"name": "a", "obs": {"sla": 1}},
            [SchemaError(INVALID, ("obs", "sla"), "1 is less than the minimum of 5")],
            id="nested-through-ref",
        ),
        pytest.param(
            {"name": "a", "deps": "x"},
            [SchemaError(INVALID, ("deps",), "'x' is not a list")],
            id="plain-string-where-list",
        ),
        pytest.param(
            {"nme": "a"},
            [
                SchemaError(MISSING, (), "'name' is a required property", key="name"),
                SchemaError(
                    UNKNOWN, (), "'nme' is not allowed here", key="nme", allowed=("deps", "name", "note", "obs", "size")
                ),
            ],
            id="unknown-and-missing",
        ),
    ],
)
def test_validate(instance, expected):
    assert validate(SCHEMA, instance) == expected


def test_schema_at_walks_refs_and_items():
    assert schema_at(SCHEMA, ("obs", "sla")) == [{"anyOf": [{"type": "integer", "minimum": 5}, {"type": "string"}]}]
    assert schema_at(SCHEMA, ("deps", 0)) == [{"type": "string"}]


def test_branches_keep_a_first_string_and_drop_an_injected_one():
    assert branches(SCHEMA, SCHEMA["properties"]["note"]) == [{"type": "string"}, {"type": "null"}]
    assert branches(SCHEMA, SCHEMA["properties"]["size"]) == [{"enum": ["small", "large"], "type": "string"}]
