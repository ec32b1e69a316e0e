"""Builds the `load` result: the project's definitions as a per-document asset map, the asset graph, load errors."""

import os
import re
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import adapter
import adapter_defs
import adapter_tree
import adapter_validate
import protocol
import registry

MAX_MESSAGE_CHARS = 2000
# dbt and Dagster write these inside a dbt project; they are outputs, not what the state is made from.
GENERATED_DIRS = {"target", "dbt_packages", "logs", "__pycache__", "node_modules"}
GENERATED_SUFFIXES = (".duckdb", ".duckdb.wal", ".log", ".msgpack")
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.S)
_NAME = re.compile(r"[A-Za-z_]\w*")


class BuildTimeout(BaseException):
    """A build that overran its budget (a BaseException, so user code's `except Exception` lets it by)."""


class LoadAnswer(protocol.LoadResult, total=False):
    """The load's answer from its child: the result, and the installed modules it imported (for the worker)."""

    modules: list[str]


def load_project(project_root: str, prepare: bool, seconds_per_document: float | None = None) -> LoadAnswer:
    """See protocol.py (METHOD_LOAD). Runs in a forked child: it imports and runs the project's code."""
    with adapter.quiet_dagster_warnings():
        return _load_project(project_root, prepare, seconds_per_document)


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raises BuildTimeout in the code running when `seconds` pass (a Python-level hang: a sleep, a
    loop, a blocking read), so a hanging build_defs is its document's error, not the whole call's."""
    if seconds is None or not hasattr(signal, "setitimer"):
        yield
        return

    def overrun(signum: int, frame: Any) -> None:
        raise BuildTimeout(f"build_defs did not finish within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, overrun)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _load_project(project_root: str, prepare: bool, seconds_per_document: float | None = None) -> LoadAnswer:
    root = Path(project_root)
    project = registry.read_project(root)
    if project is None:
        raise ValueError(f'{root} is not a dg project ([tool.dg] directory_type = "project" with a root_module)')
    before = set(sys.modules)
    # DAGSTER_IS_DEV_CLI stays as dg sets it (project code may read it); only the refresh of stored
    # state that it asks for on every load is ours: prepared when missing or stale (below).
    adapter_tree.refresh_stored_state_only_when_asked(manifest_is_current)
    registry.make_importable(project)  # its own files, as the registry reads them
    _put_interpreter_scripts_on_path()
    os.environ.update(adapter_tree.project_env_file(root))  # a forked child: the worker's own stays as it was
    failed: dict[Any, protocol.LoadError] = {}

    def fail(leaf: adapter_tree.Leaf, e: BaseException) -> None:
        failed.setdefault(leaf.loc, _leaf_error(leaf, e, root))

    # The component tree finds the documents and their stored state. Finding them imports every
    # Python file of the defs folder, which a legacy `load_defs` entry point never does: a tree that
    # fails to build is not yet a load error when the code location loads without it.
    try:
        tree = adapter_tree.component_tree(root)
        leaves = adapter_tree.leaves(tree)
    except Exception as e:  # noqa: BLE001 - the defs module or a defs file could not be read
        return _without_tree(project, e, root, before)

    states = adapter_tree.stored_states(tree, root, fail)
    stale = [(state, reason) for state in states if (reason := _staleness(state))]
    if stale and not prepare:
        return {
            "needs_prepare": [
                {"key": s.key, "path": str(s.leaf.path), "document": s.leaf.document, "reason": reason}
                for s, reason in stale
            ],
            "modules": _learned(before, project),
        }
    prepared: list[protocol.Prepared] = []
    for state, reason in stale:
        started = time.monotonic()
        try:
            adapter_tree.refresh_state(state, root)
        except Exception as e:  # noqa: BLE001 - dbt parse failed: the document that asked for it is told
            fail(state.leaf, e)
        prepared.append({"key": state.key, "reason": reason, "seconds": round(time.monotonic() - started, 2)})

    defs, project_errors, from_location = _build_code_location(
        project, tree, leaves, failed, fail, root, seconds_per_document
    )
    producers = _producers(defs, root) if from_location else _tree_producers(tree, leaves, failed, defs, root)
    if not project_errors:
        project_errors = _validation_errors(defs, root)
    return {
        "assets": _assets(defs, producers),
        "errors": list(failed.values()) + project_errors,
        "prepared": prepared,
        "modules": _learned(before, project),
    }


def _without_tree(
    project: "registry.ProjectConfig", tree_error: BaseException, root: Path, before: set[str]
) -> LoadAnswer:
    """The load when the component tree cannot be built: the code location alone, if it loads."""
    if isinstance(tree_error, adapter_tree.TreeUnsupported) and project.code_location_file is None:
        tree_error = adapter_tree.TreeUnsupported(
            f"{tree_error}: on this Dagster, lineage needs the project's own "
            f"entry point ({project.code_location_target_module}); "
            "Dagster 1.11.2 and newer load the defs folder without one"
        )
    repository, errors = None, [_project_error(tree_error, root)]
    if project.code_location_file is not None:
        try:
            repository = adapter_tree.load_code_location(root, project.code_location_target_module)
        except Exception as e:  # noqa: BLE001 - the code location's own error is the one dg shows
            errors = [_project_error(e, root)]
    if repository is None:
        return {"assets": [], "errors": errors, "prepared": [], "modules": _learned(before, project)}
    return {
        "assets": _assets(repository, _producers(repository, root)),
        "errors": [],
        "prepared": [],
        "modules": _learned(before, project),
    }


def _validation_errors(defs: Any, root: Path) -> list[protocol.LoadError]:
    """What Dagster says of the built definitions as a whole (a resource that no file provides): a
    load error, while the assets' lineage is still shown."""
    try:
        adapter_defs.validate_definitions(defs)
    except Exception as e:  # noqa: BLE001 - the user's definitions are invalid
        return [_project_error(e, root)]
    return []


