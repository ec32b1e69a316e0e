"""The package's layers, read from its imports with ast: direction, no cycles, pygls at the top, worker apart."""

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "server" / "dagster_components_ls"
PACKAGE = "dagster_components_ls"
LAYERS = {"model": 0, "project": 1, "checks": 2, "features": 3, "lsp": 4, "cli": 4}
"""model < project < checks < features < lsp, cli (lsp and cli do not import each other)."""
PROTOCOL_LIBRARIES = ("lsprotocol", "pygls")
PROTOCOL_FREE_LAYERS = ("model", "project", "checks")

# Imports that break a rule and wait for a rewrite: {(importing module, imported module): why}. Add
# one only with its reason, and remove it once the import is gone (a test below insists).
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def _imports(module: str) -> list[tuple[str, int]]:
    """(imported module, line) of every import in a module: top level, in functions, under TYPE_CHECKING.
    `from .x import y` counts as importing `.x.y` when that is a module of the package, else `.x`."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(_worker_sibling(module, alias.name), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            target = _worker_sibling(module, target) if not node.level else target
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub if sub in MODULES else target, node.lineno))
    return found


def _worker_sibling(module: str, name: str) -> str:
    """The worker runs as a script (`python <path>/worker`), so its modules import each other by bare
    name (`import protocol`): the package name of such a sibling, else the name as written."""
    worker = f"{PACKAGE}.worker"
    sibling = f"{worker}.{name.split('.')[0]}"
    return f"{worker}.{name}" if module.startswith(worker + ".") and sibling in MODULES else name


def _internal(target: str) -> str | None:
    """The package module an import names (the longest known prefix), None outside the package."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else None


GRAPH = {m: sorted({t for t in (_internal(i) for i, _ in _imports(m)) if t and t != m}) for m in MODULES}


def _violations(check) -> list[str]:
    out = []
    for module in MODULES:
        for imported, line in _imports(module):
            reason = check(module, imported)
            target = _internal(imported) or imported
            if reason and (module, target) not in KNOWN_EXCEPTIONS:
                out.append(f"{module} (line {line}) imports {imported}: {reason}")
    return out


def _direction(module: str, imported: str) -> str | None:
    target = _internal(imported)
    if target is None or module == f"{PACKAGE}.__main__":
        return None
    mine, theirs = _layer(module), _layer(target)
    if mine in LAYERS and theirs in LAYERS:
        if LAYERS[theirs] > LAYERS[mine] or (theirs != mine and LAYERS[theirs] == LAYERS[mine]):
            earlier = [f"{name}/" for name in LAYERS if LAYERS[name] < LAYERS[mine]]
            return f"{mine}/ may import only from {', '.join([*earlier, 'itself'])}, not {theirs}/"
    return None


def test_every_import_goes_to_the_same_layer_or_an_earlier_one():
    found = _violations(_direction)
    assert not found, "\n".join(found)


def test_no_import_cycle_among_modules():
    cycles = ["cycle among " + ", ".join(sorted(c)) for c in _strongly_connected(GRAPH) if len(c) > 1]
    assert not cycles, "\n".join(cycles)


def _protocol_below_features(module: str, imported: str) -> str | None:
    if _layer(module) in PROTOCOL_FREE_LAYERS and imported.split(".")[0] in PROTOCOL_LIBRARIES:
        return f"{imported.split('.')[0]} is not for model/, project/ or checks/ (they are pure)"
    return None


def test_no_lsprotocol_or_pygls_below_features():
    found = _violations(_protocol_below_features)
    assert not found, "\n".join(found)


def _pygls_outside_lsp(module: str, imported: str) -> str | None:
    if imported.split(".")[0] == "pygls" and _layer(module) != "lsp":
        return "lsp/ is the only package that imports pygls"
    return None


def test_only_lsp_imports_pygls():
    found = _violations(_pygls_outside_lsp)
    assert not found, "\n".join(found)


