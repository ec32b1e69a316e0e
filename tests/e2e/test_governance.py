"""Issue 4 through the real server: policies, the component's own validation, quick fixes, scaffolding."""

import asyncio
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from e2e_support import DAGSTER_VERSION, EXAMPLES, GADGET_V1, TIMEOUT, diagnostics_until, open_and_wait, write_project
from lsprotocol import types
from pytest_lsp import LanguageClient

POLICIES = """
[tool.dagster-components-ls.policies]
allowed-types = ["shop.*"]
required-attributes = { "shop.*" = ["color"] }
forbidden-values = { "shop.*" = { color = ["red"] } }
"""


def shop_with_policies(root: Path) -> Path:
    write_project(root)
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + POLICIES)
    (root / "src" / "shop" / "components" / "gadget.py").write_text(
        GADGET_V1.replace("    name: str\n", "    name: str\n    color: str = 'blue'\n")
    )
    return root


@pytest.mark.asyncio(loop_scope="function")
async def test_document_level_policies_fire_and_stay_quiet(client: LanguageClient, tmp_path):
    root = shop_with_policies(tmp_path / "shop")
    path = root / "src" / "shop" / "defs" / "gadgets" / "defs.yaml"
    text = textwrap.dedent("""\
        type: shop.components.gadget.Gadget
        attributes:
          name: no-color
        ---
        type: shop.components.gadget.Gadget
        attributes:
          name: red
          color: red
        ---
        type: shop.components.gadget.Gadget
        attributes:
          name: fine
          color: blue
        ---
        type: dagster.DefsFolderComponent
        """)
    await open_and_wait(client, path, text)
    assert await diagnostics_until(
        client,
        path.as_uri(),
        [
            (
                "policy:required-attributes",
                1,
                0,
                1,
                10,
                "Missing attribute 'color', required by the project's policy for shop.*",
            ),
            (
                "policy:forbidden-values",
                7,
                9,
                7,
                12,
                "Value 'red' for color is forbidden by the project's policy for shop.*",
            ),
            (
                "policy:allowed-types",
                14,
                6,
                14,
                33,
                "Type 'dagster.DefsFolderComponent' is not allowed by the project's policy (allowed: shop.*)",
            ),
        ],
    ) == [
        (
            "policy:required-attributes",
            1,
            0,
            1,
            10,
            "Missing attribute 'color', required by the project's policy for shop.*",
        ),
        (
            "policy:forbidden-values",
            7,
            9,
            7,
            12,
            "Value 'red' for color is forbidden by the project's policy for shop.*",
        ),
        (
            "policy:allowed-types",
            14,
            6,
            14,
            33,
            "Type 'dagster.DefsFolderComponent' is not allowed by the project's policy (allowed: shop.*)",
        ),
    ]


@pytest.mark.asyncio(loop_scope="function")
async def test_whitelist_and_naming_rule_violations_at_their_lines(client: LanguageClient, tmp_path):
    path = tmp_path / "job" / "defs.yaml"
    path.parent.mkdir()
    (path.parent / "run.py").write_text("")
    text = (
        "type: acme_platform.ResearchJob\nattributes:\n  asset_key: raw/scores\n  owner: team:research\n"
        "  script: run.py\n  compute_size: xlarge\n"
    )
    await open_and_wait(client, path, text)
    expected = [
        (
            "component-validation",
            2,
            2,
            2,
            11,
            "asset_key 'raw/scores' uses the namespace 'raw', which is reserved for ingestion and dbt (marts, raw, "
            "staging); use your team's namespace, e.g. 'research/...' (from acme_platform.ResearchJob)",
        ),
        ("invalid-value", 5, 16, 5, 22, "attributes.compute_size: 'xlarge' is not one of ['small', 'medium', 'large']"),
    ]
    assert await diagnostics_until(client, path.as_uri(), expected) == expected


@pytest.mark.asyncio(loop_scope="function")
async def test_each_quick_fix_leaves_the_document_clean(client: LanguageClient, tmp_path):
    cases = [
        ("unknown_type", "Change type to 'dagster_dbt.DbtProjectComponent'"),
        ("unknown_attribute", "Rename 'compute_sise' to 'compute_size'"),
        ("two_documents", "Remove 'compute_sise'"),
        ("undeclared_env_var", "Declare 'ACME_ALERT_CHANNEL' in requirements.env"),
        ("invalid_enum", "Change to 'large'"),
        ("unknown_template_variable", "Change 'contxt' to 'context'"),
        ("deprecated_template_name", "Replace 'project_root' with 'context.project_root'"),
        ("missing_attribute", "Add missing attribute 'owner'"),
        ("invalid_constraint", "Ignore invalid-value on this line"),
    ]
    left = {}
    if DAGSTER_VERSION < (1, 13):
        # 1.11 has no `context` in templates: 'contxt' has no suggestion, `project_root` is not deprecated,
        # and the fixed unknown_type document's `{{ context.project_root }}` is an unknown name.
        cases = [case for case in cases if case[0] not in ("unknown_template_variable", "deprecated_template_name")]
        left = {
            "unknown_type": [
                (
                    "unknown-template-variable",
                    5,
                    15,
                    5,
                    35,
                    "Unknown template variable 'context': this Dagster has no `context` in templates. "
                    "Did you mean 'project_root'?",
                )
            ]
        }
    titles = {}
    for folder, title in cases:
        shutil.copytree(EXAMPLES / "broken" / folder, tmp_path / folder)
        path = tmp_path / folder / "defs.yaml"
        uri = path.as_uri()
        diagnostics = await open_and_wait(client, path)
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=diagnostics[0].range,
                context=types.CodeActionContext(diagnostics=diagnostics),
            )
        )
        titles[folder] = [a.title for a in actions if getattr(a, "kind", None) == types.CodeActionKind.QuickFix]
        chosen = next((a for a in actions if a.title == title), None)
        assert chosen is not None, (folder, [a.title for a in actions])
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
                    for e in sorted(
                        chosen.edit.changes[uri],
                        key=lambda e: (e.range.start.line, e.range.start.character),
                        reverse=True,
                    )
                ],
            )
        )
        expected = left.get(folder, [])
        assert await diagnostics_until(client, uri, expected) == expected, (folder, title)
    assert all(titles[folder][-1].startswith("Ignore ") for folder, _ in cases), titles