def _assets(defs: Any, producers: dict[str, adapter_tree.Leaf]) -> list[protocol.LoadedAsset]:
    assets: list[protocol.LoadedAsset] = []
    for key, node in sorted(adapter_defs.asset_nodes(defs).items()):
        leaf = producers.get(key)
        producer: protocol.AssetProducer | None = {"path": str(leaf.path), "document": leaf.document} if leaf else None
        assets.append(protocol.LoadedAsset(**node, producer=producer))
    return assets


def _build_code_location(
    project: "registry.ProjectConfig",
    tree: Any,
    leaves: list[adapter_tree.Leaf],
    failed: dict[Any, protocol.LoadError],
    fail: Any,
    root: Path,
    seconds: float | None = None,
) -> tuple[Any, list[protocol.LoadError], bool]:
    """(definitions, project errors, whether they are the code location's) as `dg list defs` loads
    them: the repository of the project's target module (`definitions.py`), which decides which
    files are imported (a legacy `load_defs` never imports a script beside a folder's
    `definitions.py`). When that fails, or there is no such module, the defs folder as the component
    tree builds it, document by document, so the failure is found at its document."""
    location_error = None
    if (
        not failed
        and project.code_location_file is not None
        and not _only_loads_the_defs_folder(project.code_location_file)
    ):
        try:
            with _time_limit(2 * seconds if seconds else None):
                repository = adapter_tree.load_code_location(root, project.code_location_target_module)
        except BaseException as e:  # noqa: BLE001 - located below, document by document (sys.exit too)
            repository, location_error = None, e
        if repository is not None:
            return repository, [], True
    defs, errors = _build(tree, leaves, failed, fail, root, seconds)
    if location_error is not None and not failed and not errors:
        errors = [_project_error(location_error, root)]  # the target module's own code failed
    return defs, errors, False


