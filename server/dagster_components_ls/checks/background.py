"""Worker-backed checks that follow the keystroke diagnostics (own validation, platform policies): how to ask, how to read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from ..model.context import CheckContext
from ..model.documents import ParsedFile
from ..model.problems import Problem
from ..project.registry import cached_call
from ..project.worker_client import WorkerError, WorkerProcess
from ..worker import protocol
from . import validation
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
BACKGROUND_CHECKS: list[BackgroundCheck] = [VALIDATION, PLATFORM_POLICIES]


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
