"""Template names only a component's own code knows, and Python references its resolvers fail to import:
the fixture project tests/fixtures/projects/scopes through the real worker, server and `check`."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from e2e_support import REPO, TIMEOUT, diagnostics_until, open_and_wait, server_config, start_session, summary
from lsprotocol import types
from pytest_lsp import LanguageClient

from dagster_components_ls.project.worker_client import WorkerProcess

SCOPES = REPO / "tests" / "fixtures" / "projects" / "scopes"
DEFS = SCOPES / "src" / "scopes" / "defs"
CACHE = os.environ.get("DAGSTER_COMPONENTS_LS_TEST_CACHE", "/tmp/dagster-components-ls-test-cache")


@pytest.fixture(scope="module")
def worker():
    with WorkerProcess(Path(sys.executable), REPO) as process:
        yield process


# --- the registry: what each type adds to its templates, and where it cannot be known -----------


def test_the_registry_reads_additional_scopes_and_marks_the_fields_a_resolver_renders_itself(worker):
    scope = worker.call("registry", {"project_root": str(SCOPES), "extra_modules": []}, timeout=TIMEOUT)[
        "template_scope"
    ]
    assert scope["additional"] == {"scopes.components.Scoped": ["region", "tier"]}
    assert {key: value for key, value in scope["own_scope"].items() if key.startswith("scopes.")} == {
        # headers (a mapping) and footer reach their Resolver as written; a string footer is rendered
        # with the component's scope first. layout's Resolver.from_model gets the whole model.
        "scopes.components.Card": {"footer": "inside", "headers": "inside", "layout": "all", "rows": "inside"},
        # get_additional_scope() reads a variable that is not set: no name of the document is known.
        "scopes.components.Unscoped": {"": "all"},
    }
    # Dagster's own types render with the component's scope (translation aside, which is probed).
    assert [key for key in scope["own_scope"] if not key.startswith("scopes.")] == []
    # A field's schema promises `row` (ResolvableFieldInfo(required_scope=...)).
    assert scope["per_type"]["scopes.components.Card"] == {"rows": ["row"]}


# --- validate: a reference that does not import is an error at the string that names it ----------


def results(worker: WorkerProcess, *documents: dict, project: bool = True) -> list[tuple]:
    params = {
        "project_root": str(SCOPES) if project else None,
        "documents": [
            {
                "index": i,
                "type": "dagster.FunctionComponent",
                "attributes": {"execution": execution, "assets": [{"key": "a"}]},
                "folder": str(DEFS / "functions"),
            }
            for i, execution in enumerate(documents)
        ],
    }
    return [
        ([(".".join(map(str, e["path"])), e["kind"], e["message"]) for e in r["errors"]], r["skipped"])
        for r in worker.call("validate", params, timeout=TIMEOUT)["results"]
    ]


NOT_MATCHED = "building the component failed: ResolutionException: No resolver matched the field value"


def test_a_reference_that_does_not_import_is_an_error_and_one_that_needs_the_environment_is_skipped(worker):
    assert results(
        worker,
        "scopes.defs.nosuch.refresh",  # the string form (FunctionSpec | ResolvableCallable)
        {"fn": "scopes.defs.ops.refrsh"},  # the mapping form
        {"fn": ".ops.nosuch"},  # relative to the defs module
        {"fn": ".ops.refresh"},
        "json.dumps",
        {"fn": "scopes.lib.needs_env.refresh"},  # the module exists but reads a variable that is not set
        {"fn": "scopes.lib.needs_package.refresh"},  # ...or imports a package that is not installed
        {"fn": "{{ env.REFRESH_FN }}"},
    ) == [
        (
            [
                (
                    "attributes.execution",
                    "unimportable",
                    "'scopes.defs.nosuch.refresh' cannot be imported: No module named 'scopes.defs.nosuch'",
                )
            ],
            None,
        ),
        (
            [
                (
                    "attributes.execution.fn",
                    "unimportable",
                    "'scopes.defs.ops.refrsh' cannot be imported: module 'scopes.defs.ops' has no attribute 'refrsh'",
                )
            ],
            None,
        ),
        (
            [
                (
                    "attributes.execution.fn",
                    "unimportable",
                    "'.ops.nosuch' cannot be imported: module 'scopes.defs.ops' has no attribute 'nosuch'",
                )
            ],
            None,
        ),
        ([], None),
        ([], None),
        ([], NOT_MATCHED),
        ([], NOT_MATCHED),
        ([], f"{NOT_MATCHED} (with a placeholder for the templated attributes.execution.fn)"),  # never an error
    ]


def test_a_relative_reference_outside_a_project_is_not_judged(worker):
    # Without the project, the defs module a relative reference starts from is unknown.
    assert results(worker, {"fn": ".ops.nosuch"}, project=False) == [([], NOT_MATCHED)]


def test_a_dbt_project_that_does_not_exist_is_not_component_validation(worker):
    # The file system's business (missing-file, load-error), whatever dagster-dbt's resolver does with it.
    params = {
        "project_root": str(SCOPES),
        "documents": [
            {
                "index": 0,
                "type": "dagster_dbt.DbtProjectComponent",
                "attributes": {"project": "no_such_dbt_project"},
                "folder": str(DEFS / "functions"),
            }
        ],
    }
    [result] = worker.call("validate", params, timeout=TIMEOUT)["results"]
    assert result["errors"] == []


# --- check ---------------------------------------------------------------------------------------


def test_check_reports_unknown_names_only_where_the_scope_is_known_and_unimportable_references():
    result = subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "check", "--format", "json", str(SCOPES)],
        capture_output=True,
        text=True,
        cwd=SCOPES,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": CACHE},
    )
    rows = [
        (
            d["path"],
            d["range"]["start"]["line"],
            d["range"]["start"]["character"],
            d["range"]["end"]["line"],
            d["range"]["end"]["character"],
            d["code"],
            d["message"],
        )
        for d in json.loads(result.stdout)
    ]
    fn = "(from dagster.FunctionComponent)"
    assert (result.returncode, rows) == (
        1,
        [
            # Dagster renders `title` and `footer` (a string) with the component's scope: `props` is unknown there.
            # `headers` and `layout` are rendered by Card's own resolvers, with `props`: nothing is said.
            (
                "src/scopes/defs/cards/defs.yaml",
                2,
                13,
                2,
                18,
                "unknown-template-variable",
                "Unknown template variable 'props'",
            ),
            (
                "src/scopes/defs/cards/defs.yaml",
                5,
                14,
                5,
                19,
                "unknown-template-variable",
                "Unknown template variable 'props'",
            ),
            (
                "src/scopes/defs/functions/defs.yaml",
                3,
                8,
                3,
                34,
                "component-validation",
                f"attributes.execution.fn: 'scopes.defs.nosuch.refresh' cannot be imported: No module named "
                f"'scopes.defs.nosuch' {fn}",
            ),
            (
                "src/scopes/defs/functions/defs.yaml",
                11,
                8,
                11,
                30,
                "component-validation",
                f"attributes.execution.fn: 'scopes.defs.ops.refrsh' cannot be imported: module 'scopes.defs.ops' has no "
                f"attribute 'refrsh' {fn}",
            ),
            (
                "src/scopes/defs/functions/defs.yaml",
                25,
                8,
                25,
                19,
                "component-validation",
                f"attributes.execution.fn: '.ops.nosuch' cannot be imported: module 'scopes.defs.ops' has no attribute "
                f"'nosuch' {fn}",
            ),
            # The string form of `execution`: a plain string is one of its own shapes (no invalid-value);
            # the one that does not import is the resolver's error, at the value.
            (
                "src/scopes/defs/functions/defs.yaml",
                45,
                13,
                45,
                35,
                "component-validation",
                f"attributes.execution: 'scopes.defs.ops.refrsh' cannot be imported: module 'scopes.defs.ops' has no "
                f"attribute 'refrsh' {fn}",
            ),
            # `region` and `tier` come from Scoped.get_additional_scope(); `regoin` does not.
            (
                "src/scopes/defs/scoped/defs.yaml",
                2,
                37,
                2,
                43,
                "unknown-template-variable",
                "Unknown template variable 'regoin'. Did you mean 'region'?",
            ),
        ],
    )


# --- the editor ----------------------------------------------------------------------------------


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient):
    await start_session(lsp_client, {}, root_uri=SCOPES.as_uri())
    yield
    await lsp_client.shutdown_session()


async def hover_text(client: LanguageClient, path: Path, line: int, character: int) -> str | None:
    result = await asyncio.wait_for(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
                position=types.Position(line=line, character=character),
            )
        ),
        TIMEOUT,
    )
    return result.contents.value if result is not None else None


@pytest.mark.asyncio(loop_scope="function")
async def test_the_editor_names_where_template_names_come_from(client: LanguageClient):
    cards, scoped, unscoped = (
        DEFS / "cards" / "defs.yaml",
        DEFS / "scoped" / "defs.yaml",
        DEFS / "unscoped" / "defs.yaml",
    )
    assert summary(await open_and_wait(client, cards)) == [
        ("unknown-template-variable", 2, 13, 2, 18, "Unknown template variable 'props'"),
        ("unknown-template-variable", 5, 14, 5, 19, "Unknown template variable 'props'"),
    ]
    assert await hover_text(client, cards, 4, 17) == (
        "`props`\n\nNot in Dagster's template scope: `attributes.headers` is rendered by `scopes.components.Card`'s "
        "own code, with names of its own that cannot be read from here."
    )
    assert await hover_text(client, cards, 5, 17) is None  # footer: Dagster renders it, and `props` is unknown
    assert await hover_text(client, cards, 8, 15) == "`row`\n\nFrom `scopes.components.Card`, inside `attributes.rows`."
    assert [d.code for d in await open_and_wait(client, unscoped)] == []
    assert await hover_text(client, unscoped, 2, 14) == (
        "`warehouse`\n\nNot in Dagster's template scope: this document's templates are rendered by "
        "`scopes.components.Unscoped`'s own code, with names of its own that cannot be read from here."
    )
    assert summary(await open_and_wait(client, scoped)) == [
        ("unknown-template-variable", 2, 37, 2, 43, "Unknown template variable 'regoin'. Did you mean 'region'?")
    ]
    assert await hover_text(client, scoped, 2, 14) == (
        "`region`\n\nFrom `scopes.components.Scoped`'s additional scope (its `get_additional_scope()`)."
    )


@pytest.mark.asyncio(loop_scope="function")
async def test_an_unimportable_reference_is_shown_after_the_pause(client: LanguageClient):
    functions = DEFS / "functions" / "defs.yaml"
    await open_and_wait(client, functions)
    fn = "(from dagster.FunctionComponent)"
    expected = [
        (
            "component-validation",
            3,
            8,
            3,
            34,
            "attributes.execution.fn: 'scopes.defs.nosuch.refresh' cannot be "
            f"imported: No module named 'scopes.defs.nosuch' {fn}",
        ),
        (
            "component-validation",
            11,
            8,
            11,
            30,
            "attributes.execution.fn: 'scopes.defs.ops.refrsh' cannot be "
            f"imported: module 'scopes.defs.ops' has no attribute 'refrsh' {fn}",
        ),
        (
            "component-validation",
            25,
            8,
            25,
            19,
            "attributes.execution.fn: '.ops.nosuch' cannot be imported: "
            f"module 'scopes.defs.ops' has no attribute 'nosuch' {fn}",
        ),
        (
            "component-validation",
            45,
            13,
            45,
            35,
            "attributes.execution: 'scopes.defs.ops.refrsh' cannot be "
            f"imported: module 'scopes.defs.ops' has no attribute 'refrsh' {fn}",
        ),
    ]
    assert await diagnostics_until(client, functions.as_uri(), expected) == expected