def _only_loads_the_defs_folder(path: Path) -> bool:
    """True when the target module does nothing but `return load_from_defs_folder(...)` (what
    `create-dagster` writes): that is the component tree's build, which the tree path runs without
    the 0.9 s of component snapshots it adds. Anything else (`load_defs`, `Definitions.merge`, extra
    definitions, code at import) is loaded as the module itself."""
    import ast

    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return False
    calls = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) or _is_docstring(node):
            continue
        if isinstance(node, ast.FunctionDef) and len(node.decorator_list) == 1:
            body = [stmt for stmt in node.body if not _is_docstring(stmt)]
            if len(body) == 1 and isinstance(body[0], ast.Return):
                calls.append(body[0].value)
                continue
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            calls.append(node.value)
            continue
        return False
    return len(calls) == 1 and isinstance(calls[0], ast.Call) and _called_name(calls[0]) == "load_from_defs_folder"


def _is_docstring(node: Any) -> bool:
    import ast

    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _called_name(call: Any) -> str | None:
    func = call.func
    return getattr(func, "attr", None) or getattr(func, "id", None)


def _build(
    tree: Any,
    leaves: list[adapter_tree.Leaf],
    failed: dict[Any, protocol.LoadError],
    fail: Any,
    root: Path,
    seconds: float | None = None,
) -> tuple[Any, list[protocol.LoadError]]:
    """The whole defs folder as Dagster builds it; when that fails, every document that builds on its
    own (without its folders' post_processing), so one broken document does not hide the others.
    With `seconds`, each document's build may take that long, and the whole build twice that."""
    if not failed:
        try:
            with _time_limit(2 * seconds if seconds else None):
                return adapter_tree.build_defs(tree), []
        except BaseException as e:  # noqa: BLE001 - located below, document by document (sys.exit too)
            whole = e
    else:
        whole = None
    parts = []
    for leaf in leaves:
        if leaf.loc in failed:
            continue
        try:
            with _time_limit(seconds):
                parts.append(adapter_tree.build_defs(tree, leaf.loc))
        except BaseException as e:  # noqa: BLE001 - a build_defs that calls sys.exit is its document's error
            fail(leaf, e)
    if not failed:  # every document builds alone: a folder's post_processing, or the merge, failed
        for folder in adapter_tree.folder_documents(tree):
            try:
                with _time_limit(seconds):
                    adapter_tree.build_defs(tree, folder.loc)
            except BaseException as e:  # noqa: BLE001
                fail(folder, e)
    project_errors = [_project_error(whole, root)] if whole is not None and not failed else []
    try:
        return adapter_defs.merge_defs(parts), project_errors
    except Exception as e:  # noqa: BLE001 - e.g. two documents define the same asset key
        return adapter_defs.merge_defs([]), project_errors + [_project_error(e, root)]


def _producers(defs: Any, root: Path) -> dict[str, adapter_tree.Leaf]:
    """Asset key -> the document or Python file that produced it, from what Dagster recorded: a YAML
    document by the code reference Dagster puts on each of its assets (its file and start line); an
    asset of a Python file by the file of the function that computes it."""
    project_root = root.resolve()
    found = {
        key: adapter_tree.Leaf(None, source, None)
        for key, source in adapter_defs.compute_files(defs).items()
        if source.is_relative_to(project_root) and not _is_installed(source)
    }
    starts: dict[Path, list[int]] = {}
    for key, (path, line) in adapter_defs.component_file_references(defs).items():
        if path not in starts:
            starts[path] = adapter_defs.document_start_lines(path)
        lines = starts[path]
        index = max((i for i, start in enumerate(lines) if start <= line), default=0)
        found[key] = adapter_tree.Leaf(None, path, index)
    return found


