"""The worker's `validate` method as a real subprocess: Dagster's own validation, mapped to key paths."""

import json
import sys
import textwrap
from pathlib import Path

import pytest
from e2e_support import EXAMPLES, write_project

from dagster_components_ls.checks.diagnostics import diagnose
from dagster_components_ls.checks.validation import validate, validation_requests, without_duplicates
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import LineIndex
from dagster_components_ls.model.registry import Registry
from dagster_components_ls.project.worker_client import WorkerError, WorkerProcess

REPO = Path(__file__).resolve().parents[2]
BROKEN = EXAMPLES / "broken"
SNAPSHOT = REPO / "tests" / "fixtures" / "registry_snapshot.json"
TIMEOUT = 60

CHECKED = '''
"""Components whose own validation the tests exercise."""

import os
import sys
import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import dagster as dg
from pydantic import Field, field_validator, model_validator


class Step(dg.Model, dg.Resolvable):
    name: str
    mode: Literal["fast", "slow"] = "fast"


class TableFeed(dg.Model):
    kind: Literal["table"] = "table"
    table: str
    mode: Literal["full", "incremental"] = "full"


class FileFeed(dg.Model):
    kind: Literal["file"] = "file"
    path: str


@dataclass
class Feed(dg.Component, dg.Resolvable):
    """A union of two models told apart by `kind`, typed as Dagster types `partitions_def`."""

    source: Annotated[Any, dg.Resolver(lambda context, value: value, model_field_type=TableFeed | FileFeed)]

    def build_defs(self, context):
        return dg.Definitions()


class Pipeline(dg.Component, dg.Model, dg.Resolvable):
    """A lowercase title, steps with a Literal each, a bounded limit, one of two sources."""

    title: str
    steps: list[Step] = []  # not Field(default_factory=list): Dagster 1.11 cannot derive a model with one
    limit: Annotated[int, Field(ge=1, le=10)] = 5
    source: str | None = None
    table: str | None = None

    @field_validator("title")
    @classmethod
    def _lowercase(cls, value: str) -> str:
        if value != value.lower():
            raise ValueError(f"title {value!r} must be lowercase")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> "Pipeline":
        if (self.source is None) == (self.table is None):
            raise ValueError("set exactly one of 'source' or 'table'")
        return self

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return dg.Definitions()


class Named(dg.Component, dg.Model, dg.Resolvable):
    name: str

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return dg.Definitions()


class Raiser(Named):
    @field_validator("name")
    @classmethod
    def _crash(cls, value: str) -> str:
        raise RuntimeError("the validator crashed")


class WholeRaiser(Named):
    @model_validator(mode="after")
    def _whole(self) -> "WholeRaiser":
        raise KeyError("region")


class StrictStep(dg.Model, dg.Resolvable):
    name: str

    @field_validator("name")
    @classmethod
    def _strict(cls, value: str) -> str:
        raise TypeError(f"step {value!r} is not allowed here")


class Nested(dg.Component, dg.Model, dg.Resolvable):
    steps: list[StrictStep] = []

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return dg.Definitions()


class Printer(Named):
    @field_validator("name")
    @classmethod
    def _chatty(cls, value: str) -> str:
        print("printed by a validator")
        os.write(1, b"written to fd 1 by a validator\\n")
        if value == "bad":
            raise ValueError("name must not be 'bad'")
        return value


class Quitter(Named):
    @field_validator("name")
    @classmethod
    def _quit(cls, value: str) -> str:
        sys.exit(3)


class Hanger(Named):
    @field_validator("name")
    @classmethod
    def _hang(cls, value: str) -> str:
        time.sleep(3600)
        return value
'''


@pytest.fixture(scope="module")
def worker():
    with WorkerProcess(Path(sys.executable), REPO) as process:
        yield process


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = write_project(tmp_path_factory.mktemp("validate"))
    (root / "src/shop/components/checked.py").write_text(CHECKED)
    return root


