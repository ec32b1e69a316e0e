"""Worker-backed checks that follow the keystroke diagnostics (own validation, platform policies): how to ask, how to read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from ..model.context import CheckContext
from ..model.documents import ParsedFile
from ..model.problems import Problem
from ..project.registry import cached_answer, cached_call, store_answer
from ..project.worker_client import WorkerError, WorkerProcess, capped
from ..worker import protocol
from . import dbt_selection, validation
from .policies import platform

CALL_TIMEOUT_SECONDS = 60.0


Assets = Mapping[int, list[Any]]
"""Document index -> the loaded assets it produced (the `dagster/lineage` asset dicts)."""


@dataclass(frozen=True)
class BackgroundCheck:
    """One worker method run on a whole file: how to ask, and how to read the answer."""

    method: str
    request: Callable[[ParsedFile, CheckContext, Optional[Assets]], dict[str, Any]]
    """The params; a request with no documents is not sent."""
    problems: Callable[[ParsedFile, dict[str, Any]], list[Problem]]
    cacheable: Callable[[dict[str, Any]], bool] = lambda answer: True
    """Whether an answer may be served again from the disk cache."""


def _policy_problems(parsed: ParsedFile, answer: dict[str, Any]) -> list[Problem]:
    return platform.entry_point_problems(parsed, answer.get("results") or []) + platform.policy_error_problems(
        parsed, answer.get("errors") or []
    )


def _validation_request(parsed: ParsedFile, ctx: CheckContext, assets: Optional[Assets] = None) -> dict[str, Any]:
    return {"project_root": ctx.project_root, "documents": validation.validation_requests(parsed, ctx)}


def _validation_problems(parsed: ParsedFile, answer: dict[str, Any]) -> list[Problem]:
    return validation.validation_problems(parsed, answer.get("results") or [])


def validation_recurs(answer: dict[str, Any]) -> bool:
    """False when a document overran its budget or ended the process: the next run may not."""
    return not any(isinstance(r, dict) and r.get("failed") for r in answer.get("results") or ())


VALIDATION = BackgroundCheck(protocol.METHOD_VALIDATE, _validation_request, _validation_problems, validation_recurs)
PLATFORM_POLICIES = BackgroundCheck(protocol.METHOD_POLICIES, platform.policy_request, _policy_problems)
# Never from the disk cache: the answer depends on the manifest, which changes without the registry.
DBT_SELECTION = BackgroundCheck(
    protocol.METHOD_DBT_SELECTION,
    dbt_selection.selection_request,
    dbt_selection.selection_problems,
    lambda answer: False,
)
BACKGROUND_CHECKS: list[BackgroundCheck] = [VALIDATION, PLATFORM_POLICIES, DBT_SELECTION]


@dataclass(frozen=True)
class Failed:
    """A background check whose worker call failed, and why (shown as one `worker-error` warning)."""

    message: str


Answers = dict[str, Union[dict[str, Any], Failed]]
"""Worker method -> one file's answer (or its failed call); a check with nothing to ask is absent."""


def ask_worker(
    worker: WorkerProcess,
    stamp: str,
    parsed: ParsedFile,
    ctx: CheckContext,
    checks: list[BackgroundCheck] = BACKGROUND_CHECKS,
    assets: Optional[Assets] = None,
) -> Answers:
    """The background checks' answers for one file (blocking: run it in a thread), cached under the
    registry's fingerprint `stamp`. `assets` (after a load) reach the platform policies that ask for
    them. `pipeline.worker_problems` turns the answers into problems."""
    answers: Answers = {}
    for check in checks:
        request = check.request(parsed, ctx, assets)
        if not request.get("documents"):
            continue
        try:
            answers[check.method] = cached_call(
                worker, stamp, check.method, request, CALL_TIMEOUT_SECONDS, check.cacheable
            )
        except WorkerError as exc:
            answers[check.method] = Failed(exc.message)
    return answers


Files = Sequence[tuple[ParsedFile, CheckContext]]