def _tree_producers(
    tree: Any, leaves: list[adapter_tree.Leaf], failed: dict[Any, Any], defs: Any, root: Path
) -> dict[str, adapter_tree.Leaf]:
    """`_producers` for definitions the component tree built: where Dagster recorded nothing, the
    deepest declaration whose own definitions hold the asset (the tree cached each one while it
    built the whole). A Python file's module also holds the assets it imports (a schedule's file
    imports its asset), so a file claims an asset only when the asset's function is in that file."""
    found: dict[str, adapter_tree.Leaf] = {}
    for leaf in sorted(leaves, key=lambda l: len(l.path.parts)):
        if leaf.loc in failed:
            continue
        try:
            own = adapter_defs.own_assets(adapter_tree.build_defs(tree, leaf.loc))
        except BaseException:  # noqa: BLE001 - already reported (a BuildTimeout or SystemExit too)
            continue
        for key, source in own:
            imported = (
                leaf.document is None
                and source is not None
                and source != leaf.path.resolve()
                and source.is_relative_to(root.resolve())
            )
            if not imported:
                found[key] = leaf
    try:
        found.update(_producers(defs, root))
    except Exception:  # noqa: BLE001 - the merged definitions do not resolve: the leaves' answer stands
        pass
    return found


def _staleness(state: adapter_tree.StoredState) -> str | None:
    """Why the stored state must be prepared again, or None when it is current (or cannot be made:
    a dbt project folder that does not exist is the build's error to report, at its key)."""
    if any(not source.is_dir() for source in state.sources):
        return None
    if not state.path.exists():
        return "no stored state yet"
    stored = state.path.stat().st_mtime
    for source in state.sources:
        newest = _newest_file(source)
        if newest is not None and newest[0] > stored:
            return f"{newest[1].relative_to(source)} changed after the state was stored"
    return None


def manifest_is_current(manifest: Path, project_dir: Path) -> bool:
    """The dbt manifest exists and no file of the dbt project (its outputs aside) changed after it."""
    if not manifest.is_file():
        return False
    newest = _newest_file(project_dir)
    return newest is None or newest[0] <= manifest.stat().st_mtime


def _newest_file(folder: Path) -> tuple[float, Path] | None:
    newest = None
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in GENERATED_DIRS and not d.startswith(".")]
        for name in filenames:
            if name.startswith(".") or name.endswith(GENERATED_SUFFIXES):
                continue
            path = Path(dirpath, name)
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            if newest is None or mtime > newest[0]:
                newest = (mtime, path)
    return newest


def _leaf_error(leaf: adapter_tree.Leaf, e: BaseException, root: Path) -> protocol.LoadError:
    chain = _chain(e)
    document = _document_value(leaf) if leaf.document is not None else None
    key_path = None
    if document is not None:
        key_path = (
            _resolution_path(chain)
            or _template_var_path(chain, document, root)
            or _mentioned_value_path(chain, document)
        )
    return {
        "path": str(leaf.path),
        "document": leaf.document,
        "key_path": key_path,
        "line": _user_line(chain, leaf.path) if leaf.document is None else None,
        "message": _message(chain),
        "traceback": _traceback(e),
    }


def _project_error(e: BaseException, root: Path) -> protocol.LoadError:
    """An error no document caused (the defs module raised, a defs file is not YAML, ...): at the
    deepest frame in the project's own files, else at no file."""
    chain = _chain(e)
    where = None
    for exc in chain:
        for frame, line in traceback.walk_tb(exc.__traceback__):
            path = Path(frame.f_code.co_filename)
            if path.is_relative_to(root) and not _is_installed(path):
                where = (path, line)
    position = _yaml_error_position(chain)
    if position is not None:
        where = position
    return {
        "path": str(where[0]) if where else None,
        "document": None,
        "key_path": None,
        "line": where[1] if where else None,
        "message": _message(chain),
        "traceback": _traceback(e),
    }


def _chain(e: BaseException) -> list[BaseException]:
    """The exception and its causes, outermost first (Dagster wraps what user code raised)."""
    chain: list[BaseException] = []
    current: BaseException | None = e
    while current is not None and current not in chain and len(chain) < 20:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _message(chain: list[BaseException]) -> str:
    """The innermost error that is not one of Dagster's wrappers, as `Type: message`."""
    wrappers = adapter_tree.component_tree_error_types()
    own = [e for e in chain if not isinstance(e, wrappers)]
    error = own[-1] if own else chain[-1]
    # pydantic ends each error with "For further information visit https://errors.pydantic.dev/...": a
    # link for the component's author, noise beside the user's line.
    text = "\n".join(
        line for line in str(error).splitlines() if not line.strip().startswith("For further information visit")
    ).strip()
    if not own and "\n" in text:  # a ResolutionException: a code frame, then `UndefinedError: ...`
        return text.splitlines()[-1].strip()
    message = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return message if len(message) <= MAX_MESSAGE_CHARS else message[:MAX_MESSAGE_CHARS] + "…"


