"""pipeline.py: one file's problems, the same whether the editor asks the worker per file or `check` batches the files."""

from pathlib import Path

import pytest
from carets import with_marks

from dagster_components_ls.checks.background import BACKGROUND_CHECKS, VALIDATION, Failed, ask_worker
from dagster_components_ls.checks.pipeline import file_problems, worker_problems
from dagster_components_ls.checks.policies.config import PolicyConfig, Setting
from dagster_components_ls.checks.policies.platform import policy_batch_request, split_policy_answer
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.loaded import Loaded
from dagster_components_ls.project.worker_client import WorkerError
from dagster_components_ls.worker import protocol

PATH = "/p/defs/research/defs.yaml"
OTHER = "/p/defs/other/defs.yaml"
# Marked, in the order the pipeline reports them: the keystroke rules' invalid-value, the load
# error (on `type`), the asset without owners (on `owner`), the validator's message (on the key),
# the platform policy's violation (on the value); the ignored line's validation error is suppressed.
MARKED = (
    "type: [[acme_platform.ResearchJob]]\n"
    "attributes:\n"
    "  [[asset_key]]: raw/churn\n"
    "  owner: [[ada@acme.com]]\n"
    "  compute_size: [[xlarge]]\n"
    "---\n"
    "type: acme_platform.ResearchJob\n"
    "attributes:\n"
    "  asset_key: raw/x  # dagster-components-ls: ignore\n"
    "  [[owner]]: team:research\n"
)
OTHER_TEXT = "type: acme_platform.ResearchJob\nattributes:\n  asset_key: research/churn_model\n  owner: team:r\n"
LOADED = Loaded.from_result(
    {
        "assets": [{"key": "research/x", "owners": [], "tags": {}, "producer": {"path": PATH, "document": 1}}],
        "errors": [{"path": PATH, "document": 0, "key_path": None, "message": "ValueError: boom"}],
    }
)
POLICIES = PolicyConfig(require_owners=Setting(True))
FROM = " (from acme_platform.ResearchJob)"


class FakeWorker:
    """Answers `validate` and `policies` as the project's validator and platform policy would."""

    python = Path("/fake/bin/python")
    cwd = Path("/p")

    def __init__(self) -> None:
        self.calls: list[str] = []

    def call(self, method: str, params: dict, timeout: float = 0) -> dict:
        self.calls.append(method)
        documents = params["documents"]
        if method == protocol.METHOD_VALIDATE:
            return {
                "results": [
                    {"index": d["index"], "type": d["type"], "errors": list(self.validate(d["attributes"]))}
                    for d in documents
                ]
            }
        results = [
            {
                "policy": "acme-naming",
                "package": "acme-platform",
                "index": d["index"],
                "violations": [{"path": ["attributes", "owner"], "message": "owner is a person, not a team"}],
            }
            for d in documents
            if not d["document"]["attributes"]["owner"].startswith("team:")
        ]
        return {
            "results": results,
            "errors": [
                {
                    "policy": "acme-audit",
                    "package": None,
                    "index": None,
                    "message": "could not be loaded: ModuleNotFoundError",
                }
            ],
        }

    @staticmethod
    def validate(attributes: dict):
        if attributes["asset_key"].startswith("raw/"):
            yield {
                "path": ["attributes", "asset_key"],
                "message": "asset_key uses the namespace 'raw'",
                "kind": "value_error",
            }
        if attributes.get("compute_size") not in (None, "small", "medium", "large"):
            yield {"path": ["attributes", "compute_size"], "message": "Input should be 'small'", "kind": "enum"}


def context(registry, path: str = PATH) -> CheckContext:
    return CheckContext(registry=registry, folder=str(Path(path).parent), project_root="/p", policies=POLICIES)


def shown(problems) -> list[tuple]:
    return [(p.code, p.severity, (p.span.start, p.span.end), p.message) for p in problems]


