"""Builds the `registry` result: every component type a project can name, its schemas and template scope."""

import importlib
import importlib.metadata
import importlib.util
import linecache
import os
import pkgutil
import platform
import re
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any, TypedDict, cast

import adapter
import adapter_schemas
import adapter_scope
import protocol

SENTINEL_DEFAULT = "__DAGSTER_UNSET_DEFAULT__"
COMPONENT_FILE_NAMES = ("defs.yaml", "defs.yml", "component.yaml")  # model/vocabulary.py's list, tested equal
SKIPPED_DIRS = {"node_modules", "__pycache__"}

# Top-level keys of a defs.yaml document; quoted or not, with an optional trailing comment.
_TOP_LEVEL_KEY = re.compile(r"""^(type|template_vars_module):[ \t]*["']?([\w.]+)["']?[ \t]*(#.*)?$""", re.M)


@dataclass(frozen=True)
class ProjectConfig:
    """What the worker needs from `[tool.dg.project]` (the server's project.py owns the full model)."""

    root: Path
    root_module: str
    defs_module: str
    registry_modules: list[str]
    package_base: Path
    """The folder holding the root package: `<root>/src` or `<root>`."""
    code_location_target_module: str = ""
    """The module `dg` loads the code location from: `[tool.dg.project] code_location_target_module`,
    by default `<root_module>.definitions`."""

    @property
    def defs_dir(self) -> Path:
        return self.package_base.joinpath(*self.defs_module.split("."))

    @property
    def code_location_file(self) -> Path | None:
        """The code location target module's file, when the project has one on disk."""
        target = self.package_base.joinpath(*self.code_location_target_module.split("."))
        for candidate in (target.with_name(target.name + ".py"), target / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None


Step = Callable[..., None]
"""`step(doing, name)`: announces a risky step before it is taken (see isolation.run_watched)."""


def build_registry(
    project_root: str | None,
    extra_modules: list[str],
    extra_types: Sequence[str] = (),
    excluded: dict[str, str] | None = None,
    step: Step = lambda doing, name=None: None,
) -> protocol.RegistryResult:
    """`excluded`: modules and type keys an earlier attempt stopped at (hang, os._exit, crash), with
    why; they are not imported or described again, and are reported as module errors."""
    found = _Found(_Guard(dict(excluded or {}), step))
    project = read_project(Path(project_root)) if project_root else None
    if project is not None:
        make_importable(project)
    # The user's modules first: a hang or an error in them shows before seconds of library imports.
    # Keys carry their module's name, so the order of module scans changes no key.
    for pattern in project.registry_modules if project else []:
        for name in _expand_module_pattern(pattern, found.guard):
            found.add_module(name)
    for name in extra_modules:
        found.add_module(name)
    for entry_point in adapter.registry_entry_points():
        found.add_module(entry_point.value)
    # Last: a defs file may name a type by an alias of one found above.
    type_refs, template_var_refs = _defs_references(project) if project else ([], [])
    for typename in [*type_refs, *extra_types]:
        found.add_named_type(typename)

    step("reading Dagster's template scope and schemas")
    scope_names, deprecated = adapter_scope.template_globals()
    return {
        "protocol": protocol.PROTOCOL_VERSION,
        "python": {"executable": sys.executable, "version": platform.python_version()},
        "dagster_version": adapter.dagster_version(),
        "types": sorted(found.types.values(), key=lambda t: t["key"]),
        "envelope_schema": _drop_sentinel_defaults(adapter_schemas.envelope_schema()),
        "post_processing_schema": _drop_sentinel_defaults(adapter_schemas.post_processing_schema()),
        "template_scope": {
            "globals": scope_names,
            "deprecated": deprecated,
            "members": adapter_scope.template_members(),
            "signatures": cast("dict[str, protocol.TemplateSignature]", adapter_scope.template_signatures()),
            "user_vars": {**_template_vars_modules(template_var_refs, found.guard), **found.user_vars},
            "per_type": found.per_type,
            "untemplated": found.untemplated,
            "additional": found.additional,
            "own_scope": found.own_scope,
        },
        "module_errors": found.errors,
    }


class _Distribution(TypedDict):
    """The installed distribution a type comes from: {"package": "dagster-dbt", "version": "0.29.27"}."""

    package: str | None
    version: str | None


class _Found:
    """The types, per-type scopes and import errors collected so far; first key wins."""

    def __init__(self, guard: "_Guard") -> None:
        self.guard = guard
        self.errors = guard.errors
        self.types: dict[str, protocol.ComponentType] = {}
        self.user_vars: dict[str, list[str]] = {}
        self.per_type: dict[str, dict[str, list[str]]] = {}
        self.untemplated: dict[str, list[str]] = {}
        self.additional: dict[str, list[str]] = {}
        self.own_scope: dict[str, dict[str, str]] = {}
        self.names: set[str] = set()  # keys and aliases already taken
        self.keys_by_class: dict[int, str] = {}  # id(class) -> its key, to file other names as aliases
        self._distributions: Mapping[str, list[str]] | None = None

    def add_module(self, name: str) -> None:
        module = self.guard.import_module(name)
        if module is not None:
            for attr, cls in adapter.component_classes_in_module(module):
                self.add(f"{name}.{attr}", cls)

    def add_named_type(self, typename: str) -> None:
        """A `type:` naming a class outside the registry modules: import its module, keep a component."""
        module_name, _, attr = typename.rpartition(".")
        if typename in self.names or not module_name or self.guard.find_spec(module_name) is None:
            return  # a misspelt or missing module is the server's unknown-type, not an import error
        module = self.guard.import_module(module_name)
        cls = getattr(module, attr, None) if module is not None else None
        known = self.keys_by_class.get(id(cls))
        if known is not None:  # `dagster.components.DefsFolderComponent`: a re-export of a known type
            self.types[known]["aliases"].append(typename)
            self.names.add(typename)
        elif isinstance(cls, type) and adapter.is_component_class(cls):
            self.add(typename, cls)

    def add(self, typename: str, cls: type) -> None:
        if typename in self.names or typename in self.guard.excluded:
            return
        self.guard.step(f"describing '{typename}'", typename)
        try:
            described = adapter_schemas.describe_component(typename, cls)
            additional = adapter_scope.additional_scope_names(cls)
            user_vars = sorted({*adapter_scope.static_template_var_names(cls), *(additional or ())})
            per_type = adapter_schemas.translation_vars(typename, cls)
            for path, names in adapter_schemas.required_scope_hints(described["schema"]).items():
                per_type[path] = sorted({*per_type.get(path, ()), *names})
            untemplated = adapter_schemas.untemplated_fields(cls)
            own_scope = adapter_schemas.own_scope_fields(typename, cls)
            if additional is None:  # get_additional_scope() raised: no name of the document is known
                own_scope = {"": "all"}
            deprecated = adapter_schemas.deprecated_fields(cls)
            declared_str = adapter_schemas.declared_str_fields(cls)
        except BaseException as e:  # a broken model, in user code or not, costs only this type
            self.errors[typename] = _format_error(e)
            return
        aliases = [a for a in described["aliases"] if a != typename]
        self.types[typename] = {
            "key": typename,
            "aliases": aliases,
            "summary": described["summary"],
            "description": described["description"],
            "schema": _with_declared_str(
                _with_deprecations(_drop_sentinel_defaults(described["schema"]), deprecated), declared_str
            ),
            "scaffold_params_schema": _drop_sentinel_defaults(described["scaffold_params_schema"]),
            "source": _source(cls),
            **self._distribution(cls.__module__),  # package, version
        }
        self.names.update([typename, *aliases])
        self.keys_by_class[id(cls)] = typename
        if user_vars:
            self.user_vars[typename] = user_vars
        if per_type:
            self.per_type[typename] = per_type
        if untemplated:
            self.untemplated[typename] = untemplated
        if additional:
            self.additional[typename] = additional
        if own_scope:
            self.own_scope[typename] = own_scope

    def _distribution(self, module_name: str) -> "_Distribution":
        if self._distributions is None:  # reads every installed RECORD: about 0.1 s
            self._distributions = importlib.metadata.packages_distributions()
        distributions = self._distributions
        top = module_name.split(".")[0]
        # Editable installs record only a .pth file, so try the distribution named like the module.
        dists = distributions.get(top) or [top.replace("_", "-")]
        try:
            return {"package": dists[0], "version": importlib.metadata.version(dists[0])}
        except importlib.metadata.PackageNotFoundError:
            return {"package": None, "version": None}


class _Guard:
    """Imports user modules one package level at a time, announcing each before its code runs, so a
    hang or a dead process is blamed on the module that caused it; records what raised."""

    def __init__(self, excluded: dict[str, str], step: Step) -> None:
        self.excluded = excluded
        self.step = step
        self.errors: dict[str, str] = dict(excluded)

    def import_module(self, name: str) -> ModuleType | None:
        if not self._import_parents(name):
            return None
        try:
            return self._import(name)
        except BaseException as e:  # user code may raise anything, SystemExit included
            self.errors[name] = _format_error(e)
            return None

    def find_spec(self, name: str) -> ModuleSpec | None:
        """The module's spec without importing it (its parent packages are imported), or None."""
        if not self._import_parents(name):
            return None
        try:
            return importlib.util.find_spec(name)
        except ModuleNotFoundError:  # a parent package does not exist
            return None
        except BaseException as e:  # a parent package raised on import
            self.errors[name] = _format_error(e)
            return None

    def _import_parents(self, name: str) -> bool:
        """False when a parent package is left out or raised (its error is recorded under its own name)."""
        parts = name.split(".")
        for end in range(1, len(parts)):
            parent = ".".join(parts[:end])
            if parent in sys.modules:
                continue
            if parent in self.errors:
                return False
            try:
                if self._import(parent) is None:
                    return False
            except ModuleNotFoundError:
                return True  # find_spec and import_module say so in their own way
            except BaseException as e:
                self.errors[parent] = _format_error(e)
                return False
        return True

    def _import(self, name: str) -> ModuleType | None:
        if name in self.excluded:
            return None
        if name not in sys.modules:
            self.step(f"importing '{name}'", name)
        return importlib.import_module(name)


def _format_error(e: BaseException) -> str:
    message = str(e)
    return f"{type(e).__name__}: {message}" if message else type(e).__name__


def _expand_module_pattern(pattern: str, guard: _Guard) -> list[str]:
    """`pkg.components.*` → every submodule of pkg.components (`*` matches one segment)."""
    candidates = [""]
    for segment in pattern.split("."):
        expanded = []
        for prefix in candidates:
            if segment != "*":
                expanded.append(f"{prefix}.{segment}" if prefix else segment)
            elif prefix:  # a top-level `*` would import every installed module: not supported
                spec = guard.find_spec(prefix)
                locations = spec.submodule_search_locations if spec else None
                expanded += [f"{prefix}.{m.name}" for m in pkgutil.iter_modules(locations or [])]
        candidates = expanded
    return sorted(name for name in candidates if guard.find_spec(name) is not None)


def read_project(root: Path) -> ProjectConfig | None:
    for config_path, nested in ((root / "dg.toml", False), (root / "pyproject.toml", True)):
        if not config_path.is_file():
            continue
        table = _load_toml(config_path)
        if nested:
            table = table.get("tool", {}).get("dg")
        if table is None:
            continue
        project = table.get("project", {})
        root_module = project.get("root_module")
        if table.get("directory_type") != "project" or not root_module:
            return None
        src = root / "src"
        return ProjectConfig(
            root=root,
            root_module=root_module,
            defs_module=project.get("defs_module") or f"{root_module}.defs",
            registry_modules=list(project.get("registry_modules", [])),
            package_base=src if (src / root_module.split(".")[0]).exists() else root,
            code_location_target_module=project.get("code_location_target_module") or f"{root_module}.definitions",
        )
    return None


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: Dagster depends on tomli or tomlkit
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            import tomlkit

            return tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
    return tomllib.loads(path.read_text(encoding="utf-8"))


def make_importable(project: ProjectConfig) -> None:
    """The project's own files first, whether its package is installed or not (dg fails when it is not,
    but the editor should not), and even when another copy of it is installed (a test copy, a second
    checkout, a non-editable install): what the user edits is what the registry reads and the load loads,
    and what the registry's fingerprint follows."""
    base = str(project.package_base)
    if base in sys.path:
        sys.path.remove(base)
    # After sys.path[0], the worker's own folder: Dagster 1.11.0 and 1.11.1 take sys.path[0] off (as
    # a script's path) while they import the code location's module.
    sys.path.insert(1 if sys.path else 0, base)


def _defs_references(project: ProjectConfig) -> tuple[list[str], list[str]]:
    """Full module names of the `type:` and `template_vars_module:` values in the defs folder."""
    types: list[str] = []
    template_vars: list[str] = []
    for path in _component_files(project.defs_dir):
        folder_module = ".".join([project.defs_module, *path.parent.relative_to(project.defs_dir).parts])
        for key, value, _ in _TOP_LEVEL_KEY.findall(_read_regular_file(path)):
            # Relative names are relative to the folder's full module (normalize_component_type_str).
            name = f"{folder_module}{value}" if value.startswith(".") else value
            (types if key == "type" else template_vars).append(name)
    return sorted(set(types)), sorted(set(template_vars))


def _read_regular_file(path: Path) -> str:
    """The file's text, or "" when it is no regular file (a FIFO would block the call until its
    timeout) or cannot be read; the server reports such files, the registry only skips them."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return ""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        with os.fdopen(os.dup(fd), "rb") as stream:
            return stream.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    finally:
        os.close(fd)


def _component_files(defs_dir: Path) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(defs_dir):
        dbt_project = "dbt_project.yml" in files  # its target/ holds build output
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS and not (dbt_project and d == "target")
        )
        found += [Path(folder, f) for f in COMPONENT_FILE_NAMES if f in files]
    return found


def _template_vars_modules(modules: list[str], guard: _Guard) -> dict[str, list[str]]:
    """`@template_var` names of each template_vars_module, keyed by the module's absolute file path."""
    result = {}
    for name in modules:
        module = guard.import_module(name) if guard.find_spec(name) is not None else None
        if module is not None:
            result[os.path.abspath(module.__file__ or name)] = adapter_scope.template_var_names_in_module(module)
    return result


def _source(cls: type) -> protocol.SourceLocation | None:
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    if not path:
        return None
    line = getattr(cls, "__firstlineno__", None)  # Python 3.13+
    if line is None:
        # inspect.getsourcelines parses the whole file (13 ms for dbt's); a scan is enough.
        pattern = re.compile(rf"^\s*class\s+{re.escape(cls.__name__)}\b")
        line = next((i for i, text in enumerate(linecache.getlines(path), 1) if pattern.match(text)), None)
    return {"path": os.path.abspath(path), "line": line}


def _drop_sentinel_defaults(schema: Any) -> Any:
    """Removes `"default": "__DAGSTER_UNSET_DEFAULT__"`, Dagster's marker for a non-JSON default."""
    if isinstance(schema, dict):
        return {
            k: _drop_sentinel_defaults(v) for k, v in schema.items() if not (k == "default" and v == SENTINEL_DEFAULT)
        }
    if isinstance(schema, list):
        return [_drop_sentinel_defaults(v) for v in schema]
    return schema


def _with_deprecations(schema: Any, deprecated: dict[str, str]) -> Any:
    """The schema with each deprecated field's property marked as JSON Schema and VS Code spell it.

    `{"deprecated": true, "deprecationMessage": "The `sling` field is deprecated, use ..."}`: the
    first is the standard annotation (pydantic writes it for `deprecated=`, without the reason), the
    second is what VS Code's and yaml-language-server's schema support show; the server reads both.
    """
    for dotted, reason in deprecated.items():
        for prop in _properties_at(schema, dotted.split(".")):
            prop["deprecated"] = True
            if reason:
                prop["deprecationMessage"] = reason
    return schema


DECLARED_STR = "dagster_declared_str"
"""Marks a field's `{"type": "string"}` alternative that its own type declares (not Dagster's `| str`
for templates), so the server judges a plain string there as valid (schemas.branches keeps it)."""


def _with_declared_str(schema: Any, paths: list[str]) -> Any:
    for dotted in paths:
        for prop in _properties_at(schema, dotted.split(".")):
            for alternative in prop.get("anyOf") or prop.get("oneOf") or ():
                if alternative == {"type": "string"}:
                    alternative[DECLARED_STR] = True
    return schema


def _properties_at(schema: Any, parts: list[str]) -> list[dict]:
    """The property schemas named by a dotted path, through local $refs, anyOf/oneOf and list items."""
    current = [schema]
    for part in parts:
        found = []
        for node in _alternatives(schema, current):
            prop = (node.get("properties") or {}).get(part)
            if isinstance(prop, dict):
                found.append(prop)
        current = found
    return current


def _alternatives(root: Any, nodes: list[Any]) -> list[dict]:
    out, stack, seen = [], list(nodes), set()
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target = root
            for key in ref[2:].split("/"):
                target = target.get(key, {}) if isinstance(target, dict) else {}
            stack.append(target)
        stack.extend(node.get("anyOf") or [])
        stack.extend(node.get("oneOf") or [])
        if isinstance(node.get("items"), dict):
            stack.append(node["items"])
        out.append(node)
    return out
