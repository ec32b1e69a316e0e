import datetime

import pytest
from carets import with_marks

from dagster_components_ls.checks.diagnostics import diagnose
from dagster_components_ls.checks.validation import validation_problems, validation_requests, without_duplicates
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import Span
from dagster_components_ls.model.problems import Problem

RESEARCH = "type: acme_platform.ResearchJob\n"
FROM = " (from acme_platform.ResearchJob)"


def result(*errors: dict, index: int = 0, skipped: str | None = None) -> dict:
    return {"index": index, "type": "acme_platform.ResearchJob", "errors": list(errors), "skipped": skipped}


def error(path: list, message: str, kind: str = "value_error") -> dict:
    return {"path": path, "message": message, "kind": kind}


def mapped(marked: str, results: list[dict]) -> list[tuple[str, str]]:
    """(message, data.path) of each problem, after checking its span is the marked text."""
    text, spans = with_marks(marked)
    problems = validation_problems(parse_file(text), results)
    assert [text[a:b] for a, b in spans] == [text[p.span.start : p.span.end] for p in problems]
    assert {(p.code, p.severity) for p in problems} <= {("component-validation", "error")}
    return [(p.message, p.data["path"]) for p in problems]


@pytest.mark.parametrize(
    "marked, errors, expected",
    [
        pytest.param(
            RESEARCH + "attributes:\n  [[asset_key]]: raw/churn\n",
            [error(["attributes", "asset_key"], "asset_key 'raw/churn' uses the namespace 'raw'")],
            [("asset_key 'raw/churn' uses the namespace 'raw'" + FROM, ["attributes", "asset_key"])],
            id="validator-message-on-the-key",
        ),
        pytest.param(
            RESEARCH + "attributes:\n  compute_size: [[xlarge]]\n",
            [error(["attributes", "compute_size"], "Input should be 'small', 'medium' or 'large'", "enum")],
            [
                (
                    "attributes.compute_size: Input should be 'small', 'medium' or 'large'" + FROM,
                    ["attributes", "compute_size"],
                )
            ],
            id="built-in-check-on-the-value",
        ),
        pytest.param(
            RESEARCH + "[[attributes]]:\n  asset_key: research/x\n",
            [error(["attributes", "owner"], "Field required", "missing")],
            [("Missing required attribute 'owner' in attributes" + FROM, ["attributes", "owner"])],
            id="missing-key-on-its-parent-key",
        ),
        pytest.param(
            RESEARCH + "attributes:\n  [[observability]]:\n    sla_minutes: 60\n",
            [error(["attributes", "observability", "alert_channel"], "Input should be a valid string", "string_type")],
            [
                (
                    "attributes.observability.alert_channel: Input should be a valid string" + FROM,
                    ["attributes", "observability", "alert_channel"],
                )
            ],
            id="path-not-in-text-on-the-nearest-ancestor",
        ),
        pytest.param(
            RESEARCH + "attributes:\n  [[observability]]:\n    sla_minutes: 60\n",
            [error(["attributes", "observability", "alert_channel"], "Field required", "missing")],
            [
                (
                    "Missing required attribute 'alert_channel' in attributes.observability" + FROM,
                    ["attributes", "observability", "alert_channel"],
                )
            ],
            id="nested-missing-on-the-parent-key",
        ),
        pytest.param(
            RESEARCH + "[[attributes]]:\n  notebook: a.ipynb\n  script: b.py\n",
            [error(["attributes"], "set exactly one of 'notebook' or 'script'")],
            [("set exactly one of 'notebook' or 'script'" + FROM, ["attributes"])],
            id="model-level-on-attributes",
        ),
        pytest.param(
            RESEARCH + "attributes:\n  [[deps]]:\n    - a\n",
            [error(["attributes", "deps"], "List should have at most 0 items", "too_long")],
            [("attributes.deps: List should have at most 0 items" + FROM, ["attributes", "deps"])],
            id="a-whole-list-on-its-key",
        ),
        pytest.param(
            RESEARCH + "attributes:\n  deps:\n    - a\n    - [[3]]\n",
            [error(["attributes", "deps", 1], "Input should be a valid string", "string_type")],
            [("attributes.deps[1]: Input should be a valid string" + FROM, ["attributes", "deps", 1])],
            id="list-item-value",
        ),
        pytest.param(
            RESEARCH + "attributes:\n  steps:\n    - [[name]]: a\n      mode: fast\n",
            [error(["attributes", "steps", 0, "kind"], "Field required", "missing")],
            [("Missing required attribute 'kind' in attributes.steps[0]" + FROM, ["attributes", "steps", 0, "kind"])],
            id="missing-in-a-list-item-on-its-first-key",
        ),
        pytest.param(
            RESEARCH + "attributes:\n  [[compute_sise]]: small\n",
            [error(["attributes", "compute_sise"], "Extra inputs are not permitted", "extra_forbidden")],
            [("attributes.compute_sise: Extra inputs are not permitted" + FROM, ["attributes", "compute_sise"])],
            id="extra-key-on-the-key",
        ),
        pytest.param(
            "[[type]]: acme_platform.ResearchJob\n",
            [error(["attributes", "asset_key"], "Field required", "missing")],
            [("Missing required attribute 'asset_key' in attributes" + FROM, ["attributes", "asset_key"])],
            id="no-attributes-key-on-type",
        ),
    ],
)
def test_errors_become_problems_at_their_keys(marked, errors, expected):
    assert mapped(marked, [result(*errors)]) == expected


def test_problems_of_a_later_document_are_at_file_offsets():
    marked = RESEARCH + "attributes:\n  asset_key: a/b\n---\n" + RESEARCH + "attributes:\n  [[asset_key]]: raw/x\n"
    results = [result(index=0), result(error(["attributes", "asset_key"], "reserved"), index=1)]
    assert mapped(marked, results) == [("reserved" + FROM, ["attributes", "asset_key"])]


