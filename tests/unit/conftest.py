import json
import signal
from pathlib import Path

import pytest

from dagster_components_ls.model.registry import Registry

SNAPSHOT = Path(__file__).resolve().parents[1] / "fixtures" / "registry_snapshot.json"


@pytest.fixture(scope="session")
def registry() -> Registry:
    """Real types (acme_platform.ResearchJob, dbt, DefsFolder, PythonScript) as the worker described them."""
    return Registry.from_snapshot(json.loads(SNAPSHOT.read_text()))


@pytest.fixture
def bounded():
    """A generous guard of 20 s: a scanner or pattern that backtracks takes minutes on the tests'
    pathological input, so the test fails instead of hanging."""

    def too_slow(signum, frame):
        raise TimeoutError("not linear: still running after 20 s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


SLING_REASON = (
    "The `sling` field is deprecated, use `connections` instead. This field will be removed in a future release."
)
# The worker's marks (worker/registry.py `_with_deprecations`) as they appear on dagster-sling's real schema,
# plus a nested pydantic `Field(deprecated=True)`, which pydantic writes without a reason.
DEPRECATING_SCHEMA = {
    "$defs": {
        "SlingResource": {"type": "object", "properties": {"connections": {"type": "array"}}},
        "Replication": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"path": {"type": "string"}, "old_path": {"type": "string", "deprecated": True}},
        },
    },
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "connections": {"type": "object", "description": "Connections by name."},
        "replications": {"type": "array", "items": {"$ref": "#/$defs/Replication"}},
        "sling": {
            "anyOf": [{"$ref": "#/$defs/SlingResource"}, {"type": "null"}],
            "default": None,
            "deprecated": True,
            "deprecationMessage": SLING_REASON,
        },
    },
}


@pytest.fixture(scope="session")
def deprecating_registry(registry) -> Registry:
    """The snapshot plus `acme.Sling`, whose schema carries deprecation marks."""
    snapshot = registry.to_snapshot()
    snapshot["types"] = [
        *snapshot["types"],
        {
            "key": "acme.Sling",
            "aliases": [],
            "summary": None,
            "description": None,
            "schema": DEPRECATING_SCHEMA,
            "scaffold_params_schema": None,
            "source": None,
            "package": None,
            "version": None,
        },
    ]
    return Registry.from_snapshot(snapshot)
