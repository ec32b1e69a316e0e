import json
from pathlib import Path

import pytest

from dagster_components_ls.registry import Registry

SNAPSHOT = Path(__file__).resolve().parents[1] / "fixtures" / "registry_snapshot.json"


@pytest.fixture(scope="session")
def registry() -> Registry:
    """Real types (acme_platform.ResearchJob, dbt, DefsFolder, PythonScript) as the worker described them."""
    return Registry.from_snapshot(json.loads(SNAPSHOT.read_text()))