def expected(spans) -> list[tuple]:
    return [
        (
            "invalid-value",
            "error",
            spans[3],
            "attributes.compute_size: 'xlarge' is not one of ['small', 'medium', 'large']",
        ),
        ("load-error", "error", spans[0], "ValueError: boom"),
        (
            "policy:require-owners",
            "error",
            spans[4],
            "Asset 'research/x' has no owners; the project's policy requires at least one",
        ),
        # The validator's enum error on compute_size repeats the invalid-value above: dropped.
        ("component-validation", "error", spans[1], "asset_key uses the namespace 'raw'" + FROM),
        ("policy:acme-naming", "error", spans[2], "owner is a person, not a team (from acme-platform)"),
        (
            "policy-config",
            "warning",
            (0, 31),
            "Policy 'acme-audit' (no package) could not be loaded: ModuleNotFoundError",
        ),
    ]


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_COMPONENTS_LS_CACHE", str(tmp_path / "cache"))


def test_the_editor_asks_per_file(registry):
    text, spans = with_marks(MARKED)
    parsed, ctx = parse_file(text), context(registry)
    worker = FakeWorker()
    assets = LOADED.assets_by_document(PATH, len(parsed.documents))
    answers = ask_worker(worker, "stamp", parsed, ctx, BACKGROUND_CHECKS, assets)
    assert worker.calls == [protocol.METHOD_VALIDATE, protocol.METHOD_POLICIES]
    assert shown(file_problems(parsed, ctx, PATH, LOADED, answers)) == expected(spans)


def test_check_batches_the_files_and_gets_the_same_problems(registry):
    text, spans = with_marks(MARKED)
    files = [(parse_file(text), context(registry)), (parse_file(OTHER_TEXT), context(registry, OTHER))]
    worker = FakeWorker()
    validated = [worker.call(VALIDATION.method, VALIDATION.request(p, ctx)) for p, ctx in files]
    assets = [LOADED.assets_by_document(path, len(p.documents)) for path, (p, _) in zip((PATH, OTHER), files)]
    batch = worker.call(protocol.METHOD_POLICIES, policy_batch_request(files, assets))
    policed = split_policy_answer(batch, len(files))
    (parsed, ctx), (other, other_ctx) = files
    answers = {protocol.METHOD_VALIDATE: validated[0], protocol.METHOD_POLICIES: policed[0]}
    assert shown(file_problems(parsed, ctx, PATH, LOADED, answers)) == expected(spans)
    # The other file of the batch passes every check; the policy that failed to load failed for it too.
    other_answers = {protocol.METHOD_VALIDATE: validated[1], protocol.METHOD_POLICIES: policed[1]}
    assert shown(file_problems(other, other_ctx, OTHER, LOADED, other_answers)) == [
        (
            "policy-config",
            "warning",
            (0, 31),
            "Policy 'acme-audit' (no package) could not be loaded: ModuleNotFoundError",
        ),
    ]


def test_before_the_worker_answers_only_the_keystroke_and_load_stages_run(registry):
    text, spans = with_marks(MARKED)
    parsed, ctx = parse_file(text), context(registry)
    assert shown(file_problems(parsed, ctx, PATH, LOADED)) == expected(spans)[:3]
    assert shown(file_problems(parsed, ctx, PATH)) == expected(spans)[:1]


def test_a_missing_registry_is_told_after_the_keystroke_problems():
    parsed = parse_file("type: acme_platform.ResearchJob\n")
    assert shown(
        file_problems(parsed, CheckContext(registry=None), PATH, registry_error="dagster is not installed")
    ) == [
        ("worker-error", "warning", (0, 31), "dagster is not installed"),
    ]


class BrokenWorker(FakeWorker):
    def call(self, method: str, params: dict, timeout: float = 0) -> dict:
        raise WorkerError("timeout", f"worker call {method} timed out")


def test_a_failed_call_is_one_warning_in_place_of_its_check(registry):
    text, _ = with_marks(MARKED)
    parsed, ctx = parse_file(text), context(registry)
    answers = ask_worker(BrokenWorker(), "stamp", parsed, ctx)
    assert answers == {
        protocol.METHOD_VALIDATE: Failed("worker call validate timed out"),
        protocol.METHOD_POLICIES: Failed("worker call policies timed out"),
    }
    assert shown(worker_problems(parsed, answers)) == [
        ("worker-error", "warning", (0, 31), "The worker's validate call failed: worker call validate timed out"),
        ("worker-error", "warning", (0, 31), "The worker's policies call failed: worker call policies timed out"),
    ]
