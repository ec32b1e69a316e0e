"""Helpers shared by the end-to-end and scenario tests: paths, the server command, a small editable dg
project, copies of the examples with their dbt state, and the requests a lineage test makes."""

import asyncio
import atexit
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SERVER_COMMAND = [sys.executable, "-m", "dagster_components_ls"]

DAGSTER_VERSION = tuple(int(part) for part in importlib.metadata.version("dagster").split(".")[:3])
"""The Dagster the tests run (and the worker with it: sys.executable), e.g. (1, 13, 27); `./dev test-compat`
runs the suite on 1.11. Expectations that follow Dagster's own words or schemas branch on it."""

PROJECT_ROOT_TEMPLATE = "{{ context.project_root }}" if DAGSTER_VERSION >= (1, 13) else "{{ project_root }}"
"""How a template names the project's folder: Dagster 1.11 has no `context` in templates."""


UNSUPPORTED_DAGSTER = "1.10.21"  # the newest release older than the worker supports


def unsupported_dagster_venv() -> Path:
    """A venv with Dagster 1.10 alone (what a project locked to it has), built once from PyPI by uv
    (a test dependency) and kept between runs. Returns its python."""
    venv = Path(os.environ.get("TMPDIR", "/tmp")) / f"dagster-components-ls-dagster-{UNSUPPORTED_DAGSTER}"
    python = venv / "bin" / "python"
    if not (venv / ".installed").is_file():
        uv = [sys.executable, "-m", "uv"]
        subprocess.run(uv + ["venv", "-q", "--clear", "-p", sys.executable, str(venv)], check=True, timeout=300)
        subprocess.run(
            uv + ["pip", "install", "-q", "-p", str(python), f"dagster=={UNSUPPORTED_DAGSTER}"], check=True, timeout=900
        )
        (venv / ".installed").write_text(UNSUPPORTED_DAGSTER)
    return python


def for_this_dagster_text(text: str) -> str:
    """A document of the examples with its project root written as the Dagster under test writes it."""
    return text.replace("{{ context.project_root }}", PROJECT_ROOT_TEMPLATE)


def for_this_dagster(analytics: Path) -> Path:
    """A copy of examples/acme_analytics made loadable by the Dagster under test (its dbt document's template)."""
    path = analytics / "src" / "acme_analytics" / "defs" / "jaffle_shop" / "defs.yaml"
    path.write_text(for_this_dagster_text(path.read_text()))
    return analytics


judges_dbt_selections = pytest.mark.skipif(
    DAGSTER_VERSION < (1, 13),
    reason="dbt selections are judged through the component's project manager (dagster-dbt 0.28 and newer); "
    "not yet on dagster-dbt 0.27 (Dagster 1.11)",
)
"""For the tests that need selections judged (issue 18 left dagster-dbt 0.27 out)."""


GADGET_V1 = '''
"""A project-local component whose code the tests edit."""

import dagster as dg


class Gadget(dg.Component, dg.Model, dg.Resolvable):
    """Builds one gadget asset."""

    name: str

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return dg.Definitions()
'''


SHOP_SKELETON = {
    "pyproject.toml": """
        [project]
        name = "shop"
        version = "0.0.1"

        [tool.dg]
        directory_type = "project"

        [tool.dg.project]
        root_module = "shop"
        registry_modules = ["shop.components.*"]
    """,
    "src/shop/__init__.py": "",
    "src/shop/components/__init__.py": "",
    "src/shop/defs/__init__.py": "",
}
"""The `shop` dg project without components or defs files, for tests to fill in."""


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Each file under `root`, its text dedented (so tests can indent it inline)."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


def write_project(root: Path) -> Path:
    """A small dg project that is not installed anywhere: the worker finds it through its src/ folder."""
    return write_files(
        root,
        {
            **SHOP_SKELETON,
            "src/shop/components/gadget.py": GADGET_V1,
            "src/shop/defs/gadgets/defs.yaml": """
            type: shop.components.gadget.Gadget
            attributes:
              name: g
              color: red
        """,
        },
    )


