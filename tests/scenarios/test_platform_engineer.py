"""Scenario: a platform engineer adds a validated field and a policy to acme_platform, and a project whose
documents are open picks both up without a restart; then CI's `check` reports the new violations.

The platform package and the project are copies, installed (editable, no dependencies) into a temporary
venv that sees the repository's .venv through a .pth line: the shared .venv and examples stay untouched.
"""

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
import pytest_lsp
from e2e_support import (
    copy_example,
    defs,
    diagnostics_until,
    open_and_wait,
    server_config,
    start_session,
    summary,
    write_files,
)
from pytest_lsp import LanguageClient

FIELD = """
    cost_center: Annotated[
        str | None,
        dg.Resolver.default(description="Finance cost center billed for the job's compute, e.g. `CC-1234`."),
    ] = None

    @field_validator("cost_center")
    @classmethod
    def _check_cost_center(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"CC-[0-9]{4}", value):
            raise ValueError(f"cost_center {value!r} is not a cost center: write it as 'CC-' and four digits")
        return value
"""
POLICY = '''

def description_policy(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Research jobs describe their asset: the catalog is how other teams find it."""
    attributes = document.get("attributes")
    if document.get("type") in _OWNED_TYPES and isinstance(attributes, Mapping) and not attributes.get("description"):
        return [{"path": ["attributes", "asset_key"], "message": "research assets need a description for the catalog"}]
    return []
'''
VALIDATION = (
    "component-validation",
    6,
    2,
    6,
    13,
    "cost_center 'marketing' is not a cost center: write it as 'CC-' and four digits (from acme_platform.ResearchJob)",
)
PRICING = """\
type: acme_platform.ResearchJob

attributes:
  asset_key: research/pricing
  owner: team:research
  script: pricing.py
  cost_center: marketing
"""


def pip_install(python: Path, *packages: Path, first: bool = False) -> None:
    """Editable installs without dependencies (they come from the shared .venv). hatchling comes from the
    package index through build isolation. The first install ignores the shared .venv's copies, which pip
    would otherwise try to uninstall; a reinstall replaces the temporary venv's own."""
    args = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps"]
    args += ["--ignore-installed"] if first else []
    subprocess.run(
        [*args, *(a for p in packages for a in ("-e", str(p)))], check=True, capture_output=True, timeout=300
    )


def run(python: Path, code: str) -> str:
    return subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True, timeout=60).stdout


@pytest.fixture
def setup(tmp_path):
    """(the temporary venv's python, the platform copy, the project copy)."""
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(environment)
    python = environment / "bin" / "python"
    site = Path(run(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    (site / "_shared_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    platform, project = copy_example("acme_platform", tmp_path), copy_example("acme_analytics", tmp_path)
    write_files(defs(project, "research/pricing").parent, {"defs.yaml": PRICING, "pricing.py": ""})
    pip_install(python, platform, project, first=True)
    # The copies win over the shared .venv's editable installs of the same packages.
    found = json.loads(
        run(
            python,
            "import importlib.metadata as m, json, acme_platform; print(json.dumps("
            "[acme_platform.__file__, [e.value for e in m.entry_points("
            "group='dagster_components_ls.policies')]]))",
        )
    )
    assert found == [str(platform / "src" / "acme_platform" / "__init__.py"), ["acme_platform.policies:naming_policy"]]
    return python, platform, project


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient, setup):
    python, _, project = setup
    await start_session(lsp_client, {"python": str(python)}, root_uri=project.as_uri())
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_platform_engineer_ships_a_field_and_a_policy(client: LanguageClient, setup):
    python, platform, project = setup
    path = defs(project, "research/pricing")
    uri = path.as_uri()

    # 1. A researcher's document already uses a field the platform does not have yet.
    assert summary(await open_and_wait(client, path)) == [
        (
            "unknown-attribute",
            6,
            2,
            6,
            13,
            "Unknown attribute 'cost_center' for acme_platform.ResearchJob. Allowed: "
            "asset_key, compute_size, deps, description, notebook, observability, owner, script, tags",
        )
    ]

    # 2. Edit in place: the field and its validator, saved in the platform package's source. The open
    # document follows (the registry is rebuilt when the editable source changes), no restart.
    module = platform / "src" / "acme_platform" / "components" / "research_job.py"
    module.write_text(
        module.read_text().replace(
            '\n    @field_validator("asset_key")', FIELD + '\n    @field_validator("asset_key")', 1
        )
    )
    validated = [VALIDATION]
    assert await diagnostics_until(client, uri, validated) == validated

    # 3. Reinstall: a new entry-point policy is package metadata, so the package is installed again.
    policies = platform / "src" / "acme_platform" / "policies.py"
    policies.write_text(policies.read_text() + POLICY)
    config = platform / "pyproject.toml"
    config.write_text(
        config.read_text().replace(
            'acme-naming = "acme_platform.policies:naming_policy"\n',
            'acme-naming = "acme_platform.policies:naming_policy"\n'
            'acme-descriptions = "acme_platform.policies:description_policy"\n',
        )
    )
    pip_install(python, platform)
    both = [
        (
            "policy:acme-descriptions",
            3,
            13,
            3,
            29,
            "research assets need a description for the catalog (from acme-platform)",
        ),
        VALIDATION,
    ]
    assert await diagnostics_until(client, uri, both) == both

    # 4. CI: `check` in GitHub's format, with the project's interpreter, fails on both, with the same ranges.
    check = subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "check", ".", "--format", "github", "--python", str(python)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    where = "file=src/acme_analytics/defs/research/pricing/defs.yaml"
    assert (check.returncode, check.stdout.splitlines()) == (
        1,
        [
            f"::error {where},line=4,col=14,endLine=4,endColumn=30,title=dagster policy%3Aacme-descriptions::"
            "[policy:acme-descriptions] research assets need a description for the catalog (from acme-platform)",
            f"::error {where},line=7,col=3,endLine=7,endColumn=14,title=dagster component-validation::"
            "[component-validation] cost_center 'marketing' is not a cost center: write it as 'CC-' and four digits "
            "(from acme_platform.ResearchJob)",
        ],
    )
