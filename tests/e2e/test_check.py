"""`dagster-components-ls check` as CI runs it: a real process, real worker, real installed types."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_support import DAGSTER_VERSION, EXAMPLES, REPO

CACHE = os.environ.get("DAGSTER_COMPONENTS_LS_TEST_CACHE", "/tmp/dagster-components-ls-test-cache")

# (file under examples/broken, start line, start col, end line, end col, severity, code, message); LSP positions.
BROKEN = [
    (
        "component_validation/defs.yaml",
        8,
        2,
        8,
        11,
        "error",
        "component-validation",
        "asset_key 'raw/churn_scores' uses the namespace 'raw', which is reserved for ingestion and dbt (marts, raw, "
        "staging); use your team's namespace, e.g. 'research/...' (from acme_platform.ResearchJob)",
    ),
    (
        "deprecated_file_name/component.yaml",
        0,
        0,
        0,
        91,
        "warning",
        "deprecated",
        "`component.yaml` is deprecated: rename the file to `defs.yaml`",
    ),
    (
        "deprecated_template_name/defs.yaml",
        5,
        15,
        5,
        27,
        "warning",
        "deprecated",
        "`project_root` is deprecated in templates: use {{ context.project_root }}",
    ),
    (
        "invalid_boolean/defs.yaml",
        7,
        18,
        7,
        23,
        "error",
        "invalid-value",
        "attributes.prepare_if_dev: 'maybe' is not a boolean (true or false)",
    ),
    (
        "invalid_constraint/defs.yaml",
        10,
        17,
        10,
        23,
        "error",
        "invalid-value",
        "attributes.observability.sla_minutes: 100000 is greater than the maximum of 1440",
    ),
    (
        "invalid_enum/defs.yaml",
        9,
        16,
        9,
        22,
        "error",
        "invalid-value",
        "attributes.compute_size: 'xlarge' is not one of ['small', 'medium', 'large']",
    ),
    (
        "missing_attribute/defs.yaml",
        4,
        0,
        4,
        10,
        "error",
        "missing-attribute",
        "Missing required attribute 'owner' in attributes",
    ),
    ("missing_file/defs.yaml", 7, 10, 7, 18, "warning", "missing-file", "'scroe.py' does not exist next to this file"),
    (
        "missing_type/defs.yaml",
        2,
        0,
        2,
        10,
        "error",
        "missing-attribute",
        "Missing `type:`: every component document names its component type",
    ),
    (
        "policy_personal_owner/defs.yaml",
        8,
        9,
        8,
        25,
        "error",
        "policy:acme-naming",
        "owner 'ada@acme.example' is a person; ACME assets must be owned by a team ('team:<name>') (from acme-platform)",
    ),
    (
        "template_syntax/defs.yaml",
        5,
        12,
        5,
        53,
        "error",
        "template-syntax",
        "Unclosed '{{': the expression needs a closing '}}'",
    ),
    (
        "two_documents/defs.yaml",
        9,
        2,
        9,
        14,
        "error",
        "unknown-attribute",
        "Unknown attribute 'compute_sise' for acme_platform.ResearchJob. Did you mean 'compute_size'?",
    ),
    (
        "type_import_error/defs.yaml",
        3,
        6,
        3,
        30,
        "error",
        "type-import-error",
        "Component type 'acme_platform.gpu.GpuJob' could not be loaded: importing 'acme_platform.gpu' failed: "
        "ModuleNotFoundError: No module named 'acme_cuda_runtime' (install the package that provides "
        "'acme_cuda_runtime' in the project's environment)",
    ),
    (
        "undeclared_env_var/defs.yaml",
        15,
        27,
        15,
        45,
        "warning",
        "undeclared-env-var",
        "Environment variable 'ACME_ALERT_CHANNEL' is used but not declared in `requirements.env`",
    ),
    (
        "unknown_attribute/defs.yaml",
        8,
        2,
        8,
        14,
        "error",
        "unknown-attribute",
        "Unknown attribute 'compute_sise' for acme_platform.ResearchJob. Did you mean 'compute_size'?",
    ),
    (
        "unknown_template_variable/defs.yaml",
        5,
        15,
        5,
        21,
        "error",
        "unknown-template-variable",
        "Unknown template variable 'contxt'. Did you mean 'context'?",
    ),
    (
        "unknown_type/defs.yaml",
        2,
        6,
        2,
        36,
        "error",
        "unknown-type",
        "Unknown component type 'dagster_dbt.DbtProjectComponnt'. Did you mean 'dagster_dbt.DbtProjectComponent'?",
    ),
    (
        "yaml_syntax/defs.yaml",
        7,
        9,
        7,
        23,
        "error",
        "yaml-syntax",
        "Unclosed quote: this string is never closed (the file ends first)",
    ),
]

# Dagster 1.11 has no `context` in templates (1.13 added it and deprecated `project_root` in its favour):
# there the examples' `{{ context.project_root }}` is an unknown name, `project_root` is not deprecated,
# and 'contxt' has no close name to suggest.
CONTEXT_UNKNOWN = (
    "error",
    "unknown-template-variable",
    "Unknown template variable 'context': this Dagster has no `context` in templates. Did you mean 'project_root'?",
)


def on_dagster_1_11(row: tuple) -> list[tuple]:
    file = row[0]
    if file == "deprecated_template_name/defs.yaml":
        return []
    if file == "invalid_boolean/defs.yaml":
        return [(file, 6, 15, 6, 35, *CONTEXT_UNKNOWN), row]  # the span is `context.project_root`
    if file == "unknown_template_variable/defs.yaml":
        return [(*row[:7], "Unknown template variable 'contxt'")]
    return [row]


if DAGSTER_VERSION < (1, 13):
    BROKEN = [new for row in BROKEN for new in on_dagster_1_11(row)]


def check(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": CACHE, **(env or {})},
    )


SLOW_STEP = re.compile(r"^dagster-components-ls check: [^:]+: .*(\.\.\.| took [0-9.]+ s)$")


def told(stderr: str) -> list[str]:
    """What check said on stderr, less the line per project naming its interpreter and Dagster, and
    the lines about slow steps (how slow depends on the machine)."""
    return [line for line in stderr.splitlines() if not line.startswith("Checking ") and not SLOW_STEP.match(line)]


def rows(stdout: str) -> list[tuple]:
    return [
        (
            d["path"].removeprefix("examples/broken/"),
            d["range"]["start"]["line"],
            d["range"]["start"]["character"],
            d["range"]["end"]["line"],
            d["range"]["end"]["character"],
            d["severity"],
            d["code"],
            d["message"],
        )
        for d in json.loads(stdout)
    ]


def test_json_over_broken_examples_reports_exactly_their_mistakes():
    result = check("--format", "json", "examples/broken")
    assert (result.returncode, rows(result.stdout)) == (1, BROKEN)
    assert json.loads(result.stdout)[0]["source"] == "dagster"


def test_clean_project_reports_nothing():
    result = check("--format", "json", "examples/acme_analytics")
    if DAGSTER_VERSION < (1, 13):  # see CONTEXT_UNKNOWN
        assert (result.returncode, rows(result.stdout)) == (
            1,
            [("examples/acme_analytics/src/acme_analytics/defs/jaffle_shop/defs.yaml", 4, 15, 4, 35, *CONTEXT_UNKNOWN)],
        )
        return
    assert (result.returncode, result.stdout.strip(), json.loads(result.stdout)) == (0, "[]", [])


def test_text_format_and_summary():
    result = check("examples/broken/unknown_type", "examples/broken/undeclared_env_var")
    assert result.stdout.splitlines() == [
        "examples/broken/undeclared_env_var/defs.yaml:16:28: warning[undeclared-env-var] Environment variable "
        "'ACME_ALERT_CHANNEL' is used but not declared in `requirements.env`",
        "examples/broken/unknown_type/defs.yaml:3:7: error[unknown-type] Unknown component type "
        "'dagster_dbt.DbtProjectComponnt'. Did you mean 'dagster_dbt.DbtProjectComponent'?",
        "Found 1 error and 1 warning in 2 files.",
    ]
    assert result.returncode == 1


def test_text_format_is_one_line_per_diagnostic_and_json_keeps_the_whole_message(tmp_path):
    from e2e_support import write_project

    root = write_project(tmp_path / "shop")
    (root / "src" / "shop" / "components" / "gadget.py").write_text(
        "import dagster as dg\nimport pydantic\n\n\n"
        "class Gadget(dg.Component, dg.Model, dg.Resolvable):\n"
        "    name: str\n\n"
        "    @pydantic.field_validator('name')\n"
        "    @classmethod\n"
        "    def _named(cls, value):\n"
        "        raise ValueError('names are chosen by the platform:\\n  - gizmo\\n  - widget\\n')\n\n"
        "    def build_defs(self, context):\n"
        "        return dg.Definitions()\n"
    )
    defs = root / "src" / "shop" / "defs" / "gadgets" / "defs.yaml"
    defs.write_text("type: shop.components.gadget.Gadget\nattributes:\n  name: g\n")
    text = check(str(root), cwd=root)
    assert text.stdout.splitlines() == [
        "src/shop/defs/gadgets/defs.yaml:3:3: error[component-validation] names are chosen by the platform: | - gizmo "
        "| - widget (from shop.components.gadget.Gadget)",
        "Found 1 error and 0 warnings in 1 file.",
    ]
    [finding] = json.loads(check("--format", "json", str(root), cwd=root).stdout)
    assert finding["message"] == (
        "names are chosen by the platform:\n  - gizmo\n  - widget\n (from shop.components.gadget.Gadget)"
    )


def test_stderr_names_the_interpreter_and_warns_when_ours_judges_a_project_locked_to_another_dagster(tmp_path):
    from e2e_support import write_project

    root = write_project(tmp_path / "shop")
    (root / "uv.lock").write_text(
        'version = 1\n\n[[package]]\nname = "dagster"\nversion = "1.10.14"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    result = subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "check", "--format", "json", str(root)],
        capture_output=True,
        text=True,
        cwd=root,
        env={**env, "DAGSTER_COMPONENTS_LS_CACHE": CACHE},
    )
    ours = ".".join(str(part) for part in DAGSTER_VERSION)
    said = [
        line
        for line in result.stderr.splitlines()
        if line.startswith(("dagster-components-ls check:", "Checking")) and not SLOW_STEP.match(line)
    ]
    assert [line.split("; component types")[0] for line in said] == [
        f"Checking {root} with {sys.executable} (Dagster {ours})",
        f"dagster-components-ls check: warning: {root} has no environment of its own (.venv, $VIRTUAL_ENV or "
        f"--python), so this tool's interpreter judged it with Dagster {ours}, but its uv.lock pins Dagster 1.10.14",
    ]
    assert json.loads(result.stdout)[0]["code"] == "unknown-attribute"  # stdout keeps only the result


def test_warnings_alone_exit_zero():
    result = check("examples/broken/undeclared_env_var/defs.yaml")
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "Found 0 errors and 1 warning in 1 file."


def test_github_format():
    result = check("--format", "github", "examples/broken/invalid_enum")
    assert result.stdout.splitlines() == [
        "::error file=examples/broken/invalid_enum/defs.yaml,line=10,col=17,endLine=10,endColumn=23,"
        "title=dagster invalid-value::[invalid-value] attributes.compute_size: 'xlarge' is not one of "
        "['small', 'medium', 'large']",
    ]


@pytest.mark.parametrize(
    "args, codes",
    [
        pytest.param(
            ["--select", "deprecated"],
            ["deprecated"] if DAGSTER_VERSION < (1, 13) else ["deprecated", "deprecated"],
            id="select",
        ),
        pytest.param(["--select", "unknown-"], [], id="select-needs-whole-code-or-prefix-colon"),
        pytest.param(
            ["--ignore", "invalid-value,deprecated,missing-attribute,policy:,component-validation"],
            (["unknown-template-variable"] if DAGSTER_VERSION < (1, 13) else [])  # see CONTEXT_UNKNOWN
            + [
                "missing-file",
                "template-syntax",
                "unknown-attribute",
                "type-import-error",
                "undeclared-env-var",
                "unknown-attribute",
                "unknown-template-variable",
                "unknown-type",
                "yaml-syntax",
            ],
            id="ignore",
        ),
    ],
)
def test_select_and_ignore(args, codes):
    result = check("--format", "json", *args, "examples/broken")
    assert [r[6] for r in rows(result.stdout)] == codes


def test_explicit_file_is_checked_whatever_its_name(tmp_path):
    path = tmp_path / "my-component.yml"
    path.write_text("type: dagster_dbt.DbtProjectComponent\nattributes:\n  projct: x\n")
    result = check("--format", "json", str(path))
    assert [(d["code"], d["path"]) for d in json.loads(result.stdout)] == [
        ("missing-attribute", str(path)),
        ("unknown-attribute", str(path)),
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        pytest.param(
            ["no/such/path"], "dagster-components-ls check: no such file or folder: no/such/path", id="missing-path"
        ),
        pytest.param(
            ["--python", "/nonexistent/bin/python", "examples/broken/unknown_type"],
            "dagster-components-ls check: ",
            id="missing-interpreter",
        ),
    ],
)
def test_could_not_run_exits_2_with_empty_stdout(args, message):
    result = check(*args)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(message)
    assert "/nonexistent/bin/python" in result.stderr or "no/such/path" in result.stderr


def test_malformed_pyproject_exits_2(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.dg\ndirectory_type = 'project'\n")
    (tmp_path / "defs.yaml").write_text("type: a.B\n")
    result = check(str(tmp_path / "defs.yaml"))
    assert (result.returncode, result.stdout) == (2, "")
    assert "pyproject.toml" in result.stderr


def test_stdout_carries_only_the_result_when_user_code_prints(tmp_path):
    (tmp_path / "src" / "loud" / "components").mkdir(parents=True)
    (tmp_path / "src" / "loud" / "defs").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.dg]\ndirectory_type = 'project'\n[tool.dg.project]\nroot_module = 'loud'\n"
        "registry_modules = ['loud.components.*']\n"
    )
    (tmp_path / "src" / "loud" / "__init__.py").write_text("print('hello from user code')\n")
    (tmp_path / "src" / "loud" / "components" / "__init__.py").write_text("")
    (tmp_path / "src" / "loud" / "components" / "noisy.py").write_text(
        "import os, sys\nprint('noise on stdout')\nos.system('echo noise from a subprocess')\n"
    )
    (tmp_path / "src" / "loud" / "defs" / "defs.yaml").write_text("type: dagster.DefsFolderComponent\n")
    result = check("--format", "json", str(tmp_path))
    assert (result.returncode, json.loads(result.stdout)) == (0, [])
    assert "noise on stdout" in result.stderr


def test_each_project_of_a_workspace_uses_its_own_types(tmp_path):
    from e2e_support import write_project

    (tmp_path / "dg.toml").write_text('directory_type = "workspace"\n')
    shop = write_project(tmp_path / "projects" / "shop")
    other = write_project(tmp_path / "projects" / "other")
    # `other` has the same layout under another root module, and no `color` problem.
    for path in [other / "pyproject.toml"]:
        path.write_text(path.read_text().replace('"shop', '"other'))
    (other / "src" / "shop").rename(other / "src" / "other")
    defs = other / "src" / "other" / "defs" / "gadgets" / "defs.yaml"
    defs.write_text("type: other.components.gadget.Gadget\nattributes:\n  name: g\n")
    # A type from the other project does not exist in this one.
    (shop / "src" / "shop" / "defs" / "cross" / "defs.yaml").parent.mkdir()
    (shop / "src" / "shop" / "defs" / "cross" / "defs.yaml").write_text(
        "type: other.components.gadget.Gadget\nattributes:\n  name: g\n"
    )
    result = check("--format", "json", str(tmp_path), cwd=tmp_path)
    assert [(d["path"], d["code"], d["message"]) for d in json.loads(result.stdout)] == [
        (
            "projects/shop/src/shop/defs/cross/defs.yaml",
            "unknown-type",
            "Unknown component type 'other.components.gadget.Gadget'. Did you mean 'shop.components.gadget.Gadget'?",
        ),
        (
            "projects/shop/src/shop/defs/gadgets/defs.yaml",
            "unknown-attribute",
            "Unknown attribute 'color' for shop.components.gadget.Gadget. Allowed: name",
        ),
    ]


def test_components_json_lists_installed_types():
    result = subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "components", "--format", "json", "examples/acme_analytics"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": CACHE},
    )
    items = {item["key"]: item for item in json.loads(result.stdout)}
    job = items["acme_platform.ResearchJob"]
    assert (
        job["package"],
        job["aliases"],
        job["schema"]["required"],
        job["source"]["uri"].endswith("research_job.py"),
    ) == (
        "acme-platform",
        ["acme_platform.components.research_job.ResearchJob"],
        ["asset_key", "owner"],
        True,
    )
    assert {
        "acme_analytics.components.metric.Metric",
        "acme_analytics.defs.reports.weekly_report.WeeklyReport",
        "dagster_dbt.DbtProjectComponent",
    } <= set(items)


def test_a_type_whose_module_raises_on_import_is_reported_at_the_type(tmp_path):
    from e2e_support import write_project

    root = write_project(tmp_path / "shop")
    (root / "src" / "shop" / "components" / "exploding.py").write_text(
        "raise RuntimeError('the platform package is misconfigured')\n"
    )
    defs = root / "src" / "shop" / "defs" / "gadgets" / "defs.yaml"
    defs.write_text("type: shop.components.exploding.Bomb\nattributes: {}\n")
    result = check("--format", "json", str(root), cwd=root)
    assert [(d["code"], d["range"]["start"], d["message"]) for d in json.loads(result.stdout)] == [
        (
            "type-import-error",
            {"line": 0, "character": 6},
            "Component type 'shop.components.exploding.Bomb' could not be loaded: importing 'shop.components.exploding' "
            "failed: RuntimeError: the platform package is misconfigured",
        ),
    ]
    assert result.returncode == 1


def test_schema_export_writes_schemas_any_validator_can_use(tmp_path):
    import jsonschema
    import yaml

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dagster_components_ls",
            "schema",
            "export",
            str(tmp_path),
            "--project",
            "examples/acme_analytics",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": CACHE},
    )
    assert (result.returncode, result.stdout) == (0, "")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert {"acme_platform.ResearchJob.json", "dagster_dbt.DbtProjectComponent.json", "defs.schema.json"} <= set(names)
    combined = json.loads((tmp_path / "defs.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(combined)
    validator.check_schema(combined)
    defs = sorted((EXAMPLES / "acme_analytics" / "src").rglob("defs.yaml"))
    documents = [doc for path in defs for doc in yaml.safe_load_all(path.read_text())]
    assert len(documents) >= 6
    assert [list(validator.iter_errors(doc)) for doc in documents] == [[]] * len(documents)
    broken = yaml.safe_load((EXAMPLES / "broken" / "unknown_attribute" / "defs.yaml").read_text())
    assert [e.message for e in validator.iter_errors(broken)] == [
        "Additional properties are not allowed ('compute_sise' was unexpected)"
    ]
    single = json.loads((tmp_path / "acme_platform.ResearchJob.json").read_text())
    assert list(jsonschema.Draft202012Validator(single).iter_errors(broken))[0].json_path == "$.attributes"


def test_fix_applies_only_the_safe_fixes(tmp_path):
    for name in ("unknown_attribute", "undeclared_env_var", "invalid_enum"):
        shutil.copytree(EXAMPLES / "broken" / name, tmp_path / name)
    result = check("--fix", "--format", "json", str(tmp_path), cwd=tmp_path)
    assert [(d["path"], d["code"]) for d in json.loads(result.stdout)] == [
        ("invalid_enum/defs.yaml", "invalid-value")
    ]  # several members fit: not safe to choose
    assert sorted(told(result.stderr)) == [
        "Fixed 1 problem in undeclared_env_var/defs.yaml",
        "Fixed 1 problem in unknown_attribute/defs.yaml",
    ]
    assert "  compute_size: medium\n" in (tmp_path / "unknown_attribute" / "defs.yaml").read_text()
    assert "    - ACME_ALERT_CHANNEL\n" in (tmp_path / "undeclared_env_var" / "defs.yaml").read_text()


def test_components_text_is_one_line_per_type():
    result = subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "components", "examples/acme_analytics"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": CACHE},
    )
    keys = [line.split()[0] for line in result.stdout.splitlines()]
    listed = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dagster_components_ls",
                "components",
                "--format",
                "json",
                "examples/acme_analytics",
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": CACHE},
        ).stdout
    )
    assert keys == [item["key"] for item in listed]
    job = next(line for line in result.stdout.splitlines() if line.startswith("acme_platform.ResearchJob "))
    assert (
        job.split(None, 1)[1]
        == "Runs a researcher's notebook or script on the shared cluster and materializes one asset."
    )


def unreadable_and_readable_files(root: Path) -> None:
    """Beside two readable files: a FIFO, a dangling symlink and a folder named defs.yaml, and a file
    that is not UTF-8 (tests run as root, for whom chmod 000 hides nothing)."""
    (root / "fifo").mkdir()
    os.mkfifo(root / "fifo" / "defs.yaml")
    (root / "dangling").mkdir()
    (root / "dangling" / "defs.yaml").symlink_to(root / "nowhere.yaml")
    (root / "folder" / "defs.yaml").mkdir(parents=True)
    (root / "latin1").mkdir()
    (root / "latin1" / "defs.yaml").write_bytes(b"type: dagster.DefsFolderComponent\n# caf\xe9 cr\xe8me\n")
    (root / "missing_type").mkdir()
    (root / "missing_type" / "defs.yaml").write_text("attributes: {}\n")
    (root / "clean").mkdir()
    (root / "clean" / "defs.yaml").write_text("type: dagster.DefsFolderComponent\n")


UNREADABLE_WARNINGS = [
    "dagster-components-ls check: warning: dangling/defs.yaml was not checked: a dangling symbolic link to {root}/nowhere.yaml",
    "dagster-components-ls check: warning: fifo/defs.yaml was not checked: not a regular file (a FIFO)",
    "dagster-components-ls check: warning: folder/defs.yaml was not checked: not a regular file (a folder)",
]


def test_unreadable_files_are_reported_and_the_others_checked(tmp_path):
    unreadable_and_readable_files(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "check", "--format", "json", "."],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": CACHE},
    )
    assert [
        (d["path"], d["range"]["start"], d["range"]["end"], d["code"], d["message"]) for d in json.loads(result.stdout)
    ] == [
        (
            "latin1/defs.yaml",
            {"line": 1, "character": 5},
            {"line": 1, "character": 6},
            "yaml-syntax",
            "Not valid UTF-8: the byte 0xE9 cannot be decoded (Dagster reads defs.yaml files as UTF-8)",
        ),
        (
            "missing_type/defs.yaml",
            {"line": 0, "character": 0},
            {"line": 0, "character": 10},
            "missing-attribute",
            "Missing `type:`: every component document names its component type",
        ),
    ]
    assert [
        line
        for line in result.stderr.splitlines()
        if line.startswith("dagster-components-ls") and not SLOW_STEP.match(line)
    ] == [line.format(root=tmp_path) for line in UNREADABLE_WARNINGS]
    assert result.returncode == 1


def test_unreadable_files_alone_exit_zero(tmp_path):
    unreadable_and_readable_files(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "check", "fifo/defs.yaml", "dangling", "folder", "clean"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": CACHE},
    )
    assert (result.returncode, result.stdout) == (0, "No problems in 1 file.\n")
    assert told(result.stderr) == [line.format(root=tmp_path) for line in UNREADABLE_WARNINGS]


def test_fix_never_rewrites_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "defs.yaml"
    path.write_bytes(b"type: dagster.DefsFolderComponent\nattributs: {}\n# caf\xe9\n")
    result = subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "check", "--fix", "--format", "json", "."],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": CACHE},
    )
    assert [(d["range"]["start"]["line"], d["code"]) for d in json.loads(result.stdout)] == [
        (1, "unknown-attribute"),
        (2, "yaml-syntax"),
    ]
    assert told(result.stderr) == [
        "dagster-components-ls check: warning: defs.yaml was not fixed: it is not valid UTF-8"
    ]
    assert path.read_bytes() == b"type: dagster.DefsFolderComponent\nattributs: {}\n# caf\xe9\n"


def test_a_fifo_in_a_projects_defs_folder_is_reported_and_the_project_checked(tmp_path):
    from e2e_support import write_project

    root = write_project(tmp_path / "shop")
    os.mkfifo(root / "src" / "shop" / "defs" / "defs.yaml")  # read by the fingerprint and the worker too
    result = subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "check", "."],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": CACHE},
    )
    assert (result.returncode, result.stdout) == (
        1,
        (
            "src/shop/defs/gadgets/defs.yaml:4:3: error[unknown-attribute] Unknown attribute 'color' for "
            "shop.components.gadget.Gadget. Allowed: name\nFound 1 error and 0 warnings in 1 file.\n"
        ),
    )
    assert told(result.stderr) == [
        "dagster-components-ls check: warning: src/shop/defs/defs.yaml was not checked: not a regular file (a FIFO)"
    ]


def test_a_component_module_that_hangs_costs_only_its_types_and_is_named(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from e2e_support import GADGET_V1, write_project

    root = write_project(tmp_path / "shop")
    (root / "src" / "shop" / "components" / "gadget.py").write_text("import time\ntime.sleep(3600)\n" + GADGET_V1)
    result = check(
        "--format",
        "json",
        str(root),
        cwd=tmp_path,
        env={"DAGSTER_COMPONENTS_LS_CACHE": str(tmp_path / "cache"), "DAGSTER_COMPONENTS_LS_CALL_TIMEOUT": "30"},
    )
    assert (result.returncode, [(d["path"], d["code"], d["message"]) for d in json.loads(result.stdout)]) == (
        1,
        [
            (
                "shop/src/shop/defs/gadgets/defs.yaml",
                "type-import-error",
                "Component type 'shop.components.gadget.Gadget' could not be loaded: importing 'shop.components.gadget' "
                "failed: did not finish within 10 s (it hangs when imported: run `python -c 'import shop.components.gadget'` with the project's interpreter to see where)",
            )
        ],
    )
    assert (
        f"dagster-components-ls check: project {root}: importing 'shop.components.gadget' failed: did not "
        f"finish within 10 s" in result.stderr.splitlines()
    )


def test_the_disk_cache_is_pruned_and_keeps_what_is_in_use(tmp_path):
    from dagster_components_ls.project.registry import CACHE_MAX_FILES

    cache = tmp_path / "cache"
    env = {"DAGSTER_COMPONENTS_LS_CACHE": str(cache)}
    project = tmp_path / "broken"
    shutil.copytree(EXAMPLES / "broken" / "component_validation", project / "component_validation")
    first = check("--format", "json", str(project), cwd=tmp_path, env=env)
    [registry_file] = cache.glob("registry-*.json")
    in_use = {path.name: path.stat().st_ino for path in cache.glob("*.json")}
    day_ago = time.time() - 86400
    for path in cache.glob("*.json"):
        os.utime(path, (day_ago, day_ago))  # older than all the junk below: only a read keeps them
    # What 150 s of editing left: answers for fingerprints long gone, other projects' registries,
    # and temp files of writes that died.
    hour_ago = time.time() - 3600
    junk = [
        *(f"validate-{i:08x}-{i:08x}-{i:016x}.json" for i in range(2 * CACHE_MAX_FILES)),
        *(f"registry-{i:016x}.json" for i in range(200)),
    ]
    for name in junk:
        (cache / name).write_text('{"key": "x", "answer": {}}')
        os.utime(cache / name, (hour_ago, hour_ago))
    for i in range(50):
        (cache / f"registry-{i:016x}.json.tmp{i}.tmp").write_text("{")
        os.utime(cache / f"registry-{i:016x}.json.tmp{i}.tmp", (day_ago, day_ago))
    (cache / "notes.txt").write_text("not ours")
    second = check("--format", "json", str(project), cwd=tmp_path, env=env)
    assert (second.returncode, second.stdout) == (first.returncode, first.stdout)
    left = sorted(path.name for path in cache.iterdir())
    assert len(left) <= CACHE_MAX_FILES + 1 and "notes.txt" in left and not [n for n in left if n.endswith(".tmp")]
    # The registry read, not rebuilt (the same file), and the cached validation answers too.
    assert registry_file.stat().st_ino == in_use[registry_file.name]
    assert {name: (cache / name).stat().st_ino for name in in_use if (cache / name).exists()} == in_use


def test_a_validator_that_raises_is_a_problem_not_silence(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from e2e_support import GADGET_V1, write_project

    root = write_project(tmp_path / "shop")
    (root / "src/shop/components/gadget.py").write_text(
        GADGET_V1.replace(
            "    name: str\n",
            (
                "    name: str\n\n"
                "    @__import__('pydantic').field_validator('name')\n"
                "    @classmethod\n"
                "    def _known(cls, value: str) -> str:\n"
                "        return {'g1': value}[value]\n"
            ),
        )
    )
    (root / "src/shop/defs/gadgets/defs.yaml").write_text(
        "type: shop.components.gadget.Gadget\nattributes:\n  name: g\n"
    )
    result = check(
        "--format", "json", str(root), cwd=tmp_path, env={"DAGSTER_COMPONENTS_LS_CACHE": str(tmp_path / "cache")}
    )
    assert (result.returncode, rows(result.stdout)) == (
        1,
        [
            (
                "shop/src/shop/defs/gadgets/defs.yaml",
                2,
                2,
                2,
                6,
                "error",
                "component-validation",
                "The validator '_known' raised KeyError: 'g' (from shop.components.gadget.Gadget)",
            )
        ],
    )


def test_a_failure_of_the_environment_is_not_served_from_the_cache_once_it_is_fixed(tmp_path):
    from e2e_support import write_project

    root = write_project(tmp_path / "shop")
    (root / "src" / "shop" / "components" / "gadget.py").write_text(
        "import os\n\nif 'SHOP_WAREHOUSE' not in os.environ:\n"
        "    raise RuntimeError('set SHOP_WAREHOUSE to the warehouse URL')\n\n"
        + (REPO / "tests" / "e2e" / "e2e_support.py").read_text().split("GADGET_V1 = '''", 1)[1].split("'''", 1)[0]
    )
    cache = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if k != "SHOP_WAREHOUSE"}

    def codes(**extra: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "dagster_components_ls", "check", "--format", "json", "."],
            capture_output=True,
            text=True,
            cwd=root,
            timeout=300,
            env={**env, "DAGSTER_COMPONENTS_LS_CACHE": str(cache), **extra},
        )
        return [d["code"] for d in json.loads(done.stdout)]

    assert codes() == ["type-import-error"]  # the type's module raised: cached, with the environment it failed in
    assert codes(SHOP_WAREHOUSE="duckdb:///w.db") == ["unknown-attribute"]  # fixed: read again, not served


def test_no_cache_reads_and_writes_no_cache(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dagster_components_ls",
            "check",
            "--no-cache",
            "--format",
            "json",
            "examples/broken/invalid_enum",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(cache)},
    )
    assert [d["code"] for d in json.loads(done.stdout)] == ["invalid-value"]
    assert "component types read by the worker" in done.stderr
    assert list(cache.iterdir()) == []


def slow_step_lines(stderr: str, root: Path) -> list[str]:
    """What check said about slow steps of the project, the time each took left out."""
    prefix = f"dagster-components-ls check: project {root}: "
    return [
        re.sub(r" took [0-9.]+ s$", " took N s", line.removeprefix(prefix))
        for line in stderr.splitlines()
        if line.startswith(prefix)
    ]


def test_slow_steps_are_told_on_stderr_and_stdout_keeps_only_the_result(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from e2e_support import GADGET_V1, write_project

    root = write_project(tmp_path / "shop")
    # Every process that imports the module waits 3 s: the registry build and the validation are slow.
    (root / "src/shop/components/gadget.py").write_text("import time\ntime.sleep(3)\n" + GADGET_V1)
    (root / "src/shop/defs/gadgets/defs.yaml").write_text(
        "type: shop.components.gadget.Gadget\nattributes:\n  name: g\n"
    )
    for fmt, result in (("text", "No problems in 1 file.\n"), ("json", "[]\n"), ("github", "")):
        done = check("--no-cache", "--format", fmt, str(root), cwd=tmp_path)
        assert (done.returncode, done.stdout) == (0, result), done.stderr
        assert slow_step_lines(done.stderr, root) == [
            "reading the component types (building the registry)...",
            "reading the component types (building the registry) took N s",
            "validating 1 document...",
            "validating 1 document took N s",
        ], fmt


def test_a_projects_files_are_validated_in_one_call_that_imports_its_modules_once(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from e2e_support import GADGET_V1, write_project

    root = write_project(tmp_path / "shop")
    (root / "src/shop/components/gadget.py").write_text(
        "import sys\nprint('importing shop.components.gadget', file=sys.stderr)\n" + GADGET_V1
    )
    for name in ("a", "b", "c"):
        (root / "src/shop/defs" / name).mkdir()
        (root / "src/shop/defs" / name / "defs.yaml").write_text(
            f"type: shop.components.gadget.Gadget\nattributes:\n  name: {name}\n---\n"
            f"type: shop.components.gadget.Gadget\nattributes:\n  name: {name}2\n"
        )
    (root / "src/shop/defs/gadgets/defs.yaml").write_text(
        "type: shop.components.gadget.Gadget\nattributes:\n  name: g\n"
    )
    done = check("--no-cache", "--format", "json", str(root), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr
    # Once to build the registry, once to validate the 4 files' 7 documents (not once per file).
    assert done.stderr.splitlines().count("worker: importing shop.components.gadget") == 2, done.stderr


STUCK = '''
from pydantic import field_validator

import dagster as dg


class Stuck(dg.Component, dg.Model, dg.Resolvable):
    """Its validator never returns for the name 'stuck'."""

    name: str

    @field_validator("name")
    @classmethod
    def _hang(cls, value: str) -> str:
        if value == "stuck":
            import time

            time.sleep(3600)
        if value != value.lower():
            raise ValueError("name must be lowercase")
        return value

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return dg.Definitions()
'''


def test_a_document_whose_validation_hangs_costs_only_itself_in_the_projects_call(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from e2e_support import write_project

    root = write_project(tmp_path / "shop")
    (root / "src/shop/components/stuck.py").write_text(STUCK)
    for name, value in (("a", "stuck"), ("b", "Loud")):
        (root / "src/shop/defs" / name).mkdir()
        (root / "src/shop/defs" / name / "defs.yaml").write_text(
            f"type: shop.components.stuck.Stuck\nattributes:\n  name: {value}\n"
        )
    (root / "src/shop/defs/gadgets/defs.yaml").write_text(
        "type: shop.components.gadget.Gadget\nattributes:\n  name: g\n"
    )
    # Each document's budget is a quarter of the (capped) call's: 5 s.
    done = check(
        "--format",
        "json",
        str(root),
        cwd=tmp_path,
        env={"DAGSTER_COMPONENTS_LS_CACHE": str(tmp_path / "cache"), "DAGSTER_COMPONENTS_LS_CALL_TIMEOUT": "20"},
    )
    assert (
        done.returncode,
        [
            (d["path"], d["range"]["start"]["line"], d["severity"], d["code"], d["message"])
            for d in json.loads(done.stdout)
        ],
    ) == (
        1,
        [
            (
                "shop/src/shop/defs/a/defs.yaml",
                0,
                "warning",
                "worker-error",
                "The component's validation of this document did not finish within 5 s, so it was left out "
                "(from shop.components.stuck.Stuck)",
            ),
            (
                "shop/src/shop/defs/b/defs.yaml",
                2,
                "error",
                "component-validation",
                "name must be lowercase (from shop.components.stuck.Stuck)",
            ),
        ],
    ), done.stderr


# A child Python that runs the CLI and prints, at exit, the protocol modules it imported.
_PROTOCOL_MODULES = (
    "import sys, atexit\n"
    "atexit.register(lambda: print('PROTOCOL_MODULES', sorted(m for m in sys.modules"
    " if m.split('.')[0] in {'lsprotocol', 'pygls'}), file=sys.stderr))\n"
    "from dagster_components_ls.__main__ import main\n"
    "sys.exit(main())\n"
)


@pytest.mark.parametrize("load", [pytest.param([], id="check"), pytest.param(["--load"], id="check-load")])
def test_check_never_imports_the_protocol(load, tmp_path):
    """`check` (with --load or without) needs no LSP: lsprotocol and pygls cost start-up time in CI."""
    project = tmp_path / "acme_analytics"  # a copy: loading prepares dbt state inside the project
    shutil.copytree(
        EXAMPLES / "acme_analytics",
        project,
        ignore=shutil.ignore_patterns(".local_defs_state", "target", "__pycache__", "*.egg-info", "logs", "*.duckdb*"),
    )
    result = subprocess.run(
        [sys.executable, "-c", _PROTOCOL_MODULES, "check", *load, str(project)],
        capture_output=True,
        text=True,
        cwd=project,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": CACHE},
    )
    assert result.returncode in (0, 1), result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("PROTOCOL_MODULES")]
    assert line == "PROTOCOL_MODULES []"
