"""Semantic tokens of templates (`semanticTokens/full` and `/range`) from the real server, decoded."""

import asyncio

import pytest
import pytest_lsp
from e2e_support import DAGSTER_VERSION, EXAMPLES, TIMEOUT, open_and_wait, server_config, start_session
from lsprotocol import types
from pytest_lsp import LanguageClient

REPORTS = EXAMPLES / "acme_analytics" / "src" / "acme_analytics" / "defs" / "reports" / "defs.yaml"
LIB, NONE = ["defaultLibrary"], []
CONTEXT = LIB if DAGSTER_VERSION >= (1, 13) else NONE
"""`context` is one of Dagster's names from 1.13 on (before, the worker's scope has no `context`)."""

# The example's own document with a template of every form: an attribute, an env var with a filter, a
# string literal in a call, a `@template_var` name, and a block scalar spread over lines.
SAMPLE = """type: .weekly_report.WeeklyReport
template_vars_module: .template_vars
requirements:
  env:
    - ACME_REPORT_BUCKET
attributes:
  asset_key: reports/weekly_research_digest
  owner: "{{ research_owner }}"
  cron: "{{ monday_morning }}"
  destination: "s3://{{ env.ACME_REPORT_BUCKET | upper }}/{{ context.project_root }}/dbt"
  description: |
    Built by {{ context.load_component("x") }}
    and {{ 'a' ~ 2 }}
  sources:
    - research/churn_model
"""


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient):
    lsp_client.initialized = await start_session(lsp_client, {})
    yield
    await lsp_client.shutdown_session()


def decode(result: types.SemanticTokens, text: str, legend: types.SemanticTokensLegend) -> list[tuple]:
    """(line, start, length, text, type, modifiers) per token, from LSP's relative integers."""
    lines, out, line, start = text.split("\n"), [], 0, 0
    data = result.data
    for i in range(0, len(data), 5):
        delta_line, delta_start, length, kind, mods = data[i : i + 5]
        line += delta_line
        start = start + delta_start if delta_line == 0 else delta_start
        modifiers = [m for bit, m in enumerate(legend.token_modifiers) if mods >> bit & 1]
        out.append((line, start, length, lines[line][start : start + length], legend.token_types[kind], modifiers))
    return out


async def full(client: LanguageClient, path, text: str) -> list[tuple]:
    result = await asyncio.wait_for(
        client.text_document_semantic_tokens_full_async(
            types.SemanticTokensParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()))
        ),
        TIMEOUT,
    )
    return decode(result, text, client.initialized.capabilities.semantic_tokens_provider.legend)


SAMPLE_TOKENS = [
    (7, 10, 2, "{{", "macro", NONE),
    (7, 13, 14, "research_owner", "variable", NONE),
    (7, 28, 2, "}}", "macro", NONE),
    (8, 9, 2, "{{", "macro", NONE),
    (8, 12, 14, "monday_morning", "variable", NONE),
    (8, 27, 2, "}}", "macro", NONE),
    (9, 21, 2, "{{", "macro", NONE),
    (9, 24, 3, "env", "variable", LIB),
    (9, 28, 18, "ACME_REPORT_BUCKET", "property", NONE),
    (9, 47, 1, "|", "operator", NONE),
    (9, 49, 5, "upper", "function", LIB),
    (9, 55, 2, "}}", "macro", NONE),
    (9, 58, 2, "{{", "macro", NONE),
    (9, 61, 7, "context", "variable", CONTEXT),
    (9, 69, 12, "project_root", "property", NONE),
    (9, 82, 2, "}}", "macro", NONE),
    (11, 13, 2, "{{", "macro", NONE),
    (11, 16, 7, "context", "variable", CONTEXT),
    (11, 24, 14, "load_component", "method", NONE),
    (11, 39, 3, '"x"', "string", NONE),
    (11, 44, 2, "}}", "macro", NONE),
    (12, 8, 2, "{{", "macro", NONE),
    (12, 11, 3, "'a'", "string", NONE),
    (12, 15, 1, "~", "operator", NONE),
    (12, 17, 1, "2", "number", NONE),
    (12, 19, 2, "}}", "macro", NONE),
]


@pytest.mark.asyncio(loop_scope="function")
async def test_the_server_offers_full_and_range_with_standard_types(client: LanguageClient):
    provider = client.initialized.capabilities.semantic_tokens_provider
    assert (provider.full, provider.range) == (True, True)
    assert list(provider.legend.token_types) == [
        "variable",
        "property",
        "function",
        "method",
        "parameter",
        "string",
        "number",
        "operator",
        "keyword",
        "macro",
        "comment",
    ]
    assert list(provider.legend.token_modifiers) == ["defaultLibrary", "deprecated"]


@pytest.mark.asyncio(loop_scope="function")
async def test_full_gives_every_template_token_of_the_document(client: LanguageClient):
    await open_and_wait(client, REPORTS, SAMPLE)
    assert await full(client, REPORTS, SAMPLE) == SAMPLE_TOKENS


@pytest.mark.asyncio(loop_scope="function")
async def test_range_gives_the_tokens_of_those_lines(client: LanguageClient):
    await open_and_wait(client, REPORTS, SAMPLE)
    result = await asyncio.wait_for(
        client.text_document_semantic_tokens_range_async(
            types.SemanticTokensRangeParams(
                text_document=types.TextDocumentIdentifier(uri=REPORTS.as_uri()),
                range=types.Range(start=types.Position(line=11, character=0), end=types.Position(line=12, character=0)),
            )
        ),
        TIMEOUT,
    )
    legend = client.initialized.capabilities.semantic_tokens_provider.legend
    assert decode(result, SAMPLE, legend) == [t for t in SAMPLE_TOKENS if t[0] == 11]


@pytest.mark.asyncio(loop_scope="function")
async def test_half_typed_template_gives_what_is_typed_so_far(client: LanguageClient):
    text = SAMPLE.replace('"{{ research_owner }}"', '"{{ context.')  # the quote unclosed too: no YAML tree
    await open_and_wait(client, REPORTS, text)
    assert (await full(client, REPORTS, text))[:3] == [
        (7, 10, 2, "{{", "macro", NONE),
        (7, 13, 7, "context", "variable", CONTEXT),
        (8, 9, 2, "{{", "macro", NONE),
    ]


@pytest.mark.asyncio(loop_scope="function")
async def test_a_document_without_templates_has_no_tokens(client: LanguageClient):
    text = "type: .weekly_report.WeeklyReport\nattributes:\n  asset_key: reports/x  # {{ not a template }}\n"
    await open_and_wait(client, REPORTS, text)
    result = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=types.TextDocumentIdentifier(uri=REPORTS.as_uri()))
    )
    assert list(result.data) == []