def _traceback(e: BaseException) -> str:
    return "".join(traceback.format_exception(type(e), e, e.__traceback__))


def _resolution_path(chain: list[BaseException]) -> list[Any] | None:
    """The key path Dagster was resolving when it failed (`ResolutionContext.path`, deepest frame)."""
    context_type = adapter_validate.resolution_context_type()
    if context_type is None:
        return None
    path = None
    for exc in chain:
        for frame, _ in traceback.walk_tb(exc.__traceback__):
            context: Any = frame.f_locals.get("context")
            if isinstance(context, context_type) and list(context.path)[:1] == ["attributes"]:
                if path is None or len(context.path) > len(path):
                    path = list(context.path)
    return path


def _template_var_path(chain: list[BaseException], document: Any, root: Path) -> list[Any] | None:
    """A template variable that raised: the first value whose `{{ }}` uses it."""
    names = set()
    for exc in chain:
        for frame, _ in traceback.walk_tb(exc.__traceback__):
            if Path(frame.f_code.co_filename).is_relative_to(root):
                names.add(frame.f_code.co_name)
    for path, value in _string_leaves(document, []):
        used = {n for body in _TEMPLATE.findall(value) for n in _NAME.findall(body)}
        if used & names:
            return path
    return None


def _mentioned_value_path(chain: list[BaseException], document: Any) -> list[Any] | None:
    """The value whose literal text the message quotes (a dbt project path that does not exist is
    reported rendered, so its template part is left out): the longest quoted fragment wins."""
    text = "\n".join(str(e) for e in chain)
    best: tuple[int, list[Any]] | None = None
    for path, value in _string_leaves(document, []):
        for fragment in _TEMPLATE.split(value)[::2]:
            fragment = fragment.strip()
            if len(fragment) >= 4 and fragment in text and (best is None or len(fragment) > best[0]):
                best = (len(fragment), path)
    return best[1] if best else None


def _string_leaves(value: Any, path: list[Any]) -> list[tuple[list[Any], str]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _string_leaves(v, path + [k])]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _string_leaves(v, path + [i])]
    return [(path, value)] if isinstance(value, str) and path[:1] == ["attributes"] else []


def _document_value(leaf: adapter_tree.Leaf) -> Any:
    import yaml

    try:
        documents = list(yaml.safe_load_all(leaf.path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError):
        return None
    return documents[leaf.document] if leaf.document is not None and leaf.document < len(documents) else None


def _user_line(chain: list[BaseException], path: Path) -> int | None:
    line = None
    for exc in chain:
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            if Path(frame.f_code.co_filename) == path:
                line = lineno
    return line


def _yaml_error_position(chain: list[BaseException]) -> tuple[Path, int] | None:
    for exc in chain:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None and getattr(mark, "name", None) and Path(mark.name).is_file():
            return Path(mark.name), mark.line + 1
    return None


def _is_installed(path: Path) -> bool:
    return str(path).startswith(adapter.site_dirs())


def _learned(before: set[str], project: "registry.ProjectConfig") -> list[str]:
    """Installed modules this load imported: the worker imports them once, so the next load is warm.
    Never the project's own package, even when it is installed: each load must see its edits."""
    return adapter.installed_since(before, project.root_module.split(".")[0])


def _put_interpreter_scripts_on_path() -> None:
    """dagster-dbt runs the `dbt` executable it finds on PATH: the one installed beside this Python."""
    scripts = os.path.dirname(sys.executable)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")
