"""The real projects in ../shared/projects, which we did not write: our loader and checks against `dg`
run in the same test, in each project's own venv (built offline by the shared setup.sh, cached)."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "projects"
REAL_DIR = Path(os.environ.get("REAL_DIR", "/tmp/dagster-components-ls-projects"))
OURS = [sys.executable, "-m", "dagster_components_ls"]
COMPONENT_FILES = ("defs.yaml", "defs.yml", "component.yaml")
# What `check --load` finds on the unmodified files: dg check yaml passes and dg list defs loads
# (each folder's expected.json); component.yaml is a true deprecation.
FINDINGS = {
    "p1-dagster-university": [],
    "p2-hooli-data-eng": [
        (
            "src/hooli_data_eng/defs/dbt/component.yaml",
            "deprecated",
            "warning",
            "`component.yaml` is deprecated: rename the file to `defs.yaml`",
        )
    ],
}


def built(name: str) -> Path:
    """The project's root, with its venv and prepared files (setup.sh skips what is already built)."""
    done = subprocess.run(
        ["bash", str(SHARED / "setup.sh"), name],
        capture_output=True,
        text=True,
        timeout=3000,
        env={**os.environ, "REAL_DIR": str(REAL_DIR)},
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    truth = json.loads((REAL_DIR / name / "truth" / "truth.json").read_text())
    return REAL_DIR / name / truth["project_root"]


def in_env(name: str, root: Path, *command: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """A command from the project root as its developer runs it: the venv activated, env.sh sourced."""
    script = (
        'cd "$1" && export VIRTUAL_ENV="$1/.venv" PATH="$1/.venv/bin:$PATH" && unset PYTHONHOME '
        '&& source "$2" && shift 2 && exec "$@"'
    )
    return subprocess.run(
        ["bash", "-c", script, "in_env", str(root), str(SHARED / name / "env.sh"), *command],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def component_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in (root / "src").rglob("*")
        if p.name in COMPONENT_FILES and ".venv" not in p.parts and ".local_defs_state" not in p.parts
    )


@pytest.fixture(scope="module", params=sorted(FINDINGS))
def project(request) -> tuple[str, Path]:
    return request.param, built(request.param)


def test_our_lineage_loads_exactly_the_assets_dg_lists(project):
    name, root = project
    listed = in_env(name, root, "dg", "list", "defs", "--json")
    assert listed.returncode == 0, listed.stderr[-3000:]
    dg_keys = sorted(
        a["key"] if isinstance(a["key"], str) else "/".join(a["key"]) for a in json.loads(listed.stdout)["assets"]
    )
    shown = in_env(name, root, *OURS, "lineage", ".", "--format", "json")
    view = json.loads(shown.stdout)
    assert (shown.returncode, view["errors"], sorted(a["key"] for a in view["assets"])) == (0, [], dg_keys)
    # Each component file produces assets of its own, and only assets dg lists.
    for file in component_files(root):
        produced = in_env(name, root, *OURS, "lineage", str(file), "--format", "json")
        keys = [a["key"] for a in json.loads(produced.stdout)["assets"] if a["role"] == "produced"]
        assert keys and set(keys) <= set(dg_keys), file


def test_check_load_finds_exactly_what_is_true(project):
    name, root = project
    checked = in_env(name, root, *OURS, "check", "--load", "--format", "json", ".")
    found = [(f["path"], f["code"], f["severity"], f["message"]) for f in json.loads(checked.stdout)]
    assert (checked.returncode, found) == (0, FINDINGS[name]), checked.stderr[-3000:]


@pytest.mark.asyncio(loop_scope="function")
async def test_the_editor_publishes_a_load_error_of_a_copy(tmp_path):
    # A copy of the Dagster University project with its dbt project path broken, run with the
    # original venv's interpreter: the load error reaches the open file's diagnostics.
    name = "p1-dagster-university"
    root = built(name)
    copy = tmp_path / "university"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".venv", "__pycache__", "logs"), symlinks=True)
    defs = copy / "src" / "ai_driven_data_engineering" / "defs" / "jaffle_shop" / "defs.yaml"
    text = defs.read_text()
    assert "dbt_project" in text
    broken = text.replace("dbt_project", "dbt_projekt", 1)
    defs.write_text(broken)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = f"{root / '.venv' / 'bin'}:{env.get('PATH', '')}"
    env["DAGSTER_COMPONENTS_LS_CACHE"] = str(tmp_path / "cache")
    for sling in (root / ".venv").glob("lib/python3*/site-packages/sling_linux_amd64/bin/sling-linux-amd64"):
        env["SLING_BINARY"] = str(sling)
    client = LanguageClient()
    published: dict[str, list[types.Diagnostic]] = {}
    client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda p: published.__setitem__(p.uri, p.diagnostics))
    await client.start_io(*OURS, env=env, cwd=str(copy))
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities("visual-studio-code"),
                root_uri=copy.as_uri(),
                initialization_options={"python": str(root / ".venv" / "bin" / "python"), "lineage": {"enabled": True}},
            )
        )
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=defs.as_uri(), language_id="yaml", version=1, text=broken)
            )
        )
        for _ in range(600):  # the first load prepares dbt's state: up to a few minutes here
            codes = [d.code for d in published.get(defs.as_uri(), [])]
            if "load-error" in codes:
                break
            await asyncio.sleep(0.5)
        errors = [(d.code, d.message.split(":")[0]) for d in published.get(defs.as_uri(), []) if d.code == "load-error"]
        assert errors == [("load-error", "DagsterDbtProjectNotFoundError")], published.get(defs.as_uri())
    finally:
        await client.shutdown_session()
        await client.stop()
