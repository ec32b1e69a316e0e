"""Slow work in the editor is reported with standard `$/progress`: a real server on a project whose
component module takes 3 s to import (so both the registry build and the validation are slow)."""

from pathlib import Path

import pytest
import pytest_lsp
from e2e_support import GADGET_V1, open_and_wait, private_cache, server_config, start_session, until, write_project
from pytest_lsp import LanguageClient

SLOW_IMPORT = "import time\n\ntime.sleep(3)  # every process that imports the module waits: registry, validation\n"
CACHE = private_cache("dcls-progress-")  # fresh: the registry is built, not read


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = write_project(tmp_path_factory.mktemp("progress") / "shop")
    (root / "src/shop/components/gadget.py").write_text(SLOW_IMPORT + GADGET_V1)
    (root / "src/shop/defs/gadgets/defs.yaml").write_text(
        "type: shop.components.gadget.Gadget\nattributes:\n  name: g\n"
    )
    return root


@pytest_lsp.fixture(config=server_config(CACHE))
async def client(lsp_client: LanguageClient, project: Path):
    await start_session(lsp_client, {}, root_uri=project.as_uri())
    yield
    await lsp_client.shutdown_session()


def reports(client: LanguageClient) -> dict[str, list[tuple]]:
    """Each progress title's reports, as (kind, message)."""
    return {
        token[0].title: [(type(r).__name__, r.message) for r in token]
        for token in client.progress_reports.values()
        if token
    }


@pytest.mark.asyncio(loop_scope="function")
async def test_a_slow_registry_build_and_a_slow_validation_report_progress(client: LanguageClient, project: Path):
    await open_and_wait(client, project / "src/shop/defs/gadgets/defs.yaml")
    assert await until(client, lambda: len(reports(client).get("Dagster validation", [])) == 2), reports(client)
    assert reports(client) == {
        "Dagster components": [
            ("WorkDoneProgressBegin", "Reading component types"),
            ("WorkDoneProgressEnd", "Component types ready"),
        ],
        "Dagster validation": [
            ("WorkDoneProgressBegin", "Validating 1 document of defs.yaml"),
            ("WorkDoneProgressEnd", "Done"),
        ],
    }