def examples_context(path: Path) -> CheckContext:
    return CheckContext(
        registry=Registry.from_snapshot(json.loads(SNAPSHOT.read_text())), file_name=path.name, folder=str(path.parent)
    )


def located(path: Path, worker: WorkerProcess) -> list[tuple[int, int, str]]:
    """(line, column, message), 1-based, of the component-validation problems of a file."""
    text = path.read_text()
    problems = validate(worker, parse_file(text), examples_context(path), None, TIMEOUT)
    index = LineIndex(text)
    return [(*index.line_col_1based(p.span.start), p.message) for p in problems]


def test_component_validation_example(worker):
    assert located(BROKEN / "component_validation/defs.yaml", worker) == [
        (
            9,
            3,
            "asset_key 'raw/churn_scores' uses the namespace 'raw', which is reserved for ingestion and dbt "
            "(marts, raw, staging); use your team's namespace, e.g. 'research/...' (from acme_platform.ResearchJob)",
        ),
    ]


def test_invalid_enum_example_is_reported_and_deduplicated(worker):
    path = BROKEN / "invalid_enum/defs.yaml"
    assert located(path, worker) == [
        (
            10,
            17,
            "attributes.compute_size: Input should be 'small', 'medium' or 'large' (from acme_platform.ResearchJob)",
        ),
    ]
    parsed, ctx = parse_file(path.read_text()), examples_context(path)
    assert without_duplicates(validate(worker, parsed, ctx, None, TIMEOUT), diagnose(parsed, ctx)) == []


@pytest.mark.parametrize("name", ["missing_file", "undeclared_env_var", "deprecated_template_name"])
def test_file_system_and_templates_are_not_component_validation(worker, name):
    # A script that does not exist, `{{ env.X }}` and `{{ project_root }}`: the load's business, not ours.
    assert located(BROKEN / name / "defs.yaml", worker) == []


def test_a_templated_enum_is_not_judged(worker, tmp_path):
    path = tmp_path / "defs.yaml"
    path.write_text(
        textwrap.dedent("""
        type: acme_platform.ResearchJob
        attributes:
          asset_key: research/churn_scores
          owner: "{{ env.OWNER }}"
          script: score.py
          compute_size: "{{ env.SIZE }}"
    """)
    )
    assert located(path, worker) == []


def raw_results(worker: WorkerProcess, project: Path, *documents: tuple[str, object]) -> list[dict]:
    """The worker's results for (type, attributes) documents in the project's defs folder."""
    folder = str(project / "src/shop/defs/checked")
    params = {
        "project_root": str(project),
        "documents": [
            {
                "index": i,
                "type": f"shop.components.checked.{t}",
                "attributes": a,
                "template_vars_module": None,
                "folder": folder,
            }
            for i, (t, a) in enumerate(documents)
        ],
    }
    return worker.call("validate", params, timeout=TIMEOUT)["results"]


def errors_of(results: list[dict]) -> list[list[tuple]]:
    return [[(".".join(map(str, e["path"])), e["kind"], e["message"]) for e in r["errors"]] for r in results]