def validation_batch(
    worker: WorkerProcess,
    stamp: str,
    files: Files,
    timeout: float,
    step: Callable[[int], AbstractContextManager[object]] = lambda documents: nullcontext(),
) -> list[Optional[dict[str, Any]]]:
    """Each file's `validate` answer (None when it has nothing to validate), keyed in the cache by the
    file's own request, as `ask_worker` asks for one file, so touching one file validates only that
    file. The files the cache cannot answer are validated in ONE worker call (wrapped in `step`, given
    the number of documents), so the project's modules are imported once, not once per file; each
    document keeps its own budget. Raises WorkerError when the call fails."""
    requests = [VALIDATION.request(parsed, ctx, None) for parsed, ctx in files]
    answers: list[Optional[dict[str, Any]]] = [None] * len(files)
    missing = []
    for i, request in enumerate(requests):
        if request["documents"]:
            answers[i] = cached_answer(worker, stamp, VALIDATION.method, request)
            if answers[i] is None:
                missing.append(i)
    if not missing:
        return answers
    # One call for all: documents numbered across the files, and the answer split back by file.
    owners = [(i, doc["index"]) for i in missing for doc in requests[i]["documents"]]
    documents = [{**doc, "index": n} for n, doc in enumerate(d for i in missing for d in requests[i]["documents"])]
    seconds = min(protocol.SECONDS_PER_DOCUMENT, capped(timeout) / 4)
    params = {
        "project_root": requests[missing[0]]["project_root"],
        "documents": documents,
        "seconds_per_document": seconds,
    }
    with step(len(documents)):
        # Room for every document's budget, on top of the usual call's: a hang costs only itself.
        answer = worker.call(VALIDATION.method, params, timeout=timeout + seconds * len(documents))
    split: dict[int, list[dict[str, Any]]] = {i: [] for i in missing}
    for result in answer.get("results") or ():
        n = result.get("index")
        if isinstance(n, int) and 0 <= n < len(owners):
            file_index, original = owners[n]
            split[file_index].append({**result, "index": original})
    for i in missing:
        one = answers[i] = {"results": split[i]}
        if VALIDATION.cacheable(one):
            store_answer(worker, stamp, VALIDATION.method, requests[i], one)
    return answers


def policy_batch(
    worker: WorkerProcess, stamp: str, files: Files, timeout: float, assets: Optional[Sequence[Assets]] = None
) -> list[Optional[dict[str, Any]]]:
    """Each file's `policies` answer, from one worker call for all the files (with the loaded assets of
    each file's documents, for the policies that ask for them); None when nothing is asked. Raises
    WorkerError when the call fails."""
    request = platform.policy_batch_request(files, assets)
    if not request["documents"]:
        return [None] * len(files)
    answer = cached_call(worker, stamp, PLATFORM_POLICIES.method, request, timeout)
    return list(platform.split_policy_answer(answer, len(files)))


def dbt_selection_batch(worker: WorkerProcess, files: Files, timeout: float) -> list[Optional[dict[str, Any]]]:
    """Each file's `dbt_selection` answer (None when it has no dbt document), one worker call per file
    that has one. Raises WorkerError when a call fails."""
    answers: list[Optional[dict[str, Any]]] = []
    for parsed, ctx in files:
        request = DBT_SELECTION.request(parsed, ctx, None)
        answers.append(worker.call(DBT_SELECTION.method, request, timeout=timeout) if request["documents"] else None)
    return answers


def batch_answers(
    worker: WorkerProcess, stamp: str, files: Files, timeout: float, assets: Optional[Sequence[Assets]] = None
) -> list[Answers]:
    """The background checks' answers for several files of one project in two worker calls, and one
    per file with a dbt document (the server's workspace pass over closed files); a failed call is a
    `Failed` answer for every file."""
    per_file: list[Answers] = [{} for _ in files]
    calls: list[tuple[BackgroundCheck, Callable[[], list[Optional[dict[str, Any]]]]]] = [
        (VALIDATION, lambda: validation_batch(worker, stamp, files, timeout)),
        (PLATFORM_POLICIES, lambda: policy_batch(worker, stamp, files, timeout, assets)),
        (DBT_SELECTION, lambda: dbt_selection_batch(worker, files, timeout)),
    ]
    for check, call in calls:
        try:
            found: list[Union[Optional[dict[str, Any]], Failed]] = list(call())
        except WorkerError as exc:
            asked = [bool(check.request(parsed, ctx, None)["documents"]) for parsed, ctx in files]
            found = [Failed(exc.message) if ask else None for ask in asked]
        for answers, answer in zip(per_file, found):
            if answer is not None:
                answers[check.method] = answer
    return per_file
