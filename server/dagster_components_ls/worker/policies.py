"""Platform policies: the entry points of `dagster_components_ls.policies`, each run contained, per document."""

# A policy is user code: it may fail to import, raise, return garbage, print, loop or exit the
# process. Each entry point runs in its own forked child (`run_isolated`), with a time budget, so a
# bad policy costs only its own results and comes back as an error naming it and its package.
# The function signature is documented in dagster_components_ls/checks/policies/platform.py (and schemas/README.md).

import contextlib
import importlib.metadata
import inspect
import io
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypedDict

import protocol

GROUP = "dagster_components_ls.policies"
SECONDS_PER_POLICY = 5.0
MAX_VIOLATIONS = 100
MAX_MESSAGE = 2000


class _OutOfTime(Exception):
    pass


def run_policies(
    documents: list[dict[str, Any]], run_isolated: Callable[..., Any], seconds: float = SECONDS_PER_POLICY
) -> protocol.PoliciesResult:
    """Every installed policy over every document: {"results": [...], "errors": [...]} (see protocol.py)."""
    results: list[protocol.PolicyResult] = []
    errors: list[protocol.PolicyError] = []
    for entry_point in entry_points():
        policy, package = entry_point.name, _package(entry_point)
        try:
            outcome: PolicyAnswer = run_isolated(call_policy, entry_point.name, entry_point.value, documents, seconds)
        except Exception as e:  # isolation.ChildFailed: the child died (os._exit, a signal) before answering
            errors.append({"policy": policy, "package": package, "index": None, "message": f"crashed: {e}"})
            continue
        results.extend({"policy": policy, "package": package, **r} for r in outcome["results"])
        errors.extend({"policy": policy, "package": package, **e} for e in outcome["errors"])
    return {"results": results, "errors": errors}


def entry_points() -> list[importlib.metadata.EntryPoint]:
    """The group's entry points, once each, by name then package (reading metadata imports nothing)."""
    unique = {(ep.name, ep.value, _package(ep)): ep for ep in importlib.metadata.entry_points(group=GROUP)}
    return [unique[k] for k in sorted(unique, key=lambda k: (k[0], k[2] or ""))]


class PolicyAnswer(TypedDict):
    """One policy's answer from its child, before the worker adds the policy's name and package."""

    results: list[protocol.DocumentViolations]
    errors: list[protocol.PolicyProblem]


def call_policy(name: str, value: str, documents: list[dict[str, Any]], seconds: float) -> PolicyAnswer:
    """In the child: load one policy and call it on each document. Never raises."""
    results: list[protocol.DocumentViolations] = []
    errors: list[protocol.PolicyProblem] = []
    try:
        function = importlib.metadata.EntryPoint(name=name, value=value, group=GROUP).load()
    except BaseException as e:
        return {"results": [], "errors": [{"index": None, "message": f"could not be loaded: {_describe(e)}"}]}
    if not callable(function):
        return {"results": [], "errors": [{"index": None, "message": f"is not a function: {value} is {_a(function)}"}]}
    wants_assets = _takes_assets(function)
    deadline = time.monotonic() + seconds
    previous = signal.signal(signal.SIGALRM, _expire)
    try:
        for entry in documents:
            index = entry["index"]
            printed = io.StringIO()
            try:
                # The budget covers all documents: a slow policy cannot hold the call for long.
                signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), 0.001))
                with contextlib.redirect_stdout(printed):
                    args = (entry["document"], entry.get("assets")) if wants_assets else (entry["document"],)
                    answer = function(*args)
                    if isinstance(answer, Iterator):  # a generator: run it here, under the time limit
                        answer = list(_take(answer, MAX_VIOLATIONS + 1))
            except _OutOfTime:
                errors.append({"index": index, "message": f"did not finish within {seconds:g} s"})
                break
            except BaseException as e:  # SystemExit and KeyboardInterrupt too: this is a throwaway child
                traceback.print_exc()  # to the worker's stderr, for the server's log
                errors.append({"index": index, "message": f"raised {_describe(e)}"})
                continue
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                if printed.getvalue():
                    sys.stderr.write(printed.getvalue())
                    errors.append(
                        {
                            "index": index,
                            "message": "printed to stdout (a policy returns its violations; "
                            f"what it prints is ignored): {_clip(printed.getvalue(), 80)!r}",
                        }
                    )
            violations, problem = _violations(answer)
            if violations:
                results.append({"index": index, "violations": violations})
            if problem:
                errors.append({"index": index, "message": problem})
    finally:
        signal.signal(signal.SIGALRM, previous)
    return {"results": results, "errors": errors}


def _expire(signum: int, frame: Any) -> None:
    raise _OutOfTime()


def _violations(answer: Any) -> tuple[list[protocol.Violation], str | None]:
    """The well-formed violations of one answer, and what was wrong with the rest (None if nothing)."""
    shape = '{"path": [...], "message": "..."}'
    if not isinstance(answer, (list, tuple)):
        hint = " (return [] when the document passes)" if answer is None else ""
        return [], f"returned {_a(answer)}, not a list of {shape}{hint}"
    good: list[protocol.Violation] = []
    problem = None
    for item in answer[:MAX_VIOLATIONS]:
        reason = _bad_violation(item)
        if reason is None:
            violation: protocol.Violation = {"message": _clip(item["message"], MAX_MESSAGE)}
            if "path" in item:
                violation["path"] = list(item["path"])
            else:
                violation["asset_key"] = item["asset_key"]
            good.append(violation)
        elif problem is None:
            problem = f"returned an invalid violation {_clip(_repr(item), 120)}: {reason}"
    if len(answer) > MAX_VIOLATIONS and problem is None:
        problem = (
            f"returned more than {MAX_VIOLATIONS} violations for one document; the first {MAX_VIOLATIONS} are shown"
        )
    return good, problem


def _bad_violation(item: Any) -> str | None:
    if not isinstance(item, Mapping):
        return f'a violation is a dict like {{"path": [...], "message": "..."}}, not {_a(item)}'
    message = item.get("message")
    if not isinstance(message, str) or not message.strip():
        return '"message" must be a non-empty string'
    if "path" in item:
        path = item["path"]
        if not isinstance(path, (list, tuple)) or not all(
            isinstance(p, (str, int)) and not isinstance(p, bool) for p in path
        ):
            return '"path" must be a list of keys (strings) and list indices (integers)'
        return None
    if isinstance(item.get("asset_key"), str) and item["asset_key"]:
        return None
    return '"path" is missing'


def _takes_assets(function: Callable[..., Any]) -> bool:
    """Whether the policy declares a second positional parameter (`def policy(document, assets)`)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


def _take(iterator: Iterator[Any], count: int) -> Iterator[Any]:
    for i, item in enumerate(iterator):
        if i >= count:
            return
        yield item


def _package(entry_point: importlib.metadata.EntryPoint) -> str | None:
    dist = getattr(entry_point, "dist", None)
    return dist.name if dist is not None else None


def _describe(e: BaseException) -> str:
    message = _clip(str(e), 500)
    return f"{type(e).__name__}: {message}" if message else type(e).__name__


def _a(value: Any) -> str:
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _repr(value: Any) -> str:
    try:
        return repr(value)
    except BaseException:
        return f"<{type(value).__name__}>"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
