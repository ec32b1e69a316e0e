"""The bundled registry snapshot, through the real server: served while a project's environment has no
Dagster (or no interpreter), labelled as approximate, replaced by the real registry once it is set up;
and the committed snapshot is what the worker builds from the pinned Dagster today."""

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from e2e_support import (
    REPO,
    SHOP_SKELETON,
    open_and_wait,
    server_config,
    start_session,
    statuses,
    summary,
    until,
    write_files,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

PINNED = re.search(r'"dagster==([^"]+)"', (REPO / "pyproject.toml").read_text()).group(1)
LABEL = f"approximate: Dagster {PINNED} built-ins, your project's environment is not set up"
DEFS = """\
type: dagster_dbt.DbtProjectComponent
attributes:
  project: "{{ context.project_root }}/dbt"
  colour: red
---
type: acme.Custom
attributes:
  anything: 1
"""


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient):
    # No `python` setting: the project's own .venv is the interpreter, found like a user's.
    await start_session(lsp_client, {"python": None})
    yield
    await lsp_client.shutdown_session()


def bare_project(tmp_path: Path) -> Path:
    """The `shop` project with a dbt and a custom component, whose .venv is a venv without Dagster."""
    root = write_files(
        tmp_path / "shop", {**SHOP_SKELETON, "src/shop/defs/both/defs.yaml": DEFS, "dbt/dbt_project.yml": ""}
    )
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    (root / ".venv").symlink_to(tmp_path / "bare")
    return root


def defs_file(root: Path) -> Path:
    return root / "src" / "shop" / "defs" / "both" / "defs.yaml"


def registry_messages(client: LanguageClient, root: Path) -> list[tuple[str, str]]:
    return [
        (s.state, s.message)
        for s in statuses(client)
        if s.subject == "registry" and s.project == root.as_uri() and s.state != "loading"
    ]


async def hover_text(client: LanguageClient, path: Path, line: int, character: int) -> str:
    found = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            position=types.Position(line=line, character=character),
        )
    )
    return found.contents.value if found else ""


async def type_labels(client: LanguageClient, path: Path) -> list[str]:
    completion = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=types.Position(line=0, character=18)
        )
    )
    return sorted(item.label for item in completion.items)


BUNDLED_TYPES = [
    "dagster.DefinitionsComponent",
    "dagster.DefsFolderComponent",
    "dagster.FunctionComponent",
    "dagster.PythonScriptComponent",
    "dagster.TemplatedSqlComponent",
    "dagster.UvRunComponent",
    "dagster_airbyte.AirbyteCloudWorkspaceComponent",
    "dagster_airbyte.AirbyteWorkspaceComponent",
    "dagster_dbt.DbtCloudComponent",
    "dagster_dbt.DbtProjectComponent",
    "dagster_dlt.DltLoadCollectionComponent",
    "dagster_fivetran.FivetranAccountComponent",
    "dagster_sling.SlingReplicationCollectionComponent",
]


async def action_titles(client: LanguageClient, path: Path) -> list[str]:
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    return [a.title for a in actions or []]


SNAPSHOT_DIAGNOSTICS = [
    (
        "unknown-attribute",
        3,
        2,
        3,
        8,
        "Unknown attribute 'colour' for dagster_dbt.DbtProjectComponent. Allowed: "
        "cli_args, exclude, include_metadata, op, prepare_if_dev, project, select, selector, translation, translation_settings",
    ),
]


