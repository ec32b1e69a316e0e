"""The registry snapshot from the worker: its disk cache and the fingerprint that keys it."""

import functools
import hashlib
import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..model.registry import Registry
from ..model.snapshot_shape import snapshot_problem
from ..worker import protocol
from .discovery import Project, component_files, is_skipped_dir, module_path
from .files import read_text
from .processes import run_contained
from .worker_client import WORKER_DIR, WorkerError, WorkerProcess, capped

# Top-level `type:` / `template_vars_module:` lines of defs.yaml files: they name the project-local
# types and template var modules the worker imports, so they are part of the fingerprint.
_DEFS_REFERENCE = re.compile(r"""^\ufeff?(?:type|template_vars_module):.*$""", re.M)  # a BOM may start a file

# One cheap run of the interpreter, which must not import dagster (that costs a second).
# Sample output: {"version": "3.11.7", "paths": ["/usr/lib/python311.zip", ".../site-packages"],
#                 "site_dirs": [".../site-packages"]}
_PROBE = (
    "import json, site, sys; print(json.dumps({'version': sys.version.split()[0], "
    "'paths': [p for p in sys.path if p], "
    "'site_dirs': [*site.getsitepackages(), site.getusersitepackages()]}))"
)
PROBE_TIMEOUT_ENV = "DAGSTER_COMPONENTS_LS_PROBE_TIMEOUT"
"""Seconds the interpreter probe may take (default 30); tests of a hanging interpreter set it low."""


CACHE_MAX_FILES = 5000
CACHE_MAX_BYTES = 256 * 1024 * 1024
"""Bounds of the disk cache; beyond them the least recently used entries go (a read counts as a use). A
workspace of 1,000 component files keeps an answer per file and worker check: the count leaves room."""
STALE_TEMP_SECONDS = 3600.0
"""A temp file this old is a write that died halfway."""
_ENTRY_NAME = re.compile(r"^[a-z_]+(-[0-9a-f]+)+\.json$")
"""Our entries' names (`registry-1a2b...json`): nothing else in the folder is ever deleted."""


