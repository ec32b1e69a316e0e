"""The worker's JSON-lines loop: one request per stdin line, one response per stdout line."""

# Run as `python <path>/worker` by the project's interpreter. Python puts this folder first on
# sys.path, which is why the sibling modules are imported as top-level modules.

import itertools
import json
import os
import platform
import signal
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, cast

import adapter
import adapter_dbt
import adapter_tree
import dbt_selection
import isolation
import load
import policies
import protocol
import registry
import render
import scaffold
import validate


class BadRequest(Exception):
    """The request names no method or carries malformed params."""


class CannotRun(Exception):
    """The interpreter cannot answer this call at all (an unsupported Dagster); the message is for the user as is."""


class NoDagster(CannotRun):
    """The interpreter has no Dagster: the project's environment is not set up yet."""


Progress = Callable[[str], None]
"""Tells the client what a long call is doing now ("importing 'x'"), before it does it."""

MEMORY_ENV = "DAGSTER_COMPONENTS_LS_WORKER_MEMORY_MB"
DEFAULT_MEMORY_MB = 4096


# Work to do after the current response is written (importing what a load taught us), so the
# client never waits for it.
AFTER_RESPONSE: list[Callable[[], None]] = []


def main() -> None:
    _hide_worker_modules()
    _limit_memory()
    requests, responses = _claim_stdio()
    signal.signal(signal.SIGUSR1, lambda signum, frame: None)  # an interrupt between calls is moot

    def send(message: Mapping[str, Any]) -> None:
        responses.write(json.dumps(message, default=repr) + "\n")
        responses.flush()

    for line in requests:
        if not line.strip():
            continue
        response, stop = _respond(line, send)
        send(response)
        if stop:
            break
        while AFTER_RESPONSE:
            AFTER_RESPONSE.pop(0)()


