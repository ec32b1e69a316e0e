import json
import signal
from pathlib import Path

import pytest

from dagster_components_ls.registry import Registry

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
