"""Signature help in template calls from the real server (the worker's Dagster signatures, a project's
`@template_var` UDF, Jinja's filters), on a copy of examples/acme_analytics whose template vars module has a UDF."""

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from e2e_support import DAGSTER_VERSION, TIMEOUT, copy_example, defs, open_and_wait, server_config, start_session
from lsprotocol import types
from pytest_lsp import LanguageClient

UDF = '''

@dg.template_var
def table_name():
    """A dataset's table in the warehouse, `schema.dataset`."""
    return lambda dataset, schema="raw": f"{schema}.{dataset}"
'''
LOAD_COMPONENT = (
    "context.load_component(defs_path: ResolvableToComponentPath, expected_type: type[T] | None = None)",
    ["defs_path: ResolvableToComponentPath", "expected_type: type[T] | None = None"],
)
if DAGSTER_VERSION < (1, 13):  # no `context` in the template scope yet: documents call the plain name
    LOAD_COMPONENT = (
        "load_component_at_path(defs_path: ResolvableToComponentPath, expected_type: Optional[type[T]] = None)",
        ["defs_path: ResolvableToComponentPath", "expected_type: Optional[type[T]] = None"],
    )
CALL = LOAD_COMPONENT[0].split("(")[0]


@pytest.fixture()
def project(tmp_path) -> Path:
    root = copy_example("acme_analytics", tmp_path)
    template_vars = root / "src" / "acme_analytics" / "defs" / "reports" / "template_vars.py"
    template_vars.write_text(template_vars.read_text() + UDF)
    return root


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient, project: Path):
    lsp_client.initialized = await start_session(lsp_client, {}, root_uri=project.as_uri())
    yield
    await lsp_client.shutdown_session()


async def help_at(client: LanguageClient, path: Path, text: str, marker: str = "‸"):
    """(label, parameter texts, active parameter, first documentation line) at the marker."""
    line = next(i for i, t in enumerate(text.split("\n")) if marker in t)
    character = text.split("\n")[line].index(marker)
    text = text.replace(marker, "")
    await open_and_wait(client, path, text)
    result = await asyncio.wait_for(
        client.text_document_signature_help_async(
            types.SignatureHelpParams(
                text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
                position=types.Position(line=line, character=character),
            )
        ),
        TIMEOUT,
    )
    if result is None:
        return None
    (info,) = result.signatures
    parameters = [info.label[p.label[0] : p.label[1]] for p in info.parameters]
    documentation = info.documentation.value.split("\n")[0] if info.documentation else ""
    return info.label, parameters, result.active_parameter, documentation


def reports_with(project: Path, value: str) -> tuple[Path, str]:
    path = defs(project, "reports")
    return path, path.read_text().replace('"{{ research_owner }}"', value)


@pytest.mark.asyncio(loop_scope="function")
async def test_the_server_offers_signature_help_on_parentheses_and_commas(client: LanguageClient):
    provider = client.initialized.capabilities.signature_help_provider
    assert (list(provider.trigger_characters), list(provider.retrigger_characters)) == (["(", ","], [")"])


@pytest.mark.asyncio(loop_scope="function")
async def test_dagster_load_component_second_argument(client: LanguageClient, project: Path):
    path, text = reports_with(project, f"\"{{{{ {CALL}('x', ‸) }}}}\"")
    assert await help_at(client, path, text) == (*LOAD_COMPONENT, 1, "Loads a component from the given path.")


@pytest.mark.asyncio(loop_scope="function")
async def test_half_typed_call_in_an_unclosed_quote(client: LanguageClient, project: Path):
    path, text = reports_with(project, f'"{{{{ {CALL}(‸')
    assert await help_at(client, path, text) == (*LOAD_COMPONENT, 0, "Loads a component from the given path.")


@pytest.mark.asyncio(loop_scope="function")
async def test_template_var_udf_keyword_argument(client: LanguageClient, project: Path):
    path, text = reports_with(project, "\"{{ table_name('orders', schema=‸) }}\"")
    assert await help_at(client, path, text) == (
        "table_name(dataset, schema='raw')",
        ["dataset", "schema='raw'"],
        1,
        "A dataset's table in the warehouse, `schema.dataset`.",
    )


@pytest.mark.asyncio(loop_scope="function")
async def test_jinja_filter_value_is_the_piped_one(client: LanguageClient, project: Path):
    path, text = reports_with(project, "\"{{ env.OWNER | default('team:research', ‸) }}\"")
    assert await help_at(client, path, text) == (
        "default(value: V, default_value: V = '', boolean: bool = False)",
        ["value: V", "default_value: V = ''", "boolean: bool = False"],
        2,
        "If the value is undefined it will return the passed default value,",
    )


@pytest.mark.asyncio(loop_scope="function")
async def test_no_signature_outside_a_call(client: LanguageClient, project: Path):
    path, text = reports_with(project, '"{{ research_owner ‸}}"')
    assert await help_at(client, path, text) is None
