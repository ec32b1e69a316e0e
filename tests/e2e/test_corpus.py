"""Real public defs.yaml files (../shared/corpus/realworld), checked as CI would check them."""

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import DAGSTER_VERSION, REPO

CORPUS = (REPO.parent / "shared" / "corpus" / "realworld").resolve()
CACHE = os.environ.get("DAGSTER_COMPONENTS_LS_TEST_CACHE", "/tmp/dagster-components-ls-test-cache")
if not (CORPUS / "MANIFEST.tsv").exists():
    pytest.skip(f"the shared corpus is not beside the repository ({CORPUS})", allow_module_level=True)

INSTALLED = {"dagster", "dagster-dbt", "dagster-sling", "dagster-dlt", "dagster-fivetran", "dagster-airbyte"}

# Dagster's (pydantic's) words in the manifest -> the code we report for the same mistake.
EXPECTED_CODE = [
    (re.compile(r"Extra inputs are not permitted"), "unknown-attribute"),
    (re.compile(r"Field required"), "missing-attribute"),
    (re.compile(r"Input should be a valid"), "invalid-value"),
    (re.compile(r"YAML parse error"), "yaml-syntax"),
]


def context_unknown(line: int, old: str = "project_root") -> tuple:
    return (
        "unknown-template-variable",
        line,
        f"Unknown template variable 'context': this Dagster has no `context` in templates. Did you mean '{old}'?",
    )


# The manifest's verdicts are Dagster 1.13's. On 1.11 these valid files use what it lacks, `context` in
# templates and (dagster-dbt 0.27) a dbt project cloned from git, so they get exactly these errors there.
DBT_PROJECT_ARGS = "packaged_project_dir, profile, profiles_dir, project_dir, state_path, target, target_path"
ERRORS_ON_DAGSTER_1_11 = {
    "dagster-io__dagster/examples__docs_projects__project_etl_tutorial__src__etl_tutorial__defs__transform__defs.yaml": [
        context_unknown(4)
    ],
    "dagster-io__dagster/examples__docs_snippets__docs_snippets__guides__components__integrations__clickhouse-sql-"
    "component__9-customized-component.yaml": [context_unknown(15, "load_component_at_path")],
    "dagster-io__dagster/examples__docs_snippets__docs_snippets__guides__components__integrations__dbt-component-remote"
    "__remote-3-component.yaml": [
        ("missing-attribute", 4, "Missing required attribute 'project_dir' in attributes.project"),
        ("unknown-attribute", 5, f"Unknown attribute 'repo_url' in attributes.project. Allowed: {DBT_PROJECT_ARGS}"),
        (
            "unknown-attribute",
            6,
            f"Unknown attribute 'repo_relative_path' in attributes.project. Allowed: {DBT_PROJECT_ARGS}",
        ),
    ],
    "dagster-io__dagster/examples__docs_snippets__docs_snippets__guides__components__integrations__dbt-component__12-"
    "customized-component.yaml": [context_unknown(4)],
    "dagster-io__dagster/examples__docs_snippets__docs_snippets__guides__components__integrations__dbt-component__16-"
    "component.yaml": [context_unknown(9, "load_component_at_path")],
    "dagster-io__project-dagster-university/dagster_university__ai_driven_data_engineering__src__ai_driven_data_"
    "engineering__defs__fct_orders_s3_export__defs.yaml": [context_unknown(7)],
    "dagster-io__project-dagster-university/dagster_university__ai_driven_data_engineering__src__ai_driven_data_"
    "engineering__defs__jaffle_shop__defs.yaml": [context_unknown(4)],
}


def manifest() -> list[dict]:
    with open(CORPUS / "MANIFEST.tsv", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def documents_ok(row: dict) -> bool:
    verdicts = [part.split(":", 1)[1].strip() for part in row["check_dagster_1.13.27"].split("|") if ":" in part]
    return bool(verdicts) and all(v == "OK" for v in verdicts)


def installed(row: dict) -> bool:
    sources = {s.strip() for s in row["type_source"].split("|")}
    return bool(sources) and sources <= INSTALLED


VALID = [row["file"] for row in manifest() if documents_ok(row) and installed(row)]


def invalid_rows() -> list[tuple[str, set[str]]]:
    out = []
    for row in manifest():
        verdict = row["check_dagster_1.13.27"]
        file_level = "file-model errors" in verdict or verdict.strip() == "YAML parse error"
        if not (file_level or ("attribute errors" in verdict and installed(row))) or "unresolvable" in verdict:
            continue
        codes = {code for pattern, code in EXPECTED_CODE if pattern.search(verdict)}
        out.append((row["file"], codes))
    return out


INVALID = invalid_rows()


@pytest.fixture(scope="module")
def results() -> dict[str, list[dict]]:
    """One `check --format json` run over every selected corpus file (explicitly named, so any name counts)."""
    files = [str(CORPUS / name) for name in VALID + [name for name, _ in INVALID]]
    proc = subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "check", "--format", "json", *files],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": CACHE},
    )
    assert proc.returncode in (0, 1), proc.stderr
    by_file: dict[str, list[dict]] = {name: [] for name in files}
    for item in json.loads(proc.stdout):
        by_file[str(Path(item["path"]).resolve())].append(item)  # a KeyError here: a path we did not ask for
    return by_file


def test_the_selection_is_not_empty():
    assert (len(VALID), len(INVALID)) >= (20, 10)


@pytest.mark.parametrize("name", VALID)
def test_valid_corpus_file_has_no_error(name, results):
    errors = [
        (d["code"], d["range"]["start"]["line"] + 1, d["message"])
        for d in results[str(CORPUS / name)]
        if d["severity"] == "error"
    ]
    assert errors == (ERRORS_ON_DAGSTER_1_11.get(name, []) if DAGSTER_VERSION < (1, 13) else [])


@pytest.mark.parametrize("name, codes", INVALID, ids=[name for name, _ in INVALID])
def test_invalid_corpus_file_gets_the_expected_error(name, codes, results):
    reported = {d["code"] for d in results[str(CORPUS / name)] if d["severity"] == "error"}
    assert codes and codes <= reported
