"""Platform policies through the real worker: acme-naming on the examples, and policies that misbehave."""

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from dagster_components_ls.checks.policies.platform import entry_point_problems, policy_error_problems, policy_request
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import LineIndex
from dagster_components_ls.model.registry import Registry
from dagster_components_ls.project.worker_client import WorkerProcess

REPO = Path(__file__).parents[2]
EXAMPLES = REPO / "examples"
SNAPSHOT = REPO / "tests" / "fixtures" / "registry_snapshot.json"
NAMING = "owner 'ada@acme.example' is a person; ACME assets must be owned by a team ('team:<name>')"

# A distribution installed only on the worker's PYTHONPATH: one entry point per way to misbehave.
BAD_POLICIES = """
import os, time

def raises(document):
    raise ValueError("boom")

def returns_none(document):
    return None

def returns_text(document):
    return "attributes.owner is wrong"

def half_good(document):
    return [{"path": "attributes.owner", "message": "dotted path"}, {"path": ["type"], "message": "kept"}]

def prints(document):
    print("checking", document["type"])
    return []

def exits(document):
    os._exit(3)

def slow(document):
    while True:
        time.sleep(0.01)

def generator(document):
    yield {"path": ["type"], "message": "from a generator"}

def asset_aware(document, assets):
    if assets is None:
        return []
    return [{"asset_key": a["key"], "message": "asset seen"} for a in assets]

NOT_A_FUNCTION = {"path": []}
"""
ENTRY_POINTS = {
    "bad-raises": "bad_policies:raises",
    "bad-none": "bad_policies:returns_none",
    "bad-text": "bad_policies:returns_text",
    "bad-half": "bad_policies:half_good",
    "bad-prints": "bad_policies:prints",
    "bad-exits": "bad_policies:exits",
    "bad-slow": "bad_policies:slow",
    "bad-generator": "bad_policies:generator",
    "bad-assets": "bad_policies:asset_aware",
    "bad-not-callable": "bad_policies:NOT_A_FUNCTION",
    "bad-missing": "bad_policies:nope",
    "bad-import": "no_such_module_here:f",
}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.from_snapshot(json.loads(SNAPSHOT.read_text()))


@pytest.fixture(scope="module")
def worker():
    """The real worker in this interpreter, where acme-platform (and its acme-naming policy) is installed."""
    with WorkerProcess(Path(sys.executable), EXAMPLES) as process:
        yield process


@pytest.fixture(scope="module")
def bad_worker(tmp_path_factory):
    """The same, with the bad-policies distribution on its path as well."""
    site = tmp_path_factory.mktemp("site")
    (site / "bad_policies.py").write_text(textwrap.dedent(BAD_POLICIES))
    dist_info = site / "bad_policies-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: bad-policies\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(
        "[dagster_components_ls.policies]\n" + "".join(f"{k} = {v}\n" for k, v in ENTRY_POINTS.items())
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    with WorkerProcess(Path(sys.executable), EXAMPLES, env=env) as process:
        yield process


def check(worker: WorkerProcess, path: Path, registry: Registry, **params):
    """(problems as (line, col, code, severity, message), raw answer) for one file, 1-based positions."""
    text = path.read_text()
    parsed = parse_file(text)
    request = {**policy_request(parsed, CheckContext(registry=registry)), **params}
    answer = worker.call("policies", request, timeout=60)
    index = LineIndex(text)
    problems = entry_point_problems(parsed, answer["results"]) + policy_error_problems(parsed, answer["errors"])
    return sorted((*index.line_col_1based(p.span.start), p.code, p.severity, p.message) for p in problems), answer


def test_acme_naming_fires_on_a_personal_owner(worker, registry):
    problems, _ = check(worker, EXAMPLES / "broken" / "policy_personal_owner" / "defs.yaml", registry)
    assert problems == [(9, 10, "policy:acme-naming", "error", f"{NAMING} (from acme-platform)")]


@pytest.mark.parametrize(
    "path",
    sorted(
        p.relative_to(EXAMPLES)
        for p in EXAMPLES.rglob("*.yaml")
        if p.name in ("defs.yaml", "component.yaml")
        and "policy_personal_owner" not in p.parts
        and not any(part.startswith(".") for part in p.parts)
    ),
)
def test_no_violations_anywhere_else(worker, registry, path):
    assert check(worker, EXAMPLES / path, registry) == ([], {"results": [], "errors": []})


