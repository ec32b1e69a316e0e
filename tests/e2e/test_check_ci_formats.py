"""`check --format sarif|gitlab` and the pre-commit hook, as CI runs them: real processes, real validators."""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
import yaml
from e2e_support import REPO

CACHE = Path(os.environ.get("DAGSTER_COMPONENTS_LS_TEST_CACHE", "/tmp/dagster-components-ls-test-cache"))
MULTITOOL_VERSION = "5.7.0"
"""@microsoft/sarif-multitool from npm: a .NET self-contained binary per platform (no runtime to install)."""
SRCROOT = {"artifactLocation": {"uri": "examples/broken/unknown_attribute/defs.yaml", "uriBaseId": "%SRCROOT%"}}


def check(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(CACHE)},
    )


def multitool() -> Path:
    """The validator's binary, installed once into the test cache with npm (which runs no install
    scripts here, so the binary may lack its run bit)."""
    prefix = CACHE / f"sarif-multitool-{MULTITOOL_VERSION}"
    package = prefix / "node_modules" / "@microsoft" / f"sarif-multitool-{sys.platform.replace('win32', 'win')}"
    binary = package / "Sarif.Multitool"
    if not binary.is_file():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed")
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(prefix),
                f"@microsoft/sarif-multitool@{MULTITOOL_VERSION}",
            ],
            check=True,
            capture_output=True,
        )
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


@pytest.fixture(scope="module")
def broken_sarif() -> dict:
    result = check("--format", "sarif", "examples/broken")
    assert result.returncode == 1, result.stderr
    return json.loads(result.stdout)


def test_sarif_passes_microsofts_validator(broken_sarif, tmp_path):
    log = tmp_path / "broken.sarif"
    log.write_text(json.dumps(broken_sarif), encoding="utf-8")
    start = time.monotonic()
    run = subprocess.run(
        [
            str(multitool()),
            "validate",
            str(log),
            "--output",
            str(tmp_path / "validation.sarif"),
            "--level",
            "Error;Warning",
        ],
        capture_output=True,
        text=True,
    )
    print(f"sarif-multitool validate took {time.monotonic() - start:.1f} s")
    assert run.returncode == 0, run.stdout + run.stderr
    validation = json.loads((tmp_path / "validation.sarif").read_text(encoding="utf-8"))
    problems = [(r["ruleId"], r["message"]) for r in validation["runs"][0]["results"] if r.get("level") != "note"]
    assert problems == []


def test_sarif_results_are_the_json_formats_diagnostics(broken_sarif):
    """Every diagnostic, at its place: SARIF's 1-based lines and columns are LSP's plus one."""
    diagnostics = json.loads(check("--format", "json", "examples/broken").stdout)
    expected = [
        (d["path"], d["range"]["start"]["line"] + 1, d["range"]["start"]["character"] + 1, d["code"], d["severity"])
        for d in diagnostics
    ]
    levels = {"error": "error", "warning": "warning"}
    found = [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"],
            r["ruleId"],
            {v: k for k, v in levels.items()}[r["level"]],
        )
        for r in broken_sarif["runs"][0]["results"]
    ]
    assert (len(found), found) == (18, expected)


def test_sarif_passes_the_schema_the_validator_ships(broken_sarif):
    schema_file = multitool().parent / "sarif-2.1.0.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(broken_sarif)]
    assert errors == []


def test_sarif_result_carries_its_rule_region_and_fixes(broken_sarif):
    run = broken_sarif["runs"][0]
    [result] = [
        r
        for r in run["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"] == SRCROOT["artifactLocation"]
    ]
    region = {"startLine": 9, "startColumn": 3, "endLine": 9, "endColumn": 15}
    assert {k: v for k, v in result.items() if k != "partialFingerprints"} == {
        "ruleId": "unknown-attribute",
        "ruleIndex": 3,
        "level": "error",
        "message": {
            "text": "Unknown attribute 'compute_sise' for acme_platform.ResearchJob. Did you mean 'compute_size'?"
        },
        "locations": [
            {
                "physicalLocation": {
                    **SRCROOT,
                    "region": {**region, "snippet": {"text": "compute_sise"}},
                    "contextRegion": {
                        "startLine": 9,
                        "startColumn": 1,
                        "endLine": 9,
                        "endColumn": 23,
                        "snippet": {"text": "  compute_sise: medium"},
                    },
                }
            }
        ],
        "fixes": [
            {
                "description": {"text": "Rename 'compute_sise' to 'compute_size'."},
                "artifactChanges": [
                    {
                        **SRCROOT,
                        "replacements": [{"deletedRegion": region, "insertedContent": {"text": "compute_size"}}],
                    }
                ],
            },
            {
                "description": {"text": "Remove 'compute_sise'."},
                "artifactChanges": [
                    {
                        **SRCROOT,
                        "replacements": [
                            {
                                "deletedRegion": {"startLine": 9, "startColumn": 1, "endLine": 10, "endColumn": 1},
                                "insertedContent": {"text": ""},
                            }
                        ],
                    }
                ],
            },
        ],
    }
    rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert rule == {
        "id": "unknown-attribute",
        "name": "UnknownAttribute",
        "shortDescription": {"text": "Unknown attribute."},
        "fullDescription": {
            "text": "A key the schema does not allow, anywhere: envelope, `attributes`, `post_processing`."
        },
        "help": {
            "text": "A key the schema does not allow, anywhere: envelope, `attributes`, `post_processing`. See "
            "https://github.com/dagster-components-ls/dagster-components-ls/blob/HEAD/docs/reference/diagnostics.md#codes",
            "markdown": "A key the schema does not allow, anywhere: envelope, `attributes`, `post_processing`. "
            "[Reference](https://github.com/dagster-components-ls/dagster-components-ls/blob/HEAD/docs/reference/"
            "diagnostics.md#codes)",
        },
        "helpUri": "https://github.com/dagster-components-ls/dagster-components-ls/blob/HEAD/docs/reference/"
        "diagnostics.md#codes",
        "defaultConfiguration": {"level": "error"},
    }
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": REPO.as_uri() + "/"}}


