import copy
from pathlib import Path

import pytest
from carets import with_caret, with_marks
from odd_documents import ODD_DOCUMENTS

from dagster_components_ls.features.definition import definition, document_links
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import LineIndex
from dagster_components_ls.model.registry import Registry

ROOT = "/repo"
FOLDER = "/repo/src/acme/defs/research"
JOB_SOURCE = "/repo/src/acme_platform/components/research_job.py"
RESEARCH = "type: acme_platform.ResearchJob\nattributes:\n"

FILES = {
    # line 12 (1-based), as the registry says; the name starts at character 6
    JOB_SOURCE: "\n" * 11 + "class ResearchJob(dg.Component):\n    pass\n",
    f"{FOLDER}/template_vars.py": "import dagster as dg\n\n\n@dg.template_var\n"
    "def table_prefix() -> str:\n    return 'x'\n",
    f"{FOLDER}/local.py": "import dagster as dg\n\n\nclass LocalReport(dg.Component):\n    pass\n",
    "/repo/src/acme/shared_vars/__init__.py": "@template_var\nasync def región() -> str: ...\n",
    "/site/dagster_dbt/component.py": "import dagster as dg\n\n\nclass DbtProjectComponent(dg.Component):\n",
    "/site/dagster/python_script.py": "class PythonScriptComponent:\n    @staticmethod\n    @template_var\n"
    "    def script_var():\n        return 1\n",
}


def read_text(path: Path):
    return FILES.get(str(path))


@pytest.fixture(scope="module")
def ctx(registry):
    """The snapshot's registry with source files and template vars of a module and of a class."""
    snapshot = copy.deepcopy(registry.to_snapshot())
    for t in snapshot["types"]:
        if t["key"] == "acme_platform.ResearchJob":
            t["source"] = {"path": JOB_SOURCE, "line": 12}
        if t["key"] == "dagster.PythonScriptComponent":
            t["source"] = {"path": "/site/dagster/python_script.py", "line": 1}
        if t["key"] == "dagster_dbt.DbtProjectComponent":
            t["source"] = {"path": "/site/dagster_dbt/component.py", "line": 40}  # stale: the file changed
        if t["key"] == "dagster.DefsFolderComponent":
            t["source"] = {"path": "/site/dagster/unreadable.py", "line": 40}
    snapshot["template_scope"]["user_vars"] = {
        f"{FOLDER}/template_vars.py": ["table_prefix"],
        "/repo/src/acme/shared_vars/__init__.py": ["región"],
        "dagster.PythonScriptComponent": ["script_var"],
    }
    return CheckContext(
        registry=Registry.from_snapshot(snapshot), folder=FOLDER, folder_module="acme.defs.research", project_root=ROOT
    )


def locations(marked: str, ctx: CheckContext):
    """[(uri, (start line, character, end line, character))] for the cursor."""
    text, offset = with_caret(marked)
    found = definition(parse_file(text), offset, ctx, LineIndex(text), read_text=read_text)
    return [
        (loc.uri, (loc.range.start.line, loc.range.start.character, loc.range.end.line, loc.range.end.character))
        for loc in found
    ]


@pytest.mark.parametrize(
    "marked, expected",
    [
        pytest.param(
            "type: acme_platform.Research|Job\n", [(f"file://{JOB_SOURCE}", (11, 6, 11, 17))], id="type-to-class-name"
        ),
        pytest.param(
            "type: dagster_dbt.DbtProject|Component\n",
            [("file:///site/dagster_dbt/component.py", (3, 6, 3, 25))],
            id="type-whose-line-is-stale",
        ),
        pytest.param(
            "type: dagster.DefsFolder|Component\n",
            [("file:///site/dagster/unreadable.py", (39, 0, 39, 0))],
            id="type-with-unreadable-source",
        ),
        pytest.param(
            "type: |.local.LocalReport\n",
            [(f"file://{FOLDER}/local.py", (3, 6, 3, 17))],
            id="relative-type-not-in-registry",
        ),
        pytest.param("type: acme.nowhere.Thing|\n", [], id="unknown-type"),
        pytest.param(
            "template_vars_module: .template_|vars\n",
            [(f"file://{FOLDER}/template_vars.py", (0, 0, 0, 0))],
            id="relative-module",
        ),
        pytest.param(
            "template_vars_module: acme.shared_vars|\n",
            [("file:///repo/src/acme/shared_vars/__init__.py", (0, 0, 0, 0))],
            id="absolute-package",
        ),
        pytest.param("template_vars_module: .missing|\n", [], id="missing-module"),
        pytest.param(
            "template_vars_module: .template_vars\n" + RESEARCH + '  asset_key: "{{ table_pre|fix }}/x"\n',
            [(f"file://{FOLDER}/template_vars.py", (4, 4, 4, 16))],
            id="user-template-var",
        ),
        pytest.param(
            "template_vars_module: acme.shared_vars\n" + RESEARCH + '  asset_key: "{{ regi|ón() }}/x"\n',
            [("file:///repo/src/acme/shared_vars/__init__.py", (1, 10, 1, 16))],
            id="async-var-with-a-non-ascii-name",
        ),
        pytest.param(
            'type: dagster.PythonScriptComponent\nattributes:\n  execution: "{{ script_|var }}"\n',
            [("file:///site/dagster/python_script.py", (3, 8, 3, 18))],
            id="class-template-var",
        ),
        pytest.param(RESEARCH + '  asset_key: "{{ context.project_|root }}"\n', [], id="dagster-scope-has-no-file"),
        pytest.param(RESEARCH + '  asset_key: "{{ table_pre|fix }}"\n', [], id="var-of-no-module"),
        pytest.param("ty|pe: acme_platform.ResearchJob\n", [], id="a-key"),
    ],
)
def test_definition(marked, expected, ctx):
    assert locations(marked, ctx) == expected