def cache_dir() -> Path:
    if os.environ.get("DAGSTER_COMPONENTS_LS_CACHE"):
        return Path(os.environ["DAGSTER_COMPONENTS_LS_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(xdg) / "dagster-components-ls"


def load_registry(
    python: Path,
    project: Project | None,
    *,
    worker: WorkerProcess | None = None,
    use_cache: bool = True,
    timeout: float = 120.0,
    extra_types: Iterable[str] = (),
    cache_only: bool = False,
    stamp: str | None = None,
    on_build: Callable[[], object] = lambda: None,
) -> Registry:
    """The registry for this interpreter and project: from the cache when the fingerprint matches
    (no Dagster import, no process), else from the worker, then cached.

    `extra_types` are typenames that files outside the project's defs folder use (a lone file, a
    re-export such as `dagster.components.DefsFolderComponent`): the worker tries to import them.
    `cache_only` never starts a worker (an untrusted workspace): WorkerError when nothing is cached.
    `stamp` is `fingerprint(python, project)` when the caller has just computed it.
    `on_build` is called when the cache cannot answer, before the worker is asked (which takes seconds).
    """
    extras = sorted(set(extra_types))
    cache_file = registry_cache_file(python, project, extras)
    if cache_only:  # not even the fingerprint: probing the interpreter would run its site hooks
        cached = _read_cached_registry(cache_file)
        if cached is not None:
            _touch(cache_file)
            return Registry.from_snapshot(cached["registry"])
        raise WorkerError("unavailable", "the workspace is not trusted and no component types are cached for it")
    fp = stamp or fingerprint(python, project)
    if use_cache:
        cached = _read_cached_registry(cache_file)
        if (
            cached is not None
            and cached.get("fingerprint") == fp
            and cached.get("failed_in") in (None, environment_stamp())
        ):
            _touch(cache_file)
            return Registry.from_snapshot(cached["registry"])
    on_build()
    own_worker = worker is None
    worker = worker or WorkerProcess(python, project.root if project else Path.cwd())
    try:
        # A third of the call per module: one that hangs is left out in time for the others' types.
        params = {
            "project_root": str(project.root) if project else None,
            "extra_modules": [],
            "extra_types": extras,
            "seconds_per_module": min(protocol.SECONDS_PER_MODULE, capped(timeout) / 3),
        }
        snapshot = worker.call(protocol.METHOD_REGISTRY, params, timeout=timeout)
    finally:
        if own_worker:
            worker.close()
    problem = snapshot_problem(snapshot)
    if problem is not None:  # a worker of another version, or a broken one: never cached
        raise WorkerError("exception", f"the worker's registry answer is malformed: {problem}")
    entry: dict[str, Any] = {"fingerprint": fp, "registry": snapshot}
    if snapshot.get("module_errors"):
        # A module that failed may have failed because of the environment (a binary not on PATH, a
        # variable unset): this answer holds only while the environment is the same.
        entry["failed_in"] = environment_stamp()
    _write_json_atomically(cache_file, entry)
    prune_superseded(python, project, fp)
    prune_cache()
    return Registry.from_snapshot(snapshot)


# Variables that differ between two shells of one user and change no import: left out of the stamp.
_VOLATILE_VARIABLES = (
    "PWD",
    "OLDPWD",
    "SHLVL",
    "_",
    "TERM",
    "TERM_SESSION_ID",
    "COLUMNS",
    "LINES",
    "WINDOWID",
    "SSH_CLIENT",
    "SSH_CONNECTION",
    "SSH_TTY",
    "SSH_AUTH_SOCK",
    "TMUX",
    "TMUX_PANE",
    "STY",
)


def environment_stamp() -> str:
    """What of this process's environment the project's imports may read (every variable but the
    volatile ones and our own): a cached failure is served again only under the same stamp."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _VOLATILE_VARIABLES and not k.startswith(("DAGSTER_COMPONENTS_LS_", "VSCODE_", "PYTEST_"))
    }
    return _digest(json.dumps(env, sort_keys=True))


def registry_cache_file(python: Path, project: Project | None, extra_types: Iterable[str] = ()) -> Path:
    """Where the registry of this interpreter, project and extra types is cached (whatever its
    fingerprint): `registry-<interpreter and project>-<extra types>.json`."""
    return cache_dir() / f"registry-{_registry_owner(python, project)}-{_digest(*sorted(set(extra_types)))[:16]}.json"


def _registry_owner(python: Path, project: Project | None) -> str:
    return _digest(str(python), str(project.root) if project else "")[:8]


def prune_superseded(python: Path, project: Project | None, stamp: str) -> int:
    """Deletes what this interpreter and project cached under a fingerprint other than `stamp` (the
    current one): registries built for other extra types, and every method's worker answers.
    Returns how many files went."""
    removed = 0
    for other in cache_dir().glob(f"registry-{_registry_owner(python, project)}-*.json"):
        cached = _read_json(other)
        if not isinstance(cached, dict) or cached.get("fingerprint") != stamp:
            removed += _unlink(other)
    worker_owner = _worker_owner(python, project.root if project else Path.cwd())
    current = _digest(stamp)[:8]
    for other in cache_dir().glob(f"*-{worker_owner}-*.json"):
        parts = other.name.split("-")  # <method>-<worker>-<fingerprint>-<key>.json, as _answer_file names it
        if len(parts) == 4 and parts[1] == worker_owner and parts[2] != current and _ENTRY_NAME.match(other.name):
            removed += _unlink(other)
    return removed


def _read_cached_registry(path: Path) -> dict[str, Any] | None:
    """The cache entry when it is whole and of the registry's shape; None (a rebuild) otherwise."""
    cached = _read_json(path)
    if not isinstance(cached, dict) or snapshot_problem(cached.get("registry")) is not None:
        return None
    return cached


def stored_lineage(project_root: Path) -> Any:
    """The last load answer saved for a project (shown, as stale, while a server start loads anew)."""
    found = _read_json(_lineage_file(project_root))
    if found is not None:
        _touch(_lineage_file(project_root))
    return found


def store_lineage(project_root: Path, result: dict[str, Any]) -> None:
    _write_json_atomically(_lineage_file(project_root), result)


def _lineage_file(project_root: Path) -> Path:
    return cache_dir() / f"lineage-{_digest(str(project_root))[:16]}.json"


def cached_call(
    worker: WorkerProcess,
    stamp: str,
    method: str,
    params: dict[str, Any],
    timeout: float,
    keep: Callable[[dict[str, Any]], bool] = lambda answer: True,
) -> dict[str, Any]:
    """A worker answer that depends only on the installed code and the params (platform policies,
    component validation), cached on disk like the registry: a warm `check` starts no worker.
    `stamp` is the registry fingerprint the answer depends on (computed once by the caller)."""
    cached = cached_answer(worker, stamp, method, params)
    if cached is not None:
        return cached
    answer = worker.call(method, params, timeout=timeout)
    if keep(answer):  # an answer that may not recur (a document that overran its budget) is not kept
        store_answer(worker, stamp, method, params, answer)
    return answer


def _answer_file(worker: WorkerProcess, stamp: str, method: str, params: dict[str, Any]) -> tuple[str, str, Path]:
    """(key, owner, file) of a cached answer. Named by worker (interpreter and project), fingerprint
    and params: a new fingerprint makes the worker's older answers useless, so they are deleted
    when the first new one is written."""
    key = _digest(stamp, method, json.dumps(params, sort_keys=True))
    owner = f"{method}-{_worker_owner(worker.python, worker.cwd)}"
    return key, owner, cache_dir() / f"{owner}-{_digest(stamp)[:8]}-{key[:16]}.json"


def _worker_owner(python: Path, cwd: Path) -> str:
    return _digest(str(python), str(cwd))[:8]


def cached_answer(worker: WorkerProcess, stamp: str, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """The answer cached_call stored for these params under this fingerprint, or None."""
    key, _, cache_file = _answer_file(worker, stamp, method, params)
    cached = _read_json(cache_file)
    if isinstance(cached, dict) and cached.get("key") == key and isinstance(cached.get("answer"), dict):
        _touch(cache_file)
        return cached["answer"]
    return None


def store_answer(
    worker: WorkerProcess, stamp: str, method: str, params: dict[str, Any], answer: dict[str, Any]
) -> None:
    """Caches a worker answer for cached_call and cached_answer (one call may answer many params)."""
    key, owner, cache_file = _answer_file(worker, stamp, method, params)
    _write_json_atomically(cache_file, {"key": key, "answer": answer})
    current = f"{owner}-{_digest(stamp)[:8]}-"
    if (str(cache_dir()), current) not in _SUPERSEDED_GONE:  # once per fingerprint: a workspace pass
        _SUPERSEDED_GONE.add((str(cache_dir()), current))  # stores an answer per file
        for other in cache_dir().glob(f"{owner}-*.json"):
            if not other.name.startswith(current):
                _unlink(other)
    global _WRITES_UNCOUNTED
    if _WRITES_UNCOUNTED == 0:
        prune_cache(only_if_over=True)
    _WRITES_UNCOUNTED = (_WRITES_UNCOUNTED + 1) % PRUNE_EVERY_WRITES


PRUNE_EVERY_WRITES = 100
"""store_answer looks at the cache's size on its process's first write and every this many after: looking
scans the whole folder, and a workspace pass over 1,000 closed files writes an answer per file and check."""
_WRITES_UNCOUNTED = 0
_SUPERSEDED_GONE: set[tuple[str, str]] = set()
"""(cache folder, owner and fingerprint prefix) whose older answers this process has deleted."""


def prune_cache(max_files: int = CACHE_MAX_FILES, max_bytes: int = CACHE_MAX_BYTES, only_if_over: bool = False) -> int:
    """Keeps the disk cache within its bounds: deletes the least recently used entries beyond
    `max_files` or `max_bytes`, and temp files a dead write left. Returns how many files went.
    `only_if_over` (after a write): nothing but a count of names unless the count is over."""
    entries = [e for e in _scandir(str(cache_dir())) if e.is_file(follow_symlinks=False)]
    if only_if_over and sum(1 for e in entries if _ENTRY_NAME.match(e.name)) <= max_files:
        return 0
    now, removed, kept, total = time.time(), 0, [], 0
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if entry.name.endswith(".tmp") and now - st.st_mtime > STALE_TEMP_SECONDS:
            removed += _unlink(Path(entry.path))
        elif _ENTRY_NAME.match(entry.name):
            kept.append((st.st_mtime_ns, st.st_size, entry.path))
    for count, (_, size, path) in enumerate(sorted(kept, reverse=True), 1):  # newest first
        total += size
        if count > max_files or total > max_bytes:
            removed += _unlink(Path(path))
    return removed


def fingerprint(python: Path, project: Project | None) -> str:
    """Changes when the registry may: another interpreter or version, a package installed or
    removed, an editable package's or the project's .py files, pyproject.toml, or the types and
    template var modules that defs.yaml files name."""
    info = _interpreter_info(python)
    parts = _installed_parts(python, info)
    parts["editable"] = _py_stats(_pth_dirs(info["site_dirs"]))
    if project is not None:
        parts["config"] = _stat(project.config_path)
        parts["project"] = _py_stats(_project_source_dirs(project))
        parts["defs"] = _defs_references(list(component_files(project)))
    return _digest(json.dumps(parts, sort_keys=True))


def _defs_references(files: list[Path]) -> list[str]:
    """What the defs files name, without repeats: a new instance of a type already named elsewhere
    changes nothing. Relative names (`.X`) resolve against their file's folder, so they keep it."""
    names = set()
    for file in files:
        for line in _DEFS_REFERENCE.findall(_read_text(file)):
            key, _, value = line.lstrip("\ufeff").partition(":")
            value = value.split("#", 1)[0].strip().strip("'\"")
            names.add(f"{key} {file.parent}/{value}" if value.startswith(".") else f"{key} {value}")
    return sorted(names)


def installed_stamp(python: Path) -> str:
    """Changes when what a warm worker imported may: another interpreter, packages (un)installed, our worker."""
    return _digest(json.dumps(_installed_parts(python, _interpreter_info(python)), sort_keys=True))


def _installed_parts(python: Path, info: dict[str, Any]) -> dict[str, Any]:
    return {
        "protocol": protocol.PROTOCOL_VERSION,
        "worker": _py_stats([WORKER_DIR]),
        "python": [str(python), info["version"]],
        "distributions": sorted(_distributions(info["paths"])),
        "pth": sorted(_stat(p) for d in info["site_dirs"] for p in _glob(d, "*.pth")),
    }


def _project_source_dirs(project: Project) -> list[Path]:
    """The root package and each registry module's fixed prefix (`pkg.components` of `pkg.components.*`)."""
    prefixes = [m.split("*")[0].rstrip(".") for m in project.registry_modules]
    found = [module_path(project.root, p) for p in [project.root_module.split(".")[0], *prefixes] if p]
    return [p for p in found if p is not None]


def _interpreter_info(python: Path) -> dict[str, Any]:
    # Keyed like the interpreter itself: a venv recreated at the same path gets a new symlink.
    try:
        key = (str(python), python.lstat().st_mtime_ns, python.stat().st_mtime_ns, os.environ.get("PYTHONPATH", ""))
    except OSError:
        key = (str(python), 0, 0, "")
    # Also on disk, so a warm start of a new server process starts no process at all.
    return _probe_interpreter(key, cache_dir() / f"interpreter-{_digest(*map(str, key))[:16]}.json")


@functools.lru_cache(maxsize=16)
def _probe_interpreter(key: tuple[str, int, int, str], disk: Path) -> dict[str, Any]:
    cached = _read_json(disk)
    if _is_interpreter_info(cached):
        _touch(disk)
        return cached
    try:
        out = run_contained([key[0], "-c", _PROBE], timeout=_probe_timeout())
        if out.returncode != 0:
            raise ValueError(f"exit code {out.returncode}")
        info = json.loads(out.stdout)
        if not isinstance(info, dict):
            raise ValueError("the probe printed no JSON object")
    except (OSError, subprocess.SubprocessError, ValueError):
        return {"version": None, "paths": [], "site_dirs": []}  # the worker will say what is wrong
    _write_json_atomically(disk, info)
    return info


def _probe_timeout() -> float:
    try:
        return float(os.environ.get(PROBE_TIMEOUT_ENV, "30"))
    except ValueError:
        return 30.0


def _is_interpreter_info(info: Any) -> bool:
    """The probe's answer, as _PROBE prints it (a cache file of another shape is probed again)."""
    return (
        isinstance(info, dict)
        and isinstance(info.get("version"), (str, type(None)))
        and all(
            isinstance(info.get(key), list) and all(isinstance(p, str) for p in info[key])
            for key in ("paths", "site_dirs")
        )
    )


def _distributions(paths: list[str]) -> Iterator[list[Any]]:
    """Name-version of every installed distribution; mtime too, for a reinstall of the same version."""
    for path in paths:
        for entry in _scandir(path):
            if entry.name.endswith((".dist-info", ".egg-info")):
                yield [entry.name, entry.stat().st_mtime_ns]


def _pth_dirs(site_dirs: list[str]) -> list[Path]:
    """Source folders that editable installs put on sys.path through .pth lines."""
    dirs = []
    for pth in (p for d in site_dirs for p in _glob(d, "*.pth")):
        try:
            lines = read_text(pth).splitlines()
        except OSError:
            continue
        dirs += [
            Path(line.strip())
            for line in lines
            if line.strip() and not line.startswith(("#", "import")) and Path(line.strip()).is_dir()
        ]
    # Our own editable source (a developer's venv) never reaches the worker's imports; the worker's
    # files count separately. Without this, every edit of the server would rebuild registries.
    own = Path(__file__).resolve().parents[2]
    return [d for d in dirs if d.resolve() != own]


def _py_stats(dirs: list[Path]) -> list[list[Any]]:
    stats = set()
    for top in dirs:
        if top.is_file():
            stats.add(tuple(_stat(top)))
            continue
        for folder, subdirs, files in os.walk(top):
            subdirs[:] = [d for d in subdirs if not is_skipped_dir(d, files)]
            stats.update(tuple(_stat(Path(folder, f))) for f in files if f.endswith(".py"))
    return sorted(list(s) for s in stats)


def _stat(path: Path) -> list[Any]:
    try:
        st = path.stat()
    except OSError:
        return [str(path), None, None]
    return [str(path), st.st_size, st.st_mtime_ns]


def _read_text(path: Path) -> str:
    try:
        return read_text(path)
    except OSError:
        return ""


def _scandir(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except OSError:
        return []


def _glob(folder: str, pattern: str) -> list[Path]:
    return sorted(Path(folder).glob(pattern)) if os.path.isdir(folder) else []


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _touch(path: Path) -> None:
    """Marks an entry used now, for the cache's least-recently-used pruning."""
    try:
        os.utime(path)
    except OSError:
        pass


def _unlink(path: Path) -> int:
    try:
        path.unlink()
        return 1
    except OSError:  # another process pruned it first
        return 0


def _write_json_atomically(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