TIMEOUT = 120

SHARED_CACHE = Path(os.environ.get("DAGSTER_COMPONENTS_LS_TEST_CACHE", "/tmp/dagster-components-ls-test-cache"))


def private_cache(prefix: str) -> Path:
    """A cache folder of a test module's own, made at import (pytest-lsp's config is fixed then) and
    removed when pytest exits: a test run leaves nothing behind in the temp folder."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def server_config(cache: Path = SHARED_CACHE) -> ClientServerConfig:
    return ClientServerConfig(
        server_command=SERVER_COMMAND, server_env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(cache)}
    )


async def start_session(
    lsp_client: LanguageClient,
    options: dict,
    capabilities=None,
    root_uri: str = EXAMPLES.as_uri(),
    workspace_folders: list[types.WorkspaceFolder] | None = None,
) -> types.InitializeResult:
    """Initialize like an editor, recording `dagster/status` notifications on `lsp_client.statuses`.

    Lineage is off unless `options` turn it on: loading the definitions runs the example's dbt
    project, which only the lineage tests (on their own copy of it) want.
    """
    lsp_client.statuses = []

    @lsp_client.feature("dagster/status")
    def on_status(params):
        lsp_client.statuses.append(params)

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params):
        lsp_client.registrations = [*getattr(lsp_client, "registrations", []), *params.registrations]

    @lsp_client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def on_code_lens_refresh(params):
        lsp_client.code_lens_refreshes = getattr(lsp_client, "code_lens_refreshes", 0) + 1

    @lsp_client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)
    def on_inlay_hint_refresh(params):
        lsp_client.inlay_hint_refreshes = getattr(lsp_client, "inlay_hint_refreshes", 0) + 1

    return await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or client_capabilities("visual-studio-code"),
            root_uri=root_uri,
            workspace_folders=workspace_folders,
            initialization_options={"python": sys.executable, "lineage": {"enabled": False}, **options},
        )
    )


SYNC_VERSION = 10_000
"""The version open_and_wait re-sends a document with, once its project's registry is ready."""


async def open_and_wait(client: LanguageClient, path: Path, text: str | None = None) -> list[types.Diagnostic]:
    """Open a document and return its diagnostics computed with its project's registry.

    The registry may be read in the background after the open, so once the server says it is ready
    the text is sent again under a new version, and the diagnostics for that version are awaited.
    """
    uri = path.as_uri()
    text = text if text is not None else path.read_text()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
        )
    )
    await wait_for_registry(client, path)
    # Everything published from now on was computed with the registry; the re-sent text makes sure
    # something is published.
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=SYNC_VERSION),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    await until(client, lambda: uri in client.diagnostics)
    return list(client.diagnostics[uri])


async def until(client: LanguageClient, condition, timeout: float = TIMEOUT) -> bool:
    """Wait for notifications until `condition()` holds (True) or the time is up (False).

    The condition reads the client's state (diagnostics, statuses), not the notification awaited:
    several notifications may be handled between two awaits, so one event can be missed, but the
    state it left cannot. Each wait is short for the same reason.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    waiting = None
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        # Never cancel the wait itself: pytest-lsp would later resolve a cancelled future and fail
        # whatever request is in flight. A wait that times out is simply awaited again.
        if waiting is None or waiting.done():
            waiting = asyncio.ensure_future(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS))
        await asyncio.wait({waiting}, timeout=0.5)
    return True


async def wait_for_registry(client: LanguageClient, path: Path) -> None:
    """Until the server reports the registry of the file's project (or of lone files) ready or failed."""
    from dagster_components_ls.project.discovery import find_project

    owner = find_project(path)
    project = owner.root.as_uri() if owner else None

    def done() -> bool:
        return any(
            s.subject == "registry" and s.state in ("ready", "error") and s.project == project for s in statuses(client)
        )

    assert await until(client, done), f"no registry status for {project}"


def statuses(client):
    return [s if hasattr(s, "state") else type("S", (), s) for s in client.statuses]