def _hide_worker_modules() -> None:
    """Frees the names `registry`, `protocol`, ... for the user's own modules of the same name."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    ours = [
        name
        for name, module in sys.modules.items()
        if name != "__main__" and os.path.dirname(os.path.abspath(getattr(module, "__file__", None) or "/")) == here
    ]
    for name in ours:  # they hold each other by reference
        sys.modules[f"dagster_components_ls_worker.{name}"] = sys.modules.pop(name)


def _limit_memory() -> None:
    """Caps the data each process of the worker may allocate (user code that allocates without
    bound gets a MemoryError in its forked call instead of taking the machine); 0 turns it off."""
    try:
        import resource

        megabytes = int(os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_MB))
        if megabytes > 0:
            limit = megabytes * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_DATA, (limit, resource.getrlimit(resource.RLIMIT_DATA)[1]))
    except (ImportError, ValueError, OSError):
        pass  # not POSIX, a bad value, or a hard limit already lower: run as is


def _claim_stdio() -> tuple[IO[str], IO[str]]:
    """Keeps private copies of stdin/stdout for the protocol; user code gets /dev/null and stderr.

    Done on the file descriptors, not only sys.stdout, so that subprocesses user code starts
    (dbt, sling) cannot write into the protocol stream or read requests either.
    """
    sys.stdout.flush()
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8", errors="replace")
    responses = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return requests, responses


def _respond(line: str, send: Callable[[Mapping[str, Any]], None]) -> tuple[Mapping[str, Any], bool]:
    request_id = None
    try:
        try:
            request = json.loads(line)
        except ValueError as e:
            raise BadRequest(f"not JSON: {e}") from None
        if not isinstance(request, dict):
            raise BadRequest("a request is a JSON object")
        request_id = request.get("id")
        method = request.get("method")
        params = request.get("params") or {}
        if method not in HANDLERS:
            raise BadRequest(f"unknown method {method!r}")
        if method not in (protocol.METHOD_PING, protocol.METHOD_SHUTDOWN):
            _check_dagster()
        if not isinstance(params, dict):
            raise BadRequest("params must be an object")

        def progress(doing: str) -> None:
            send({"id": request_id, "progress": doing})

        return {"id": request_id, "result": HANDLERS[method](params, progress)}, method == protocol.METHOD_SHUTDOWN
    except BadRequest as e:
        return _error(request_id, protocol.ERROR_BAD_REQUEST, str(e), ""), False
    except CannotRun as e:
        kind = protocol.ERROR_NO_DAGSTER if isinstance(e, NoDagster) else protocol.ERROR_EXCEPTION
        return _error(request_id, kind, str(e), ""), False
    except BaseException as e:  # never die on a request: user code may raise SystemExit too
        trace = e.traceback if isinstance(e, isolation.ChildFailed) else traceback.format_exc()
        message = str(e) if isinstance(e, isolation.ChildFailed) else f"{type(e).__name__}: {e}"
        return _error(request_id, protocol.ERROR_EXCEPTION, message, trace), False


def _check_dagster() -> None:
    """Raises CannotRun, naming the interpreter, when it has no Dagster or one older than we support
    (read from the distribution's metadata: an old Dagster is never imported)."""
    import importlib.metadata
    import importlib.util

    if "dagster" not in sys.modules and importlib.util.find_spec("dagster") is None:
        raise NoDagster(f"Dagster is not installed in {sys.executable}")
    try:
        version = importlib.metadata.version("dagster")
    except importlib.metadata.PackageNotFoundError:  # a source checkout on the path: assume it is current
        return
    if _release(version) < protocol.OLDEST_DAGSTER:
        raise CannotRun(
            f"Dagster {version} in {sys.executable} is not supported: dagster-components-ls supports "
            f"Dagster {protocol.SUPPORTED_DAGSTER} (upgrade the project to dagster>="
            f"{'.'.join(map(str, protocol.OLDEST_DAGSTER))})"
        )


def _release(version: str) -> tuple[int, ...]:
    """(1, 10, 21) of "1.10.21" or "1.10.21rc0"; a part that is not a number ends it."""
    parts = []
    for part in version.split(".")[:3]:
        digits = "".join(itertools.takewhile(str.isdigit, part))
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _error(request_id: Any, kind: str, message: str, trace: str) -> protocol.ErrorResponse:
    return {"id": request_id, "error": {"message": message, "kind": kind, "traceback": trace}}


def _ping(params: dict[str, Any], progress: Progress) -> protocol.PingResult:
    return {
        "protocol": protocol.PROTOCOL_VERSION,
        "pid": os.getpid(),
        "python": {"executable": sys.executable, "version": platform.python_version()},
    }


def _registry(params: dict[str, Any], progress: Progress) -> protocol.RegistryResult:
    project_root = params.get("project_root")
    extra_modules = params.get("extra_modules", [])
    extra_types = params.get("extra_types", [])
    seconds = params.get("seconds_per_module", protocol.SECONDS_PER_MODULE)
    if project_root is not None and not isinstance(project_root, str):
        raise BadRequest("project_root must be a string or null")
    for name, value in (("extra_modules", extra_modules), ("extra_types", extra_types)):
        if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
            raise BadRequest(f"{name} must be a list of names")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
        raise BadRequest("seconds_per_module must be a positive number")
    # In the worker itself, so every later fork starts with Dagster, the installed packages of the
    # types the files name (validate would import them next) and those the project's modules import.
    adapter.preload(tuple(extra_types))
    _preload_project_imports(project_root, float(seconds) / 4)
    # A module that hangs, calls os._exit or crashes stops the build where it is: build again
    # without it, so it costs only its own types. Each attempt leaves out one more name.
    excluded: dict[str, str] = {}
    while True:
        try:
            return isolation.run_watched(
                _parsing_dbt_when_stale(registry.build_registry),
                project_root,
                extra_modules,
                extra_types,
                excluded,
                seconds_per_step=float(seconds),
                on_step=progress,
            )
        except isolation.StepFailed as failed:
            if failed.step is None or failed.step.name is None or failed.step.name in excluded:
                raise isolation.ChildFailed(f"building the registry failed while {failed}") from None
            excluded[failed.step.name] = failed.message


def _document_params(params: dict[str, Any]) -> tuple[Any, list[dict[str, Any]], float]:
    """`project_root`, `documents` and `seconds_per_document` of a per-document request, checked."""
    project_root = params.get("project_root")
    documents = params.get("documents")
    if project_root is not None and not isinstance(project_root, str):
        raise BadRequest("project_root must be a string or null")
    if not isinstance(documents, list) or not all(
        isinstance(d, dict) and isinstance(d.get("type"), str) for d in documents
    ):
        raise BadRequest("documents must be a list of objects, each with a `type` string")
    seconds = params.get("seconds_per_document", protocol.SECONDS_PER_DOCUMENT)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
        raise BadRequest("seconds_per_document must be a positive number")
    return project_root, documents, float(seconds)


def _validate(params: dict[str, Any], progress: Progress) -> protocol.ValidateResult:
    project_root, documents, seconds = _document_params(params)
    adapter.preload(tuple(d["type"] for d in documents))  # e.g. dagster_dbt once, not 2 s per call
    _preload_project_imports(project_root, float(seconds) / 4)
    # A document that hangs or ends the process stops the child where it is: validate again without
    # it, so it costs only itself. Each attempt leaves out one more document (by position).
    failed: dict[int, str] = {}
    while True:
        left = [i for i in range(len(documents)) if i not in failed]
        try:
            answer = isolation.run_watched(
                _parsing_dbt_when_stale(validate.validate_documents),
                project_root,
                [documents[i] for i in left],
                seconds_per_step=float(seconds),
                on_step=progress,
            )
            break
        except isolation.StepFailed as stopped:
            if stopped.step is None or stopped.step.name is None:
                raise isolation.ChildFailed(f"validating failed while {stopped}") from None
            failed[left[int(stopped.step.name)]] = stopped.message
    results = iter(answer["results"])
    learned = answer.get("modules", [])
    AFTER_RESPONSE.append(lambda: adapter.import_installed(learned))
    return {
        "results": [
            {"index": d.get("index"), "type": d["type"], "errors": [], "skipped": None, "failed": failed[i]}
            if i in failed
            else cast(protocol.ValidateDocumentResult, {**next(results), "failed": None})
            for i, d in enumerate(documents)
        ]
    }


def _render(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    project_root, documents, seconds = _document_params(params)
    env_values = params.get("env_values") is True
    adapter.preload(tuple(d["type"] for d in documents))
    # As validate: a document that hangs or ends the process is left out, and the call runs again.
    failed: dict[int, str] = {}
    while True:
        left = [i for i in range(len(documents)) if i not in failed]
        try:
            answer = isolation.run_watched(
                render.render_documents,
                project_root,
                [documents[i] for i in left],
                env_values,
                seconds_per_step=float(seconds),
                on_step=progress,
            )
            break
        except isolation.StepFailed as stopped:
            if stopped.step is None or stopped.step.name is None:
                raise isolation.ChildFailed(f"rendering failed while {stopped}") from None
            failed[left[int(stopped.step.name)]] = stopped.message
    results = iter(answer["results"])
    return {
        "results": [
            {"index": d.get("index"), "values": [], "resolved": None, "skipped": None, "failed": failed[i]}
            if i in failed
            else {**next(results), "failed": None}
            for i, d in enumerate(documents)
        ]
    }


def _parsing_dbt_when_stale(fn: Callable[..., Any]) -> Callable[..., Any]:
    """fn, run in the call's child with stored state refreshed as the load does: a project module's
    own `DbtProject.prepare_if_dev()`, run at import under dg's DAGSTER_IS_DEV_CLI, then parses dbt
    only when the manifest is missing or older than the dbt project, not in every registry and
    validate call (Hooli's component module: 5 s each)."""

    def in_child(*args: Any) -> Any:
        adapter_tree.refresh_stored_state_only_when_asked(load.manifest_is_current)
        return fn(*args)

    return in_child


def _preload_project_imports(project_root: str | None, seconds: float) -> None:
    """The installed packages the project's own modules import, imported here before the fork (see
    adapter.preload_imports_of); never the project's own packages and modules."""
    try:
        project = registry.read_project(Path(project_root)) if project_root else None
    except Exception:  # a broken pyproject.toml: the call's child reports it
        return
    if project is None:
        return
    top = project.root_module.split(".")[0]
    try:
        own = {top, *(p.name.removesuffix(".py") for p in project.package_base.iterdir())}
    except OSError:
        return
    adapter.preload_imports_of(project.package_base / top, own, seconds)


def _scaffold(params: dict[str, Any], progress: Progress) -> protocol.ScaffoldResult:
    project_root = params.get("project_root")
    typename, folder_name = params.get("type"), params.get("folder_name", "component")
    scaffold_params = params.get("params")
    if project_root is not None and not isinstance(project_root, str):
        raise BadRequest("project_root must be a string or null")
    if not isinstance(typename, str) or not isinstance(folder_name, str):
        raise BadRequest("type and folder_name must be strings")
    if scaffold_params is not None and not isinstance(scaffold_params, dict):
        raise BadRequest("params must be an object or null")
    adapter.preload((typename,))
    return isolation.run_isolated(
        scaffold.scaffold, project_root, typename, folder_name, scaffold_params, bool(params.get("append"))
    )


def _policies(params: dict[str, Any], progress: Progress) -> protocol.PoliciesResult:
    documents = params.get("documents")
    seconds = params.get("seconds_per_policy", policies.SECONDS_PER_POLICY)
    if not isinstance(documents, list) or not all(
        isinstance(d, dict) and isinstance(d.get("index"), int) and isinstance(d.get("document"), dict)
        for d in documents
    ):
        raise BadRequest('documents must be a list of {"index": int, "type": str | null, "document": object}')
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
        raise BadRequest("seconds_per_policy must be a positive number")
    adapter.preload()  # platform packages import Dagster: once here, not in every policy's child
    return policies.run_policies(documents, isolation.run_isolated, float(seconds))


def _load(params: dict[str, Any], progress: Progress) -> protocol.LoadResult:
    project_root, prepare = params.get("project_root"), params.get("prepare", False)
    seconds = params.get("seconds_per_document")
    if not isinstance(project_root, str) or not isinstance(prepare, bool):
        raise BadRequest("load needs project_root (a string) and prepare (a boolean)")
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0):
        raise BadRequest("seconds_per_document must be a positive number")
    adapter.preload()
    try:
        result = isolation.run_isolated(load.load_project, project_root, prepare, seconds, cancellable=True)
    except isolation.Cancelled:
        return {"cancelled": True}
    learned = result.pop("modules", [])
    AFTER_RESPONSE.append(lambda: adapter.import_installed(learned))
    return result


def _dbt_selection(params: dict[str, Any], progress: Progress) -> protocol.DbtSelectionResult:
    project_root, path, documents = params.get("project_root"), params.get("path"), params.get("documents")
    if not isinstance(project_root, str) or not isinstance(path, str):
        raise BadRequest("dbt_selection needs project_root and path (strings)")
    if not isinstance(documents, list) or not all(
        isinstance(d, dict) and isinstance(d.get("index"), int) for d in documents
    ):
        raise BadRequest('documents must be a list of {"index": int, "select"?, "exclude"?, "selector"?}')
    adapter.preload(("dagster_dbt.DbtProjectComponent",))
    adapter_dbt.warm()  # dbt's selection engine once, not in every child
    result = isolation.run_isolated(dbt_selection.judge_documents, project_root, path, documents)
    AFTER_RESPONSE.append(lambda: dbt_selection.remember_manifests(result))
    return result


def _shutdown(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    return {}


# Params stay plain dicts: each handler checks them (a bad one is a BadRequest) before it trusts their shape.
HANDLERS: dict[str, Callable[[dict[str, Any], Progress], Mapping[str, Any]]] = {
    protocol.METHOD_PING: _ping,
    protocol.METHOD_REGISTRY: _registry,
    protocol.METHOD_POLICIES: _policies,
    protocol.METHOD_VALIDATE: _validate,
    protocol.METHOD_RENDER: _render,
    protocol.METHOD_SCAFFOLD: _scaffold,
    protocol.METHOD_LOAD: _load,
    protocol.METHOD_DBT_SELECTION: _dbt_selection,
    protocol.METHOD_SHUTDOWN: _shutdown,
}

if __name__ == "__main__":
    main()