def _worker_apart(module: str, imported: str) -> str | None:
    target = _internal(imported)
    worker = f"{PACKAGE}.worker"
    inside = module.startswith(worker + ".")
    if inside and target is not None and not target.startswith(worker + "."):
        return "worker/ runs in the project's interpreter and imports nothing from the package"
    if (
        not inside
        and target is not None
        and (target == worker or target.startswith(worker + "."))
        and target != f"{worker}.protocol"
    ):
        return "from outside worker/, only worker.protocol may be imported"
    return None


def test_worker_is_apart():
    found = _violations(_worker_apart)
    assert not found, "\n".join(found)


def test_known_exceptions_are_still_needed():
    """An exception that no longer matches an import is stale: remove it from KNOWN_EXCEPTIONS."""
    stale = [pair for pair in KNOWN_EXCEPTIONS if pair[1] not in GRAPH.get(pair[0], ())]
    assert stale == []


def _strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively (the graph is small, but recursion limits are not ours to set)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph.get(nxt, ()))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    out.append(component)
    return out


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}
    assert sorted(sorted(c) for c in _strongly_connected(graph) if len(c) > 1) == [["a", "b", "c"]]


# --- one component file-name list ----------------------------------------------------------------


def _worker_constant(relative: str, name: str):
    tree = ast.parse((PACKAGE_DIR / "worker" / relative).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"worker/{relative} has no {name}")


def test_component_file_names_are_written_once_and_copied_faithfully():
    from dagster_components_ls.model.vocabulary import COMPONENT_FILE_NAMES

    names = list(COMPONENT_FILE_NAMES)
    assert list(_worker_constant("registry.py", "COMPONENT_FILE_NAMES")) == names
    assert list(_worker_constant("adapter_tree.py", "COMPONENT_FILE_NAMES")) == names
    constants = (ROOT / "vscode-client" / "src" / "constants.ts").read_text(encoding="utf-8")
    ts = re.search(r"COMPONENT_FILE_NAMES\s*=\s*(\[[^\]]*\])", constants)
    assert ts is not None and json.loads(ts.group(1)) == names
    package = json.loads((ROOT / "vscode-client" / "package.json").read_text(encoding="utf-8"))
    activation = [e.split("**/", 1)[1] for e in package["activationEvents"] if e.startswith("workspaceContains:")]
    assert activation == names
    languages = [lang for lang in package["contributes"]["languages"] if lang["id"] == "dagster-components"]
    assert [lang["filenames"] for lang in languages] == [names]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_opens_with_a_docstring(module):
    if MODULES[module].name == "__init__.py" and not MODULES[module].read_text().strip():
        return
    assert ast.get_docstring(ast.parse(MODULES[module].read_text(encoding="utf-8"))), module


# --- sizes (the layered-package issue's bounds) -------------------------------------------------

MAX_MODULE_LINES = 700
MAX_SERVER_CLASS_LINES = 120
MAX_HANDLER_LINES = 12


def test_no_module_passes_700_lines():
    long = [
        f"{m}: {len(p.read_text().splitlines())} lines"
        for m, p in MODULES.items()
        if len(p.read_text().splitlines()) > MAX_MODULE_LINES
    ]
    assert long == []


def _span(node: ast.AST) -> int:
    start = node.lineno  # from `def` (or `class`) to the last line, decorators apart
    return node.end_lineno - start + 1


def test_the_server_object_only_wires_services():
    tree = ast.parse(MODULES[f"{PACKAGE}.lsp.server"].read_text())
    [server] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ComponentsLanguageServer"]
    assert _span(server) < MAX_SERVER_CLASS_LINES


def _is_feature(decorator: ast.expr) -> bool:
    """`@server.feature(...)` or `@server.command(...)`."""
    return (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in ("feature", "command")
    )


def test_every_handler_fetches_calls_and_returns_in_a_few_lines():
    handlers = [
        n
        for p in MODULES.values()
        for n in ast.walk(ast.parse(p.read_text()))
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(map(_is_feature, n.decorator_list))
    ]
    assert len(handlers) > 20  # the walk finds them (a renamed decorator would pass this test vacuously)
    long = [f"{h.name}: {_span(h)} lines" for h in handlers if _span(h) > MAX_HANDLER_LINES]
    assert long == []
