"""Worker-backed checks that follow the keystroke diagnostics: the component's own validation, platform policies."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any, Callable, Optional

from . import policies, validation
from ..model.context import CheckContext
from ..model.problems import Problem, without_suppressed
from ..model.documents import ParsedFile
from ..model.positions import Span
from ..project.registry import cached_call
from ..worker import protocol
from ..project.worker_client import WorkerError, WorkerProcess

CALL_TIMEOUT_SECONDS = 60.0


Assets = Mapping[int, list]
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
    return (policies.entry_point_problems(parsed, answer.get("results") or [])
            + policies.policy_error_problems(parsed, answer.get("errors") or []))


def _validation_request(parsed: ParsedFile, ctx: CheckContext, assets: Optional[Assets] = None) -> dict[str, Any]:
    return {"project_root": ctx.project_root, "documents": validation.validation_requests(parsed, ctx)}


def _validation_problems(parsed: ParsedFile, answer: dict[str, Any]) -> list[Problem]:
    return validation.validation_problems(parsed, answer.get("results") or [])


def validation_recurs(answer: dict[str, Any]) -> bool:
    """False when a document overran its budget or ended the process: the next run may not."""
    return not any(isinstance(r, dict) and r.get("failed") for r in answer.get("results") or ())


VALIDATION = BackgroundCheck(protocol.METHOD_VALIDATE, _validation_request, _validation_problems, validation_recurs)
PLATFORM_POLICIES = BackgroundCheck(protocol.METHOD_POLICIES, policies.policy_request, _policy_problems)
BACKGROUND_CHECKS: list[BackgroundCheck] = [VALIDATION, PLATFORM_POLICIES]


def merged(keystroke: list[Problem], background: list[Problem]) -> list[Problem]:
    """Keystroke problems plus the background ones that do not repeat them (the component's own
    validation often agrees with an invalid-value already shown on the same key)."""
    validation_found = [p for p in background if p.code == validation.CODE]
    others = [p for p in background if p.code != validation.CODE]
    return keystroke + validation.without_duplicates(validation_found, keystroke) + others


def run_background_checks(worker: WorkerProcess, stamp: str, text: str, parsed: ParsedFile, ctx: CheckContext,
                          checks: list[BackgroundCheck] = BACKGROUND_CHECKS,
                          assets: Optional[Assets] = None) -> list[Problem]:
    """Background checks of one file (blocking: run it in a thread), cached under the registry's
    fingerprint `stamp`. `assets` (after a load) reach the platform policies that ask for them. A
    check whose worker call fails adds one `worker-error` warning instead of its problems; the
    others still count."""
    found: list[Problem] = []
    for check in checks:
        request = check.request(parsed, ctx, assets)
        if not request.get("documents"):
            continue
        try:
            answer = cached_call(worker, stamp, check.method, request, CALL_TIMEOUT_SECONDS, check.cacheable)
        except WorkerError as exc:
            first_line = text.split("\n", 1)[0]
            found.append(Problem(Span(0, len(first_line)), "worker-error",
                                 f"The worker's {check.method} call failed: {exc.message}", severity="warning"))
            continue
        found.extend(check.problems(parsed, answer))
    return without_suppressed(text, found)
