"""`check --report OUT.html|OUT.json`: the compliance report over the examples, exact, and its HTML safe."""

import importlib.metadata
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from e2e_support import DAGSTER_VERSION, REPO

CACHE = os.environ.get("DAGSTER_COMPONENTS_LS_TEST_CACHE", "/tmp/dagster-components-ls-test-cache")


def check(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": CACHE},
    )


def versions(*distributions: str) -> dict[str, str]:
    return {d: importlib.metadata.version(d) for d in distributions}


V = versions("dagster", "dagster-dbt", "acme-platform", "acme-analytics")
UNKNOWN = "(unknown)"


def test_json_report_counts_the_examples_types_owners_and_policy_findings(tmp_path):
    out = tmp_path / "report.json"
    result = check("--format", "json", "--report", str(out), "examples")
    report = json.loads(out.read_text(encoding="utf-8"))
    diagnostics = json.loads(result.stdout)  # the report counts what the normal output shows
    by_code = Counter(d["code"] for d in diagnostics)
    assert (result.returncode, report) == (
        1,
        {
            "version": 1,
            "projects": ["examples/acme_analytics"],
            "files": 24,
            "instances": 25,
            "types": [
                {"type": "(no type)", "package": UNKNOWN, "version": UNKNOWN, "instances": 1},  # broken/missing_type
                {
                    "type": "acme_analytics.components.metric.Metric",
                    "package": "acme-analytics",
                    "version": V["acme-analytics"],
                    "instances": 1,
                },
                {
                    "type": "acme_analytics.defs.reports.weekly_report.WeeklyReport",
                    "package": "acme-analytics",
                    "version": V["acme-analytics"],
                    "instances": 1,
                },
                {
                    "type": "acme_platform.ResearchJob",
                    "package": "acme-platform",
                    "version": V["acme-platform"],
                    "instances": 14,
                },
                {"type": "acme_platform.gpu.GpuJob", "package": UNKNOWN, "version": UNKNOWN, "instances": 1},
                {"type": "dagster.DefsFolderComponent", "package": "dagster", "version": V["dagster"], "instances": 1},
                {
                    "type": "dagster_dbt.DbtProjectComponent",
                    "package": "dagster-dbt",
                    "version": V["dagster-dbt"],
                    "instances": 5,
                },
                {"type": "dagster_dbt.DbtProjectComponnt", "package": UNKNOWN, "version": UNKNOWN, "instances": 1},
            ],
            "owners": [
                {"owner": "(no owner)", "instances": 8},
                {"owner": "ada@acme.example", "instances": 1},
                {"owner": "team:analytics", "instances": 1},
                {"owner": "team:research", "instances": 14},
                {"owner": "{{ research_owner }}", "instances": 1},  # as written: the report renders no template
            ],
            "policy_findings": {
                "total": 1,
                "by_rule": [{"rule": "acme-naming", "errors": 1, "warnings": 0}],
                "by_owner": [{"owner": "ada@acme.example", "findings": 1}],
                "by_folder": [{"folder": "examples/broken/policy_personal_owner", "findings": 1}],
            },
            "findings": {
                "errors": sum(d["severity"] == "error" for d in diagnostics),
                "warnings": sum(d["severity"] == "warning" for d in diagnostics),
                "by_code": [{"code": c, "findings": n} for c, n in sorted(by_code.items())],
            },
        },
    )
    # Dagster 1.11 judges the examples' 1.13 templates (`context`) differently: see test_check.CONTEXT_UNKNOWN.
    assert report["findings"]["errors"] + report["findings"]["warnings"] == (18 if DAGSTER_VERSION >= (1, 13) else 19)


def hostile_project(root: Path) -> Path:
    """A project whose instance names a hostile owner and breaks a built-in policy."""
    (root / "src" / "shop" / "defs" / "jobs").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "shop"\nversion = "0.1.0"\n\n[tool.dg]\ndirectory_type = "project"\n\n'
        '[tool.dg.project]\nroot_module = "shop"\n\n[tool.dagster-components-ls.policies]\n'
        'forbidden-values = { "acme_platform.*" = { compute_size = ["large"] } }\n'
    )
    (root / "src" / "shop" / "__init__.py").write_text("")
    (root / "src" / "shop" / "defs" / "__init__.py").write_text("")
    (root / "src" / "shop" / "defs" / "jobs" / "score.py").write_text("")
    (root / "src" / "shop" / "defs" / "jobs" / "defs.yaml").write_text(
        "type: acme_platform.ResearchJob\nattributes:\n  asset_key: research/scores\n"
        '  owner: "team:<script>alert(1)</script>"\n  script: score.py\n  compute_size: large\n'
    )
    return root


def test_html_report_is_self_contained_escaped_and_counts_the_policy_finding(tmp_path):
    project = hostile_project(tmp_path / "shop")
    out = tmp_path / "report.html"
    result = check("--report", str(out), ".", cwd=project)
    page = out.read_text(encoding="utf-8")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "<script>" not in page and not re.search(r"""(src|href)=|https?://|@import""", page)
    owner = "<td>team:&lt;script&gt;alert(1)&lt;/script&gt;</td>"
    assert re.findall(r"<h2>[^<]*</h2>|<tr>.*</tr>", page) == [
        "<h2>Projects</h2>",
        "<h2>Component types</h2>",
        "<tr><th>type</th><th>package</th><th>version</th><th>instances</th></tr>",
        f'<tr><td>acme_platform.ResearchJob</td><td>acme-platform</td><td>{V["acme-platform"]}</td><td class="n">1</td></tr>',
        "<h2>Owners</h2>",
        "<tr><th>owner</th><th>instances</th></tr>",
        f'<tr>{owner}<td class="n">1</td></tr>',
        "<h2>Policy findings by rule</h2>",
        "<tr><th>rule</th><th>errors</th><th>warnings</th></tr>",
        '<tr><td>forbidden-values</td><td class="n">1</td><td class="n">0</td></tr>',
        "<h2>Policy findings by owner</h2>",
        "<tr><th>owner</th><th>findings</th></tr>",
        f'<tr>{owner}<td class="n">1</td></tr>',
        "<h2>Policy findings by folder</h2>",
        "<tr><th>folder</th><th>findings</th></tr>",
        '<tr><td>src/shop/defs/jobs</td><td class="n">1</td></tr>',
        "<h2>All findings by code</h2>",
        "<tr><th>code</th><th>findings</th></tr>",
        '<tr><td>component-validation</td><td class="n">1</td></tr>',  # ResearchJob's own check of the owner
        '<tr><td>policy:forbidden-values</td><td class="n">1</td></tr>',
    ]
    assert "<ul><li>.</li></ul>" in page  # the project, relative to where check ran


def test_report_needs_html_or_json(tmp_path):
    result = check("--report", str(tmp_path / "report.txt"), "examples/acme_analytics")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.endswith("the file must end in .html or .json\n")