def summary(diagnostics: list[types.Diagnostic]) -> list[tuple]:
    return [
        (d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.message)
        for d in sorted(diagnostics, key=lambda d: (d.range.start.line, d.range.start.character))
    ]


def plain(value):
    """A custom request's result as pygls' client hands it over (named tuples), as plain JSON data."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


async def diagnostics_until(client: LanguageClient, uri: str, expected: list) -> list:
    """The document's diagnostics (as `summary` rows) once they equal `expected` (background results may
    come later), or as they are when the time is up."""
    await until(client, lambda: summary(client.diagnostics.get(uri, [])) == expected)
    return summary(client.diagnostics.get(uri, []))


# --- copies of the examples and lineage ----------------------------------------------------------

DBT_MODELS = [
    "customers",
    "orders",
    "raw_customers",
    "raw_orders",
    "raw_payments",
    "stg_customers",
    "stg_orders",
    "stg_payments",
]
"""The jaffle_shop seeds and models, as asset keys."""
DBT_EDGES = [
    ["stg_customers", "customers"],
    ["stg_orders", "customers"],
    ["stg_payments", "customers"],
    ["stg_orders", "orders"],
    ["stg_payments", "orders"],
    ["raw_customers", "stg_customers"],
    ["raw_orders", "stg_orders"],
    ["raw_payments", "stg_payments"],
]
"""jaffle_shop's refs, as [upstream, downstream] asset keys."""


def copy_example(name: str, parent: Path) -> Path:
    """`examples/<name>` copied under `parent`, without the state a load or a dbt run leaves behind."""
    root = parent / name
    shutil.copytree(
        EXAMPLES / name, root, ignore=shutil.ignore_patterns(".local_defs_state", "target", "__pycache__", "*.duckdb")
    )
    return root


def prepare_dbt_state(root: Path) -> Path:
    """Have the real worker prepare the copy's dbt state once (dbt parse), as the first load in an editor would."""
    from dagster_components_ls.project.worker_client import WorkerProcess

    with WorkerProcess(Path(sys.executable), root) as worker:
        first = worker.call("load", {"project_root": str(root), "prepare": False}, timeout=120)
        assert [(n["key"], n["reason"]) for n in first["needs_prepare"]] == [
            ("DbtProjectComponent[jaffle_shop]", "no stored state yet")
        ]
        prepared = worker.call("load", {"project_root": str(root), "prepare": True}, timeout=600)
    assert [p["key"] for p in prepared["prepared"]] == ["DbtProjectComponent[jaffle_shop]"]
    assert prepared["errors"] == []
    return root


def defs(project: Path, folder: str) -> Path:
    """The defs.yaml of a folder of the acme_analytics project (or a copy of it)."""
    return project / "src" / "acme_analytics" / "defs" / folder / "defs.yaml"


def open_file(client: LanguageClient, path: Path, version: int = 1) -> str:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="yaml", version=version, text=path.read_text()
            )
        )
    )
    return path.as_uri()


def lineage_states(client: LanguageClient) -> list[str]:
    return [s.state for s in statuses(client) if s.subject == "lineage" and s.state != "loading"]


async def loaded(client: LanguageClient, count: int = 1) -> None:
    """Until the server has reported `count` finished loads of the definitions."""
    assert await until(client, lambda: len(lineage_states(client)) >= count), "no lineage status"


async def lineage(client: LanguageClient, path: Path, document=None, depth=None) -> dict:
    params = {"textDocument": {"uri": path.as_uri()}}
    if document is not None:
        params["document"] = document
    if depth is not None:
        params["depth"] = depth
    return plain(await client.protocol.send_request_async("dagster/lineage", params))


def roles(result: dict) -> dict[str, list[str]]:
    """A lineage result's asset keys by role."""
    found: dict[str, list[str]] = {}
    for asset in result["assets"]:
        found.setdefault(asset["role"], []).append(asset["key"])
    return found


async def save(client: LanguageClient, path: Path, text: str, version: int) -> None:
    """Edit in the editor, then save: the file on disk changes and didSave arrives."""
    path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