@pytest.mark.parametrize(
    "attributes, expected",
    [
        pytest.param(
            {"title": "Daily", "table": "t"},
            [("attributes.title", "value_error", "title 'Daily' must be lowercase")],
            id="field-validator",
        ),
        pytest.param(
            {"title": "daily"},
            [("attributes", "value_error", "set exactly one of 'source' or 'table'")],
            id="model-validator",
        ),
        pytest.param(
            {"title": "daily", "table": "t", "steps": [{"name": "a"}, {"name": "b", "mode": "warp"}]},
            [("attributes.steps.1.mode", "literal_error", "Input should be 'fast' or 'slow'")],
            id="literal-in-a-nested-list-item",
        ),
        pytest.param(
            {"title": "daily", "table": "t", "limit": 11},
            [("attributes.limit", "less_than_equal", "Input should be less than or equal to 10")],
            id="constraint-without-union-noise",
        ),
        pytest.param(
            {"title": "daily", "table": "t", "steps": [{"name": "{{ env.A }}"}, {"name": "b", "mode": 3}]},
            [("attributes.steps.1.mode", "literal_error", "Input should be 'fast' or 'slow'")],
            id="templated-value-next-to-an-error",
        ),
        pytest.param(
            {"title": "daily", "table": "t", "steps": ["{{ steps }}", {"name": "b", "mode": "warp"}]},
            [("attributes.steps.1.mode", "literal_error", "Input should be 'fast' or 'slow'")],
            id="templated-list-item-keeps-the-yaml-indices",
        ),
        pytest.param(
            {"title": "{{ env.TITLE }}", "table": "t", "limit": "{{ 20 }}"},
            [],
            id="templated-required-field-and-constraint",
        ),
        pytest.param(
            {"title": "Daily", "source": "{{ env.SOURCE }}"},
            [("attributes.title", "value_error", "title 'Daily' must be lowercase")],
            id="model-validator-beside-a-template-is-not-judged",
        ),
        pytest.param(None, [("attributes.title", "missing", "Field required")], id="no-attributes"),
    ],
)
def test_own_validation_with_key_paths(worker, project, attributes, expected):
    [result] = raw_results(worker, project, ("Pipeline", attributes))
    assert (errors_of([result]), result["skipped"]) == ([expected], None)


@pytest.mark.parametrize(
    "source, expected",
    [
        pytest.param(
            {"kind": "table", "table": "t", "mode": "warp"},
            [("attributes.source.mode", "literal_error", "Input should be 'full' or 'incremental'")],
            id="a-literal-of-the-tagged-member-is-not-read-as-a-wrong-tag",
        ),
        pytest.param(
            {"kind": "pipe", "table": "t"},
            [("attributes.source.kind", "literal_error", "Input should be 'table'; Input should be 'file'")],
            id="a-tag-no-member-has",
        ),
        pytest.param(
            {"path": "p", "mode": "full"},
            [("attributes.source.mode", "extra_forbidden", "Extra inputs are not permitted")],
            id="no-tag-fewest-errors",
        ),
    ],
)
def test_a_union_of_models_keeps_the_errors_of_one_member(worker, project, source, expected):
    [result] = raw_results(worker, project, ("Feed", {"source": source}))
    assert (errors_of([result]), result["skipped"]) == ([expected], None)


def test_user_code_that_raises_exits_or_prints_is_contained(worker, project):
    results = raw_results(
        worker,
        project,
        ("Raiser", {"name": "a"}),
        ("Quitter", {"name": "a"}),
        ("Printer", {"name": "bad"}),
        ("Nope", {"name": "a"}),
    )
    assert [(r["index"], r["skipped"]) for r in results] == [
        (0, None),
        (1, None),
        (2, None),
        (3, "'shop.components.checked.Nope' is not a component class"),
    ]
    # A validator that raises something pydantic does not turn into an error is an error all the same,
    # at the field it validates.
    assert errors_of(results)[:3] == [
        [("attributes.name", "validator_raised", "The validator '_crash' raised RuntimeError: the validator crashed")],
        [("attributes.name", "validator_raised", "The validator '_quit' raised SystemExit: 3")],
        [("attributes.name", "value_error", "name must not be 'bad'")],
    ]
    assert "written to fd 1 by a validator" in worker.stderr_tail(50)


def test_a_hanging_validator_costs_only_its_call(worker, project):
    with pytest.raises(WorkerError) as hung:
        worker.call(
            "validate",
            {
                "project_root": str(project),
                "documents": [
                    {
                        "index": 0,
                        "type": "shop.components.checked.Hanger",
                        "attributes": {"name": "a"},
                        "folder": str(project),
                    }
                ],
            },
            timeout=5,
        )
    assert hung.value.kind == "timeout"
    [result] = raw_results(worker, project, ("Printer", {"name": "ok"}))
    assert (result["errors"], result["skipped"]) == ([], None)


