"""The registry snapshot shape check: what a cache file or a worker must hold for the server to use it."""

import pytest

from dagster_components_ls.model.snapshot_shape import snapshot_problem

TYPE = {
    "key": "shop.Gadget",
    "aliases": ["shop.components.Gadget"],
    "summary": "Gadgets.",
    "description": None,
    "schema": {"type": "object"},
    "scaffold_params_schema": None,
    "source": {"path": "/p/gadget.py", "line": 3},
    "package": None,
    "version": None,
}
GOOD = {
    "protocol": 1,
    "python": {"executable": "/p/python", "version": "3.11.7"},
    "dagster_version": "1.13.27",
    "types": [TYPE],
    "envelope_schema": {},
    "post_processing_schema": {},
    "template_scope": {
        "globals": ["env"],
        "deprecated": {"project_root": "use context"},
        "user_vars": {"/p/vars.py": ["x"]},
        "per_type": {"shop.Gadget": {"translation": ["node"]}},
        "untemplated": {},
    },
    "module_errors": {"shop.broken": "RuntimeError: no"},
}


@pytest.mark.parametrize(
    "snapshot, problem",
    [
        pytest.param(GOOD, None, id="whole"),
        pytest.param({"types": []}, None, id="minimal: the rest is optional"),
        pytest.param([], "not an object", id="a list"),
        pytest.param({"types": {}}, "`types` is not a list", id="types an object"),
        pytest.param({"types": [{"aliases": []}]}, "types[0]: no `key` string", id="type without key"),
        pytest.param(
            {"types": [{**TYPE, "aliases": "x"}]}, "types[0]: `aliases` is not a list of strings", id="aliases"
        ),
        pytest.param({"types": [{**TYPE, "schema": []}]}, "types[0]: `schema` is not an object", id="schema a list"),
        pytest.param(
            {"types": [{**TYPE, "source": {"path": 1}}]}, "types[0]: `source` is not {path, line}", id="source"
        ),
        pytest.param(
            {"types": [], "module_errors": {"m": 1}}, "`module_errors` is not an object of strings", id="errors"
        ),
        pytest.param({"types": [], "dagster_version": 1}, "`dagster_version` is not a string", id="version"),
        pytest.param(
            {**GOOD, "template_scope": {"per_type": {"t": ["translation"]}}},
            "`template_scope.per_type` has the wrong shape",
            id="per_type",
        ),
    ],
)
def test_snapshot_problem(snapshot, problem):
    assert snapshot_problem(snapshot) == problem


def test_a_registry_written_back_has_the_shape():
    from dagster_components_ls.model.registry import Registry

    assert snapshot_problem(Registry.from_snapshot(GOOD).to_snapshot()) is None