def links(marked: str, ctx: CheckContext, existing: set[str]):
    text, spans = with_marks(marked)
    index = LineIndex(text)
    found = document_links(parse_file(text), ctx, index, exists=lambda p: str(p) in existing)
    got = [
        (text[index.offset_at(link.range.start) : index.offset_at(link.range.end)], link.target, link.tooltip)
        for link in found
    ]
    assert [g[0] for g in got] == [text[a:b] for a, b in spans]
    return [(target, tooltip) for _, target, tooltip in got]


def test_document_links(ctx):
    marked = (
        "type: acme_platform.ResearchJob\n"
        "template_vars_module: [[.template_vars]]\n"
        "attributes:\n"
        "  script: [[job.py]]\n"
        "  notebook: missing.ipynb\n"
        "  description: job.py\n"
        "---\n"
        "type: dagster_dbt.DbtProjectComponent\n"
        "attributes:\n"
        '  project: "[[{{ context.project_root }}/dbt]]"\n'
        "  op: {name: x, path: '[[../shared/sql]]'}\n"
        "---\n"
        "type: dagster.TemplatedSqlComponent\n"
        "attributes:\n"
        "  sql_template: SELECT 1\n"
        "  project:\n"
        '    project_dir: "{{ env.DIR }}/dbt"\n'
        "    path: [[/abs/q.sql]]\n"
    )
    existing = {
        f"{FOLDER}/template_vars.py",
        f"{FOLDER}/job.py",
        "/repo/dbt",
        "/repo/src/acme/defs/shared/sql",
        "/abs/q.sql",
        f"{FOLDER}/SELECT 1",
    }
    assert links(marked, ctx, existing) == [
        (f"file://{FOLDER}/template_vars.py", "Open src/acme/defs/research/template_vars.py"),
        (f"file://{FOLDER}/job.py", "Open src/acme/defs/research/job.py"),
        ("file:///repo/dbt", "Open dbt"),
        ("file:///repo/src/acme/defs/shared/sql", "Open src/acme/defs/shared/sql"),
        ("file:///abs/q.sql", "Open /abs/q.sql"),
    ]


@pytest.mark.parametrize(
    "marked, ctx_kwargs, existing, expected",
    [
        pytest.param(
            "type: x\nattributes:\n  sql_template: [[q.sql]]\n",
            {"folder": "/f"},
            {"/f/q.sql"},
            [("file:///f/q.sql", "Open /f/q.sql")],
            id="sql-file",
        ),
        pytest.param("type: x\nattributes:\n  script: 's.py'\n", {}, {"s.py"}, [], id="relative-without-a-folder"),
        pytest.param(
            "type: x\nattributes:\n  project: '{{ project_root }}/d'\n", {}, {"/d"}, [], id="project-root-unknown"
        ),
        pytest.param(
            'type: x\nattributes:\n  project: "[[{{project_root}}/d]]"\n',
            {"project_root": "/r"},
            {"/r/d"},
            [("file:///r/d", "Open d")],
            id="deprecated-project-root",
        ),
        pytest.param(
            "type: x\nattributes:\n  path: https://example.com/a\n",
            {"folder": "/f"},
            {"/f/https:/example.com/a"},
            [],
            id="url",
        ),
        pytest.param(
            "type: x\nattributes:\n  script: >\n    s.py\n", {"folder": "/f"}, {"/f/s.py"}, [], id="block-scalar"
        ),
        pytest.param("script: [\n", {"folder": "/f"}, {"/f/["}, [], id="broken-yaml"),
    ],
)
def test_document_link_cases(marked, ctx_kwargs, existing, expected):
    assert links(marked, CheckContext(registry=None, **ctx_kwargs), existing) == expected


@pytest.mark.parametrize("text", ODD_DOCUMENTS)
def test_never_raises(text, ctx):
    parsed, index = parse_file(text), LineIndex(text)
    for context in (ctx, CheckContext(registry=None), CheckContext(registry=ctx.registry)):
        document_links(parsed, context, index, exists=lambda p: True)
        for offset in range(len(text) + 1):
            definition(parsed, offset, context, index, read_text=read_text)
