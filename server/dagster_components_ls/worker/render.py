"""The `render` call: each templated string of a document rendered with the component's real scope."""

# Runs in a forked child (user code: template vars, get_additional_scope). Nothing rendered is
# written anywhere; environment values leave only when the request asks for them.

import json
import os
from pathlib import Path
from typing import Any, Callable

import adapter_render
import protocol
import registry
import validate

# The parts of a document Dagster renders at load: `attributes`, and `post_processing` with the
# component's scope. `type`, `template_vars_module` and `requirements` are read as written.
RENDERED_KEYS = ("attributes", "post_processing")
MAX_ERROR_CHARS = 2000


def render_documents(
    project_root: str | None,
    documents: list[dict[str, Any]],
    env_values: bool,
    step: Callable[..., None] = lambda doing, name=None: None,
) -> protocol.RenderResult:
    """Every document's rendered values and resolved form, each document one watched step."""
    project = None
    if project_root:
        try:
            project = registry.read_project(Path(project_root))
        except Exception:  # a broken pyproject.toml: the registry reports it; render what we can
            project = None
        if project is not None:
            registry.make_importable(project)
    defs = (project.defs_module, str(project.defs_dir)) if project is not None else None
    results = []
    for position, document in enumerate(documents):
        step(f"rendering document {document.get('index')} ({document.get('type')})", str(position))
        results.append(render_document(document, project_root, defs, env_values))
    return {"results": results}


def render_document(
    document: dict[str, Any], project_root: str | None, defs: tuple[str, str] | None, env_values: bool
) -> protocol.RenderedDocument:
    """One document; whatever user code raises stays in it (`skipped`, or a value's `error`)."""
    body = document.get("document")
    result: protocol.RenderedDocument = {
        "index": document.get("index"),
        "values": [],
        "resolved": body,
        "skipped": None,
    }
    if not isinstance(body, dict):
        result["skipped"] = "the document is not a mapping"
        return result
    folder = os.path.abspath(document.get("folder") or ".")
    template_vars_module = body.get("template_vars_module")
    try:
        cls = validate._import_component(document.get("type"))
        resolution = adapter_render.rendering_context(
            cls, folder, project_root, defs, template_vars_module if isinstance(template_vars_module, str) else None
        )
    except BaseException as e:  # user code may raise anything, SystemExit included
        result["skipped"] = _message(e)
        return result
    late = [list(p) for p in document.get("late") or ()]
    kept = [list(p) for p in document.get("untemplated") or ()]
    values: list[protocol.RenderedValue] = []

    def walk(value: Any, path: list[Any]) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, [*path, k]) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, [*path, i]) for i, v in enumerate(value)]
        if not isinstance(value, str) or not _is_templated(value) or _under(path, kept):
            return value
        if _under(path, late):
            values.append({"path": path, "text": None, "value": None, "env": [], "error": None, "runtime": True})
            return value
        recorder = adapter_render.EnvRecorder()
        entry: protocol.RenderedValue = {
            "path": path,
            "text": None,
            "value": None,
            "env": [],
            "error": None,
            "runtime": False,
        }
        try:
            rendered = adapter_render.render(adapter_render.with_env(resolution, recorder, env_values), path, value)
        except BaseException as e:  # a template var or scope object may raise anything
            entry["error"] = _message(e)
            rendered = value
        else:
            entry["value"] = _plain(rendered)
            entry["text"] = _text(rendered)
        entry["env"] = [{"name": u.name, "set": u.set, "default": u.default} for u in recorder.used]
        values.append(entry)
        return entry["value"] if entry["error"] is None else value

    result["resolved"] = {k: walk(v, [k]) if k in RENDERED_KEYS else v for k, v in body.items()}
    result["values"] = values
    return result


def _is_templated(value: str) -> bool:
    return "{{" in value or "{%" in value


def _under(path: list[Any], prefixes: list[list[Any]]) -> bool:
    keys = [p for p in path if isinstance(p, str)]
    return any(keys[: len(prefix)] == prefix for prefix in prefixes)


def _plain(value: Any) -> Any:
    """The value as JSON when it is plain data, else its repr (an AutomationCondition, a function)."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return repr(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(_plain(value))


def _message(e: BaseException) -> str:
    """Dagster's message without the traceback it pastes in (its last line says what happened)."""
    text = str(e).strip() or type(e).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and ("Exception occurred while evaluating template." in text or lines[-1].startswith("UndefinedError")):
        text = lines[-1]
    name = type(e).__name__
    if name != "ResolutionException" and not text.startswith(name):
        text = f"{name}: {text}"
    return text[:MAX_ERROR_CHARS]