def test_each_bad_policy_is_contained_and_named(bad_worker, registry, tmp_path):
    file = tmp_path / "defs.yaml"
    file.write_text(
        "type: acme_platform.ResearchJob\nattributes:\n  asset_key: research/a\n  owner: ada@acme.example\n"
        "  script: s.py\n---\ntype: dagster.DefsFolderComponent\n"
    )
    problems, answer = check(bad_worker, file, registry, seconds_per_policy=1)
    assert problems == [
        (
            1,
            1,
            "policy-config",
            "warning",
            "Policy 'bad-exits' from package 'bad-policies' crashed: the call's "
            "process died (exit code 3) before answering",
        ),
        (
            1,
            1,
            "policy-config",
            "warning",
            "Policy 'bad-half' from package 'bad-policies' returned an invalid violation "
            "{'path': 'attributes.owner', 'message': 'dotted path'}: \"path\" must be "
            "a list of keys (strings) and list indices (integers)",
        ),
        (
            1,
            1,
            "policy-config",
            "warning",
            "Policy 'bad-import' from package 'bad-policies' could not be loaded: "
            "ModuleNotFoundError: No module named 'no_such_module_here'",
        ),
        (
            1,
            1,
            "policy-config",
            "warning",
            "Policy 'bad-missing' from package 'bad-policies' could not be loaded: "
            "AttributeError: module 'bad_policies' has no attribute 'nope'",
        ),
        (
            1,
            1,
            "policy-config",
            "warning",
            "Policy 'bad-none' from package 'bad-policies' returned None, not a list "
            'of {"path": [...], "message": "..."} (return [] when the document '
            "passes)",
        ),
        (
            1,
            1,
            "policy-config",
            "warning",
            "Policy 'bad-not-callable' from package 'bad-policies' is not a function: "
            "bad_policies:NOT_A_FUNCTION is a dict",
        ),
        (
            1,
            1,
            "policy-config",
            "warning",
            "Policy 'bad-prints' from package 'bad-policies' printed to stdout (a policy "
            "returns its violations; what it prints is ignored): "
            "'checking acme_platform.ResearchJob\\n'",
        ),
        (1, 1, "policy-config", "warning", "Policy 'bad-raises' from package 'bad-policies' raised ValueError: boom"),
        (1, 1, "policy-config", "warning", "Policy 'bad-slow' from package 'bad-policies' did not finish within 1 s"),
        (
            1,
            1,
            "policy-config",
            "warning",
            "Policy 'bad-text' from package 'bad-policies' returned a str, not a list "
            'of {"path": [...], "message": "..."}',
        ),
        (1, 7, "policy:bad-generator", "error", "from a generator (from bad-policies)"),
        (1, 7, "policy:bad-half", "error", "kept (from bad-policies)"),
        (4, 10, "policy:acme-naming", "error", f"{NAMING} (from acme-platform)"),  # the rest keeps working
        (7, 7, "policy:bad-generator", "error", "from a generator (from bad-policies)"),
        (7, 7, "policy:bad-half", "error", "kept (from bad-policies)"),
    ]
    assert sorted({(e["policy"], e["index"]) for e in answer["errors"]}) == [
        ("bad-exits", None),
        ("bad-half", 0),
        ("bad-half", 1),
        ("bad-import", None),
        ("bad-missing", None),
        ("bad-none", 0),
        ("bad-none", 1),
        ("bad-not-callable", None),
        ("bad-prints", 0),
        ("bad-prints", 1),
        ("bad-raises", 0),
        ("bad-raises", 1),
        ("bad-slow", 0),
        ("bad-text", 0),
        ("bad-text", 1),
    ]
    assert bad_worker.call("ping")["protocol"] == 1  # the worker itself survived all of it


def test_asset_aware_policies_receive_the_assets(bad_worker):
    answer = bad_worker.call(
        "policies",
        {
            "documents": [
                {
                    "index": 0,
                    "type": None,
                    "document": {"type": "x.Y"},
                    "assets": [{"key": "raw/a", "owners": [], "tags": {}}],
                },
                {"index": 1, "type": None, "document": {"type": "x.Y"}},
            ],
            "seconds_per_policy": 1,
        },
        timeout=60,
    )
    assert [r for r in answer["results"] if r["policy"] == "bad-assets"] == [
        {
            "policy": "bad-assets",
            "package": "bad-policies",
            "index": 0,
            "violations": [{"message": "asset seen", "asset_key": "raw/a"}],
        }
    ]


@pytest.mark.parametrize(
    "params",
    [{"documents": "x"}, {"documents": [{"index": "0", "document": {}}]}, {"documents": [], "seconds_per_policy": 0}],
)
def test_malformed_requests_are_refused(worker, params):
    from dagster_components_ls.project.worker_client import WorkerError

    with pytest.raises(WorkerError) as caught:
        worker.call("policies", params)
    assert caught.value.kind == "exception"