def test_requests_and_results_round_trip_through_the_worker(worker, project):
    text = "type: shop.components.checked.Pipeline\nattributes:\n  title: Daily\n  table: t\n"
    parsed = parse_file(text)
    ctx = CheckContext(
        registry=Registry.from_snapshot({"types": [{"key": "shop.components.checked.Pipeline"}]}),
        folder=str(project / "src/shop/defs"),
        project_root=str(project),
    )
    assert [d["type"] for d in validation_requests(parsed, ctx)] == ["shop.components.checked.Pipeline"]
    [problem] = validate(worker, parsed, ctx, str(project), TIMEOUT)
    assert (text[problem.span.start : problem.span.end], problem.message) == (
        "title",
        "title 'Daily' must be lowercase (from shop.components.checked.Pipeline)",
    )


def test_a_model_validator_that_raises_is_an_error_at_the_type_line(worker, project, tmp_path):
    [result] = raw_results(worker, project, ("WholeRaiser", {"name": "a"}))
    assert (errors_of([result]), result["skipped"]) == (
        [[("", "validator_raised", "The validator '_whole' raised KeyError: 'region'")]],
        None,
    )
    text = "type: shop.components.checked.WholeRaiser\nattributes:\n  name: a\n"
    ctx = CheckContext(
        registry=Registry.from_snapshot({"types": [{"key": "shop.components.checked.WholeRaiser"}]}),
        folder=str(project / "src/shop/defs"),
        project_root=str(project),
    )
    [problem] = validate(worker, parse_file(text), ctx, str(project), TIMEOUT)
    assert (problem.code, problem.span.start, problem.span.end, problem.message) == (
        "component-validation",
        0,
        4,
        "The validator '_whole' raised KeyError: 'region' (from shop.components.checked.WholeRaiser)",
    )


def test_a_nested_models_validator_that_raises_is_an_error_at_the_attribute_holding_it(worker, project):
    [result] = raw_results(worker, project, ("Nested", {"steps": [{"name": "a"}]}))
    assert (errors_of([result]), result["skipped"]) == (
        [
            [
                (
                    "attributes.steps",
                    "validator_raised",
                    "The validator '_strict' raised TypeError: step 'a' is not allowed here",
                )
            ]
        ],
        None,
    )


# Dagster's own `partitions_def`: pydantic tries each of its five models and reports all their errors.
PARTITIONED = (
    "type: dagster.PythonScriptComponent\nattributes:\n  execution:\n    path: s.py\n  assets:\n"
    "    - key: a\n      partitions_def:\n"
)
FROM = " (from dagster.PythonScriptComponent)"


@pytest.mark.parametrize(
    "tail, expected",
    [
        pytest.param(
            "        type: daily\n        start_date: '2024-01-01'\n        hour_offset: x\n",
            [
                (
                    10,
                    22,
                    "attributes.assets[0].partitions_def.hour_offset: Input should be a valid integer, "
                    "unable to parse string as an integer" + FROM,
                )
            ],
            id="the-tagged-member-only",
        ),
        pytest.param(
            "        type: daily\n",
            [(7, 7, "Missing required attribute 'start_date' in attributes.assets[0].partitions_def" + FROM)],
            id="missing-key-of-the-tagged-member",
        ),
        pytest.param(
            "        type: montly\n        start_date: '2024-01-01'\n",
            [
                (
                    8,
                    15,
                    "attributes.assets[0].partitions_def.type: Input should be 'hourly'; Input should be "
                    "'daily'; Input should be 'weekly'; Input should be 'time_window'; Input should be "
                    "'static'" + FROM,
                )
            ],
            id="a-tag-no-member-has-is-the-one-error",
        ),
        pytest.param(
            "        partition_keys: [a]\n        bogus: 1\n",
            [(9, 9, "attributes.assets[0].partitions_def.bogus: Extra inputs are not permitted" + FROM)],
            id="no-tag-the-member-with-fewest-errors",
        ),
    ],
)
def test_a_union_of_models_is_judged_by_the_member_that_applies(worker, tmp_path, tail, expected):
    path = tmp_path / "defs.yaml"
    path.write_text(PARTITIONED + tail)
    assert located(path, worker) == expected