@pytest.mark.asyncio(loop_scope="function")
async def test_a_validator_suggestion_is_a_quick_fix(client: LanguageClient, tmp_path):
    # ResearchJob's naming rule raises an error carrying `suggestion`: the worker passes it on, and the
    # component-validation diagnostic offers it before the ignore comment.
    shutil.copytree(EXAMPLES / "broken" / "component_validation", tmp_path / "job")
    path = tmp_path / "job" / "defs.yaml"
    uri = path.as_uri()
    await open_and_wait(client, path)
    expected = [
        (
            "component-validation",
            8,
            2,
            8,
            11,
            "asset_key 'raw/churn_scores' uses the namespace 'raw', which is reserved for ingestion and dbt "
            "(marts, raw, staging); use your team's namespace, e.g. 'research/...' (from acme_platform.ResearchJob)",
        )
    ]
    assert await diagnostics_until(client, uri, expected) == expected
    diagnostic = client.diagnostics[uri][0]
    assert diagnostic.data["suggestions"] == ["research/churn_scores"]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic], only=[types.CodeActionKind.QuickFix]),
        )
    )
    assert [(a.title, a.is_preferred) for a in actions] == [
        ("Change to 'research/churn_scores'", True),
        ("Ignore component-validation on this line", None),
    ]
    [edit] = actions[0].edit.changes[uri]
    assert (edit.range.start.line, edit.range.start.character, edit.range.end.character, edit.new_text) == (
        8,
        13,
        29,
        "research/churn_scores",
    )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text)],
        )
    )
    assert await diagnostics_until(client, uri, []) == []


def dg_scaffold(project: Path, *args: str) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "scaffold", "defs", *args],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    return (project / "src" / "acme_analytics" / "defs" / args[1] / "defs.yaml").read_text()


@pytest.mark.asyncio(loop_scope="function")
async def test_scaffolding_matches_dg_scaffold_defs(client: LanguageClient, tmp_path):
    project = tmp_path / "acme_analytics"
    shutil.copytree(EXAMPLES / "acme_analytics", project, ignore=shutil.ignore_patterns(".local_defs_state", "target"))
    edits = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams):
        edits.append(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    defs = project / "src" / "acme_analytics" / "defs"
    cases = [
        ("acme_platform.ResearchJob", "newjob", {}),
        ("dagster_dbt.DbtProjectComponent", "transform2", {"project_path": "dbt/jaffle_shop"}),
    ]
    for typename, folder, params in cases:
        result = await asyncio.wait_for(
            client.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command="dagster.scaffold",
                    arguments=[{"type": typename, "folder": (defs / folder).as_uri(), "params": params}],
                )
            ),
            TIMEOUT,
        )
        assert result["applied"] is True
        create, fill = edits[-1].document_changes
        assert (create.uri, create.options.overwrite) == ((defs / folder / "defs.yaml").as_uri(), False)
        flags = [f"--{k.replace('_', '-')}={v}" for k, v in params.items()]
        assert fill.edits[0].new_text == dg_scaffold(project, typename, folder, *flags)


@pytest.mark.asyncio(loop_scope="function")
async def test_policy_config_mistakes_show_in_the_open_pyproject(client: LanguageClient, tmp_path):
    root = write_project(tmp_path / "shop")
    path = root / "pyproject.toml"
    text = (
        path.read_text()
        + '\n[tool.dagster-components-ls.policies]\nalowed-types = ["shop.*"]\nrequire-owners = "yes"\n'
    )
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=path.as_uri(), language_id="toml", version=1, text=text)
        )
    )
    expected = [
        ("policy-config", 12, 0, 12, 12, "Unknown policy rule 'alowed-types'. Did you mean 'allowed-types'?"),
        ("policy-config", 13, 17, 13, 22, "require-owners must be true or false, not a string"),
    ]
    assert await diagnostics_until(client, path.as_uri(), expected) == expected