@pytest.mark.parametrize(
    "results",
    [
        pytest.param([result(error(["attributes", "owner"], "bad"), index=3)], id="index-past-the-file"),
        pytest.param([result(skipped="building the component failed: FileNotFoundError: x")], id="skipped"),
        pytest.param([result(error(["attributes", "owner"], "bad"), index=1)], id="document-that-does-not-parse"),
    ],
)
def test_results_that_do_not_apply_give_no_problems(results):
    assert mapped(RESEARCH + "attributes:\n  owner: x\n---\nbad: [\n", results) == []


def test_problem_data_names_the_path_and_type():
    [problem] = validation_problems(
        parse_file(RESEARCH + "attributes:\n  owner: x\n"),
        [result(error(["attributes", "owner"], "owner 'x' must be a team"))],
    )
    assert problem.data == {"path": ["attributes", "owner"], "type": "acme_platform.ResearchJob"}


# --- requests ------------------------------------------------------------------------------------

FOLDER = "/p/src/p/defs/research"


def requests_for(text: str, registry, **ctx) -> list[dict]:
    return validation_requests(parse_file(text), CheckContext(registry=registry, folder=FOLDER, **ctx))


def test_requests_carry_each_known_document():
    text = (
        RESEARCH + "template_vars_module: .vars\nattributes:\n  owner: team:r\n  since: 2024-01-31\n"
        "---\ntype: dagster.DefsFolderComponent\n"
    )
    assert requests_for(text, registry_of("acme_platform.ResearchJob", "dagster.DefsFolderComponent")) == [
        {
            "index": 0,
            "type": "acme_platform.ResearchJob",
            "template_vars_module": ".vars",
            "folder": FOLDER,
            "attributes": {"owner": "team:r", "since": datetime.date(2024, 1, 31).isoformat()},
        },
        {
            "index": 1,
            "type": "dagster.DefsFolderComponent",
            "template_vars_module": None,
            "folder": FOLDER,
            "attributes": None,
        },
    ]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("type: acme_platform.ResearchJb\nattributes: {}\n", id="unknown-type"),
        pytest.param(RESEARCH + "attributes:\n  - owner\n", id="attributes-not-a-mapping"),
        pytest.param(RESEARCH + "attributes:\n  owner: [\n", id="yaml-syntax"),
        pytest.param(RESEARCH + "attributes:\n  blob: !!binary aGVsbG8=\n", id="value-json-cannot-carry"),
        pytest.param("type: .Local\nattributes: {}\n", id="relative-type-outside-a-defs-folder"),
        pytest.param("attributes: {}\n", id="no-type"),
    ],
)
def test_no_request_for_documents_the_worker_cannot_validate(text):
    assert requests_for(text, registry_of("acme_platform.ResearchJob")) == []


def test_requests_before_the_registry_is_ready_are_empty():
    assert requests_for(RESEARCH + "attributes: {}\n", None) == []


def test_relative_types_are_sent_by_their_registry_key():
    registry = registry_of("p.defs.research.local.Local")
    [request] = requests_for("type: .local.Local\n", registry, folder_module="p.defs.research")
    assert request["type"] == "p.defs.research.local.Local"


# --- de-duplication ------------------------------------------------------------------------------


def problem(code: str, start: int, path: list, **data) -> Problem:
    return Problem(Span(start, start + 3), code, code, data={"path": path, **data})


ASSET_KEY = ["attributes", "asset_key"]


@pytest.mark.parametrize(
    "keystroke, kept",
    [
        pytest.param([], True, id="alone"),
        pytest.param([problem("invalid-value", 10, ASSET_KEY)], False, id="invalid-value-same-path"),
        pytest.param([problem("unknown-attribute", 50, ["attributes"], key="asset_key")], False, id="unknown-key"),
        pytest.param(
            [problem("missing-attribute", 50, ["attributes"], key="owner", keys=["owner", "asset_key"])],
            False,
            id="one-of-several-missing-keys",
        ),
        pytest.param(
            [problem("invalid-value", 0, ["attributes", "owner"]), problem("yaml-syntax", 0, [])],
            True,
            id="other-paths-elsewhere",
        ),
        pytest.param([problem("invalid-value", 0, ["attributes", "owner"])], True, id="other-path-other-span"),
        pytest.param([problem("policy:acme-naming", 10, ASSET_KEY)], True, id="not-a-keystroke-schema-code"),
        pytest.param([problem("invalid-value", 10, ["attributes", "x"])], False, id="same-span"),
    ],
)
def test_validation_problems_already_reported_are_dropped(keystroke, kept):
    ours = problem("component-validation", 10, ASSET_KEY)
    assert without_duplicates([ours], keystroke) == ([ours] if kept else [])


def test_the_examples_duplicates_leave_only_the_keystroke_problem(registry):
    # examples/broken/invalid_enum: both sides judge `xlarge`; the editor shows one diagnostic.
    text = RESEARCH + "attributes:\n  asset_key: research/x\n  owner: team:r\n  script: s.py\n  compute_size: xlarge\n"
    parsed = parse_file(text)
    keystroke = diagnose(parsed, CheckContext(registry=registry))
    enum = error(["attributes", "compute_size"], "Input should be 'small', 'medium' or 'large'", "enum")
    validation = validation_problems(parsed, [result(enum)])
    assert [p.code for p in without_duplicates(validation, keystroke) + keystroke] == ["invalid-value"]


def registry_of(*keys: str):
    from dagster_components_ls.model.registry import Registry

    return Registry.from_snapshot({"types": [{"key": key} for key in keys]})