UNKNOWN_ATTRIBUTE = {
    "description": "[unknown-attribute] Unknown attribute 'compute_sise' for acme_platform.ResearchJob. "
    "Did you mean 'compute_size'?",
    "check_name": "unknown-attribute",
    "fingerprint": "d06647363da11c7a9fb4ffd5d753446f9a769ff895c9ed4bb157a81f3dab7218",
    "severity": "major",
    "location": {"path": "examples/broken/unknown_attribute/defs.yaml", "lines": {"begin": 9, "end": 9}},
}


def test_gitlab_code_quality_entries_for_one_file():
    result = check("--format", "gitlab", "examples/broken/unknown_attribute")
    assert (result.returncode, json.loads(result.stdout)) == (1, [UNKNOWN_ATTRIBUTE])


def test_gitlab_fingerprint_stays_when_lines_move(tmp_path):
    """The same problem two lines lower keeps its fingerprint: a merge request shows it as an old one."""
    folder = tmp_path / "examples" / "broken" / "unknown_attribute"
    folder.mkdir(parents=True)
    source = REPO / "examples" / "broken" / "unknown_attribute"
    shutil.copy(source / "score.py", folder / "score.py")
    (folder / "defs.yaml").write_text("# moved\n# down\n" + (source / "defs.yaml").read_text(encoding="utf-8"))
    result = check("--format", "gitlab", "examples/broken/unknown_attribute", cwd=tmp_path)
    moved = {**UNKNOWN_ATTRIBUTE, "location": {**UNKNOWN_ATTRIBUTE["location"], "lines": {"begin": 11, "end": 11}}}
    assert (result.returncode, json.loads(result.stdout)) == (1, [moved])


def test_clean_files_give_empty_reports():
    clean = "examples/broken/two_documents/defs.yaml"
    assert json.loads(check("--format", "gitlab", "--ignore", "unknown-attribute", clean).stdout) == []
    sarif = json.loads(check("--format", "sarif", "--ignore", "unknown-attribute", clean).stdout)
    assert sarif["runs"][0]["results"] == []


# --- the pre-commit hook ---------------------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_pre_commit_hook_runs_check_on_component_files_only(tmp_path):
    """Real pre-commit over a repository using our hook as .pre-commit-hooks.yaml declares it, run as
    `language: system` (the declared `language: python` would install our dependencies from PyPI):
    the broken file fails the commit, the file that is no component file is not passed to it."""
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    repo = tmp_path / "repo"
    (repo / "shop").mkdir(parents=True)
    source = REPO / "examples" / "broken" / "unknown_attribute"
    shutil.copy(source / "defs.yaml", repo / "shop" / "defs.yaml")
    shutil.copy(source / "score.py", repo / "shop" / "score.py")
    (repo / "shop" / "notes.yaml").write_text("compute_sise: medium\n")
    local = {k: v for k, v in hook.items() if k in ("id", "name", "entry", "files", "pass_filenames", "require_serial")}
    config = {"repos": [{"repo": "local", "hooks": [{**local, "language": "system"}]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(repo, "init", "-q")
    git(repo, "add", ".")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # our console script
        "DAGSTER_COMPONENTS_LS_CACHE": str(CACHE),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "server"), os.environ.get("PYTHONPATH")])),
    }
    run = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
    )
    # pre-commit pads its status line with dots to the terminal's width; "in 1 file": notes.yaml was not passed.
    lines = [
        re.sub(r"\.{3,}", "...", line)
        for line in run.stdout.splitlines()
        if line.startswith(("shop/", "Found ", "dagster-"))
    ]
    assert (run.returncode, lines) == (
        1,
        [
            "dagster-components-ls check...Failed",
            "shop/defs.yaml:9:3: error[unknown-attribute] Unknown attribute 'compute_sise' for "
            "acme_platform.ResearchJob. Did you mean 'compute_size'?",
            "Found 1 error and 0 warnings in 1 file.",
        ],
    ), run.stdout + run.stderr
