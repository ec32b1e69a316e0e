"""One file's problems in the order shown, for the editor and `check` alike: keystroke rules, load results, worker answers."""

from __future__ import annotations

from typing import Optional, cast

from ..model.context import CheckContext
from ..model.documents import ParsedFile
from ..model.loaded import Loaded
from ..model.positions import Span
from ..model.problems import ERROR, WARNING, Problem, without_suppressed
from . import validation
from .background import BACKGROUND_CHECKS, Answers, Failed
from .diagnostics import diagnose
from .policies.asset_rules import asset_policy_problems, asset_problems
from .policies.config import PolicyConfig
from .policies.spans import path_span

LOAD_CODE = "load-error"


def file_problems(
    parsed: ParsedFile,
    ctx: CheckContext,
    path: str,
    loaded: Optional[Loaded] = None,
    answers: Optional[Answers] = None,
    registry_error: Optional[str] = None,
) -> list[Problem]:
    """Every problem of one file, in order: the keystroke rules (sorted by position), why the registry
    is missing (`registry_error`), the load's errors and asset-level policies (`loaded`, a file at
    `path`), then the worker's answers (`answers`: own validation minus what the keystroke rules
    already say, platform policies). Suppression comments apply to every stage."""
    problems = diagnose(parsed, ctx)
    if registry_error is not None:
        problems.append(Problem(_first_line(parsed.text), "worker-error", registry_error, WARNING))
    if loaded is not None:
        problems += loaded_problems(parsed, path, loaded, cast(Optional[PolicyConfig], ctx.policies))
    if answers is not None:
        problems = merged(problems, worker_problems(parsed, answers))
    return problems


def loaded_problems(parsed: ParsedFile, path: str, loaded: Loaded, config: Optional[PolicyConfig]) -> list[Problem]:
    """The load errors of the file at `path`, and its assets' policy problems when policies are configured."""
    found = load_problems(loaded, path, parsed)
    if config is not None:
        found += loaded_policy_problems(loaded, path, parsed, config)
    return without_suppressed(parsed.text, found)


def load_problems(loaded: Loaded, path: str, parsed: ParsedFile) -> list[Problem]:
    """The load errors of one file, at the key that caused them (else the document's `type`)."""
    problems = []
    for error in loaded.errors_of(path):
        index = error.get("document")
        if not isinstance(index, int) or not 0 <= index < len(parsed.documents):
            continue
        doc = parsed.documents[index]
        written = error.get("key_path")
        key_path = written if isinstance(written, list) else ["type"]
        data = {"key_path": key_path} if error.get("key_path") else None
        problems.append(
            Problem(
                path_span(doc, key_path).shifted(doc.start),
                LOAD_CODE,
                error.get("message") or "Loading the definitions failed",
                ERROR,
                data,
            )
        )
    return problems


def loaded_policy_problems(loaded: Loaded, path: str, parsed: ParsedFile, config: PolicyConfig) -> list[Problem]:
    """Asset-level policies (require-owners, required-tags, asset-key-pattern) on the assets each
    document of this file produced."""
    by_document = loaded.assets_by_document(path, len(parsed.documents))
    return asset_problems(parsed, asset_policy_problems(config, {i: a for i, a in by_document.items() if a}))


def worker_problems(parsed: ParsedFile, answers: Answers) -> list[Problem]:
    """The worker's answers for one file as problems, check by check; a failed call is one
    `worker-error` warning on the first line instead of that check's problems."""
    found: list[Problem] = []
    for check in BACKGROUND_CHECKS:
        answer = answers.get(check.method)
        if isinstance(answer, Failed):
            found.append(
                Problem(
                    _first_line(parsed.text),
                    "worker-error",
                    f"The worker's {check.method} call failed: {answer.message}",
                    WARNING,
                )
            )
        elif answer is not None:
            found.extend(check.problems(parsed, answer))
    return without_suppressed(parsed.text, found)


def merged(keystroke: list[Problem], background: list[Problem]) -> list[Problem]:
    """Keystroke problems plus the background ones that do not repeat them (the component's own
    validation often agrees with an invalid-value already shown on the same key)."""
    validation_found = [p for p in background if p.code == validation.CODE]
    others = [p for p in background if p.code != validation.CODE]
    return keystroke + validation.without_duplicates(validation_found, keystroke) + others


def _first_line(text: str) -> Span:
    return Span(0, len(text.split("\n", 1)[0]))
