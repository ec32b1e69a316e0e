"""Hostile or careless input (issue 21): byte-order marks, deep nesting, pathological lines, over the
real CLI and the real server."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from e2e_support import EXAMPLES, SHOP_SKELETON, open_and_wait, summary, until, write_files
from lsprotocol import types
from pytest_lsp import LanguageClient
from test_check import check, told

BOM = "\ufeff"
RESEARCH = "type: acme_platform.ResearchJob\nattributes:\n  asset_key: research/x\n  owner: team:r\n  script: s.py\n"
DEEP_YAML = RESEARCH + "  tags: " + "[" * 500 + "]" * 500 + "\n"
DEEP_TEMPLATE = RESEARCH + '  description: "{{ ' + "(" * 80 + "1" + ")" * 80 + ' }}"\n'
TOO_DEEP = "Nesting is too deep: more than 64 levels of mappings and lists"
TEMPLATE_TOO_DEEP = "Template nesting is too deep: more than 30 brackets inside each other"


def ranges(stdout: str) -> list[tuple]:
    return [
        (
            d["path"],
            d["range"]["start"]["line"],
            d["range"]["start"]["character"],
            d["range"]["end"]["line"],
            d["range"]["end"]["character"],
            d["code"],
        )
        for d in json.loads(stdout)
    ]


def with_bom(tmp_path):
    shutil.copytree(EXAMPLES / "broken" / "unknown_attribute", tmp_path / "a")
    path = tmp_path / "a" / "defs.yaml"
    original = path.read_bytes()
    path.write_bytes(b"\xef\xbb\xbf" + original)
    (tmp_path / "b.yaml").write_bytes(b"\xef\xbb\xbftype: acme_platform.ResearchJb\n")
    return path, original


def test_check_json_on_a_bom_file_counts_no_column_for_the_bom(tmp_path):
    with_bom(tmp_path)
    result = check("--format", "json", "a", "b.yaml", cwd=tmp_path)
    assert (result.returncode, ranges(result.stdout)) == (
        1,
        [
            ("a/defs.yaml", 8, 2, 8, 14, "unknown-attribute"),  # as without the BOM
            ("b.yaml", 0, 6, 0, 30, "unknown-type"),
        ],
    )
    text = check("a", cwd=tmp_path)
    assert text.stdout.splitlines()[0].startswith("a/defs.yaml:9:3: error[unknown-attribute]")


def test_check_fix_on_a_bom_file_keeps_the_bom_and_the_indentation(tmp_path):
    path, original = with_bom(tmp_path)
    result = check("--fix", "--format", "json", "a", cwd=tmp_path)
    assert (result.returncode, json.loads(result.stdout)) == (0, [])
    assert path.read_bytes() == b"\xef\xbb\xbf" + original.replace(b"  compute_sise: medium", b"  compute_size: medium")
    assert told(result.stderr)[-1] == "Fixed 1 problem in a/defs.yaml"


def test_check_json_on_nesting_too_deep_is_an_array_with_the_diagnostics(tmp_path):
    (tmp_path / "s.py").write_text("")
    (tmp_path / "deep.yaml").write_text(DEEP_YAML)
    (tmp_path / "paren.yaml").write_text(DEEP_TEMPLATE)
    (tmp_path / "fine.yaml").write_text("type: acme_platform.ResearchJb\n")
    result = check("--format", "json", ".", "deep.yaml", "paren.yaml", "fine.yaml", cwd=tmp_path)
    found = json.loads(result.stdout)
    assert (result.returncode, ranges(result.stdout)) == (
        1,
        [
            ("deep.yaml", 5, 70, 5, 71, "yaml-syntax"),  # `[` number 63: the 65th level with the two mappings
            ("fine.yaml", 0, 6, 0, 30, "unknown-type"),
            ("paren.yaml", 5, 49, 5, 50, "template-syntax"),  # `(` number 31
        ],
    )
    assert [d["message"] for d in found if d["code"] != "unknown-type"] == [TOO_DEEP, TEMPLATE_TOO_DEEP]
    assert "Traceback" not in result.stderr


def test_a_bug_on_one_file_is_told_on_stderr_and_the_others_are_checked(tmp_path, monkeypatch, capsys):
    # A fault we cannot cause from input any more (that is the point): the rules raise on one file.
    import io

    from test_check import CACHE

    from dagster_components_ls.checks import pipeline
    from dagster_components_ls.cli import check as check_module

    real = pipeline.diagnose

    def diagnose(parsed, ctx):
        if "boom" in parsed.text:
            raise ValueError("a bug")
        return real(parsed, ctx)

    monkeypatch.setattr(pipeline, "diagnose", diagnose)  # the rules every file goes through
    monkeypatch.setenv("DAGSTER_COMPONENTS_LS_CACHE", CACHE)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text("type: acme_platform.ResearchJb\n")
    (tmp_path / "boom.yaml").write_text("# boom\ntype: acme_platform.ResearchJob\n")
    out = io.StringIO()
    code = check_module.run_check(["boom.yaml", "a.yaml"], "json", out=out)
    assert (code, ranges(out.getvalue())) == (1, [("a.yaml", 0, 6, 0, 30, "unknown-type")])
    assert (
        "dagster-components-ls check: could not check boom.yaml: ValueError: a bug"
        in capsys.readouterr().err.splitlines()
    )


PATTERNED = '''
import dagster as dg
from pydantic import Field


class Patterned(dg.Component, dg.Model, dg.Resolvable):
    """A component whose model has a pattern Python's re takes 2^n steps on."""

    name: str = Field(pattern=r"^(a+)+$")

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return dg.Definitions()
'''
SLOW_NAME = "a" * 40 + "!"
PATTERN_MESSAGE = f"attributes.name: '{SLOW_NAME}' does not match '^(a+)+$'"


def patterned_project(root):
    write_files(
        root,
        {
            **SHOP_SKELETON,
            "src/shop/components/patterned.py": PATTERNED,
            "src/shop/defs/p/defs.yaml": f"type: shop.components.patterned.Patterned\nattributes:\n"
            f"  name: {SLOW_NAME}\n",
        },
    )
    return root / "src" / "shop" / "defs" / "p" / "defs.yaml"


def test_check_runs_a_models_catastrophic_pattern_in_linear_time(tmp_path):
    patterned_project(tmp_path)
    from test_check import CACHE

    result = subprocess.run(  # Python's re would take days: the timeout fails the test instead
        [sys.executable, "-m", "dagster_components_ls", "check", "--format", "json", "."],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": CACHE},
        timeout=120,
    )
    assert (result.returncode, ranges(result.stdout), [d["message"] for d in json.loads(result.stdout)]) == (
        1,
        [("src/shop/defs/p/defs.yaml", 2, 8, 2, 49, "invalid-value")],
        [PATTERN_MESSAGE],
    )


# --- the editor path ------------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="function")
async def test_a_bom_in_the_text_an_editor_sends_shifts_nothing(client: LanguageClient, tmp_path):
    (tmp_path / "marked").mkdir()
    for folder in (tmp_path, tmp_path / "marked"):
        (folder / "s.py").write_text("")
    text = RESEARCH + "  compute_sise: medium\n"
    plain = await open_and_wait(client, tmp_path / "defs.yaml", text)
    marked = await open_and_wait(client, tmp_path / "marked" / "defs.yaml", BOM + text)
    assert (
        summary(marked)
        == summary(plain)
        == [
            (
                "unknown-attribute",
                5,
                2,
                5,
                14,
                "Unknown attribute 'compute_sise' for acme_platform.ResearchJob. Did you mean 'compute_size'?",
            ),
        ]
    )
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=(tmp_path / "marked" / "defs.yaml").as_uri()),
            range=marked[0].range,
            context=types.CodeActionContext(diagnostics=marked),
        )
    )
    (edit,) = actions[0].edit.changes[(tmp_path / "marked" / "defs.yaml").as_uri()]
    assert (edit.range, edit.new_text) == (marked[0].range, "compute_size")


@pytest.mark.asyncio(loop_scope="function")
@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param(DEEP_YAML, ("yaml-syntax", 5, 70, 5, 71, TOO_DEEP), id="yaml"),
        pytest.param(DEEP_TEMPLATE, ("template-syntax", 5, 49, 5, 50, TEMPLATE_TOO_DEEP), id="template"),
    ],
)
async def test_nesting_too_deep_is_published_and_requests_answer(client: LanguageClient, tmp_path, text, expected):
    (tmp_path / "s.py").write_text("")
    path = tmp_path / "defs.yaml"
    uri = path.as_uri()
    await open_and_wait(client, path, RESEARCH)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=20_000),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    assert await until(client, lambda: expected in summary(client.diagnostics.get(uri, [])))
    document = types.TextDocumentIdentifier(uri=uri)
    inside = types.Position(line=5, character=expected[2])
    completion = await client.text_document_completion_async(types.CompletionParams(document, inside))
    hover = await client.text_document_hover_async(types.HoverParams(document, inside))
    at_type = await client.text_document_hover_async(types.HoverParams(document, types.Position(line=0, character=10)))
    tokens = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(document))
    signature = await client.text_document_signature_help_async(types.SignatureHelpParams(document, inside))
    assert completion is None or isinstance(completion, (list, types.CompletionList))
    assert hover is None or isinstance(hover, types.Hover)
    assert isinstance(tokens, types.SemanticTokens) and len(tokens.data) % 5 == 0
    assert signature is None or isinstance(signature, types.SignatureHelp)
    assert at_type is not None and "ResearchJob" in str(at_type.contents)


@pytest.mark.asyncio(loop_scope="function")
async def test_the_server_runs_a_models_catastrophic_pattern_in_linear_time(client: LanguageClient, tmp_path):
    path = patterned_project(tmp_path)
    diagnostics = await open_and_wait(client, path)
    assert summary(diagnostics) == [("invalid-value", 2, 8, 2, 49, PATTERN_MESSAGE)]
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri=path.as_uri()), types.Position(line=2, character=3))
    )
    assert hover is not None
