"""The registry snapshot from the worker, its disk cache and the fingerprint that keys it."""

import functools
import hashlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .project import Project, component_files, is_skipped_dir, module_path
from .worker import protocol
from .worker_client import WORKER_DIR, WorkerError, WorkerProcess

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


@dataclass(frozen=True)
class ComponentType:
    key: str
    aliases: tuple[str, ...]
    summary: str | None
    description: str | None
    """The class docstring, Markdown."""
    schema: dict[str, Any] | None
    """The attributes JSON schema, with its own $defs."""
    scaffold_params_schema: dict[str, Any] | None
    source_path: Path | None
    source_line: int | None
    """1-based line of the class statement."""
    package: str | None
    """The owning distribution ("dagster-dbt"), None for a project's own code."""
    version: str | None


@dataclass(frozen=True)
class Registry:
    """One worker `registry` answer. Read-only by convention: the dicts are shared, never edited."""

    types: dict[str, ComponentType]
    envelope_schema: dict[str, Any]
    post_processing_schema: dict[str, Any]
    template_scope: dict[str, Any]
    module_errors: dict[str, str]
    dagster_version: str | None
    python: dict[str, str]
    _by_name: dict[str, ComponentType] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {alias: t for t in self.types.values() for alias in t.aliases}
        object.__setattr__(self, "_by_name", by_name | self.types)  # a key wins over an alias

    def lookup(self, typename: str) -> ComponentType | None:
        return self._by_name.get(typename)

    def all_typenames(self) -> list[str]:
        return sorted(self._by_name)

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> "Registry":
        types = {}
        for t in snapshot["types"]:
            source = t.get("source") or {}
            types[t["key"]] = ComponentType(
                key=t["key"],
                aliases=tuple(t.get("aliases", ())),
                summary=t.get("summary"),
                description=t.get("description"),
                schema=t.get("schema"),
                scaffold_params_schema=t.get("scaffold_params_schema"),
                source_path=Path(source["path"]) if source.get("path") else None,
                source_line=source.get("line"),
                package=t.get("package"),
                version=t.get("version"),
            )
        return cls(
            types=types,
            envelope_schema=snapshot.get("envelope_schema") or {},
            post_processing_schema=snapshot.get("post_processing_schema") or {},
            template_scope=snapshot.get("template_scope") or {},
            module_errors=snapshot.get("module_errors") or {},
            dagster_version=snapshot.get("dagster_version"),
            python=snapshot.get("python") or {},
        )

    def to_snapshot(self) -> dict[str, Any]:
        """The worker's result shape (see worker/protocol.py), so from_snapshot(to_snapshot()) == self."""
        return {
            "protocol": protocol.PROTOCOL_VERSION,
            "python": self.python,
            "dagster_version": self.dagster_version,
            "types": [
                {
                    "key": t.key,
                    "aliases": list(t.aliases),
                    "summary": t.summary,
                    "description": t.description,
                    "schema": t.schema,
                    "scaffold_params_schema": t.scaffold_params_schema,
                    "source": {"path": str(t.source_path), "line": t.source_line} if t.source_path else None,
                    "package": t.package,
                    "version": t.version,
                }
                for t in self.types.values()
            ],
            "envelope_schema": self.envelope_schema,
            "post_processing_schema": self.post_processing_schema,
            "template_scope": self.template_scope,
            "module_errors": self.module_errors,
        }


def cache_dir() -> Path:
    if os.environ.get("DAGSTER_COMPONENTS_LS_CACHE"):
        return Path(os.environ["DAGSTER_COMPONENTS_LS_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(xdg) / "dagster-components-ls"


def load_registry(python: Path, project: Project | None, *, worker: WorkerProcess | None = None,
                  use_cache: bool = True, timeout: float = 120.0, extra_types: Iterable[str] = (),
                  cache_only: bool = False, stamp: str | None = None) -> Registry:
    """The registry for this interpreter and project: from the cache when the fingerprint matches
    (no Dagster import, no process), else from the worker, then cached.

    `extra_types` are typenames that files outside the project's defs folder use (a lone file, a
    re-export such as `dagster.components.DefsFolderComponent`): the worker tries to import them.
    `cache_only` never starts a worker (an untrusted workspace): WorkerError when nothing is cached.
    `stamp` is `fingerprint(python, project)` when the caller has just computed it.
    """
    extras = sorted(set(extra_types))
    root = str(project.root) if project else ""
    cache_file = cache_dir() / f"registry-{_digest(str(python), root, *extras)[:16]}.json"
    if cache_only:  # not even the fingerprint: probing the interpreter would run its site hooks
        cached = _read_json(cache_file)
        if cached and "registry" in cached:
            return Registry.from_snapshot(cached["registry"])
        raise WorkerError("unavailable", "the workspace is not trusted and no component types are cached for it")
    fp = stamp or fingerprint(python, project)
    if use_cache:
        cached = _read_json(cache_file)
        if cached and cached.get("fingerprint") == fp:
            return Registry.from_snapshot(cached["registry"])
    own_worker = worker is None
    worker = worker or WorkerProcess(python, project.root if project else Path.cwd())
    try:
        params = {"project_root": str(project.root) if project else None, "extra_modules": [], "extra_types": extras}
        snapshot = worker.call(protocol.METHOD_REGISTRY, params, timeout=timeout)
    finally:
        if own_worker:
            worker.close()
    _write_json_atomically(cache_file, {"fingerprint": fp, "registry": snapshot})
    return Registry.from_snapshot(snapshot)


def stored_lineage(project_root: Path) -> Any:
    """The last load answer saved for a project (shown, as stale, while a server start loads anew)."""
    return _read_json(_lineage_file(project_root))


def store_lineage(project_root: Path, result: dict[str, Any]) -> None:
    _write_json_atomically(_lineage_file(project_root), result)


def _lineage_file(project_root: Path) -> Path:
    return cache_dir() / f"lineage-{_digest(str(project_root))[:16]}.json"


def cached_call(worker: WorkerProcess, stamp: str, method: str, params: dict[str, Any],
                timeout: float) -> dict[str, Any]:
    """A worker answer that depends only on the installed code and the params (platform policies,
    component validation), cached on disk like the registry: a warm `check` starts no worker.
    `stamp` is the registry fingerprint the answer depends on (computed once by the caller)."""
    key = _digest(stamp, method, json.dumps(params, sort_keys=True))
    cache_file = cache_dir() / f"{method}-{key[:24]}.json"
    cached = _read_json(cache_file)
    if isinstance(cached, dict) and cached.get("key") == key:
        return cached["answer"]
    answer = worker.call(method, params, timeout=timeout)
    _write_json_atomically(cache_file, {"key": key, "answer": answer})
    return answer


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
        parts["defs"] = _defs_references(component_files(project))
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
    if cached is not None:
        return cached
    try:
        out = subprocess.run([key[0], "-c", _PROBE], capture_output=True, text=True, timeout=30, check=True)
        info = json.loads(out.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return {"version": None, "paths": [], "site_dirs": []}  # the worker will say what is wrong
    _write_json_atomically(disk, info)
    return info


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
            lines = pth.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        dirs += [Path(line.strip()) for line in lines
                 if line.strip() and not line.startswith(("#", "import")) and Path(line.strip()).is_dir()]
    # Our own editable source (a developer's venv) never reaches the worker's imports; the worker's
    # files count separately. Without this, every edit of the server would rebuild registries.
    own = Path(__file__).resolve().parent.parent
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
        return path.read_text(encoding="utf-8", errors="replace")
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