@pytest.mark.asyncio(loop_scope="function")
async def test_an_environment_without_dagster_gets_the_bundled_snapshot_until_it_is_set_up(
    client: LanguageClient, tmp_path
):
    root = bare_project(tmp_path)
    path = defs_file(root)
    python = root / ".venv" / "bin" / "python"
    diagnostics = await open_and_wait(client, path)
    assert registry_messages(client, root) == [
        (
            "ready",
            f"{LABEL} (Dagster is not installed in {python}); to set it "
            f"up, run `uv pip install -e .` (or `.venv/bin/python -m pip "
            f"install -e .`) in {root}",
        )
    ]
    # Schema checks of the snapshot's types; no unknown-type for acme.Custom, no worker-error.
    assert summary(diagnostics) == SNAPSHOT_DIAGNOSTICS
    # An editor that offers nothing itself shows the server's warning.
    assert [m.message for m in client.messages if m.type == types.MessageType.Warning] == [
        registry_messages(client, root)[0][1]
    ]
    assert await type_labels(client, path) == BUNDLED_TYPES
    assert (await hover_text(client, path, 0, 20)).startswith(
        f"*{LABEL}*\n\n**DbtProjectComponent** `dagster_dbt.DbtProjectComponent`"
    )
    assert (await hover_text(client, path, 2, 4)).startswith(f"*{LABEL}*\n\n")
    assert await action_titles(client, path) == []  # scaffolding needs a worker

    # The environment gets Dagster (here: the dev venv), and Reload Component Types reads the real registry.
    (root / ".venv").unlink()
    (root / ".venv").symlink_to(Path(sys.executable).parent.parent)
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="dagster.refreshRegistry", arguments=[])
    )
    assert await until(client, lambda: len(registry_messages(client, root)) == 2)
    state, message = registry_messages(client, root)[-1]
    assert (state, "approximate" in message) == ("ready", False), message
    assert await until(client, lambda: any(d.code == "unknown-type" for d in client.diagnostics.get(path.as_uri(), [])))
    assert [d.code for d in client.diagnostics[path.as_uri()]].count("unknown-type") == 1
    assert (await hover_text(client, path, 0, 20)).startswith(
        "**DbtProjectComponent** `dagster_dbt.DbtProjectComponent`"
    )
    assert await action_titles(client, path) == ["Add another dagster_dbt.DbtProjectComponent document"]


@pytest_lsp.fixture(config=server_config())
async def offering_client(lsp_client: LanguageClient):
    # VS Code's extension: it offers "Create the project's environment" itself.
    await start_session(lsp_client, {"python": None, "environment": {"create": True}})
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_a_client_that_offers_to_create_the_environment_gets_the_status_without_a_warning(
    offering_client: LanguageClient, tmp_path
):
    root = bare_project(tmp_path)
    diagnostics = await open_and_wait(offering_client, defs_file(root))
    [(state, message)] = registry_messages(offering_client, root)
    assert (state, message.startswith(f"{LABEL} (Dagster is not installed in ")) == ("ready", True)
    assert summary(diagnostics) == SNAPSHOT_DIAGNOSTICS
    assert [m.message for m in offering_client.messages if m.type == types.MessageType.Warning] == []


@pytest.mark.asyncio(loop_scope="function")
async def test_no_interpreter_at_all_gets_the_bundled_snapshot(client: LanguageClient, tmp_path):
    root = write_files(
        tmp_path / "shop", {**SHOP_SKELETON, "src/shop/defs/both/defs.yaml": DEFS, "dbt/dbt_project.yml": ""}
    )
    missing = tmp_path / "nowhere" / "python"
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"dagsterComponents": {"python": str(missing), "lineage": {"enabled": False}}}
        )
    )
    diagnostics = await open_and_wait(client, defs_file(root))
    assert registry_messages(client, root)[-1] == (
        "ready",
        f"{LABEL} (Python interpreter '{missing}' does not exist ({missing}))",
    )
    assert summary(diagnostics) == SNAPSHOT_DIAGNOSTICS


def test_the_committed_snapshot_is_what_the_worker_builds_from_the_pinned_dagster():
    from dagster_components_ls.project import bundled

    committed = bundled.SNAPSHOT_FILE.read_text()
    assert f'"dagster_version": "{PINNED}"' in committed  # run `./dev snapshot` after changing the pins
    if importlib.metadata.version("dagster") != PINNED:
        pytest.skip(f"this venv's Dagster is not the pinned {PINNED} (./dev test runs this test)")
    assert bundled.serialized(bundled.build(Path(sys.executable))) == committed, "stale: run `./dev snapshot`"
