"""The worker's modules: small, stdlib + Dagster only, and Dagster's internals kept in the adapter modules."""

import ast
import sys
from pathlib import Path

import pytest

import dagster_components_ls

WORKER = Path(dagster_components_ls.__file__).parent / "worker"
MODULES = sorted(WORKER.glob("*.py"))
SIBLINGS = {path.stem for path in MODULES}
# Dagster and the packages it installs, which the worker may use in the project's interpreter.
DAGSTER = {"dagster", "dagster_shared"}
DAGSTER_DEPENDENCIES = {"pydantic", "yaml", "tomli", "tomlkit"}
MAX_LINES = 700


def imports_of(path: Path) -> set[str]:
    """Top-level names of every module the file imports, anywhere in it; '.' for a relative import."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." if node.level else (node.module or "").split(".")[0])
    return names


def test_the_worker_has_its_modules():
    assert {"__main__", "adapter", "protocol", "registry", "validate", "load"} <= SIBLINGS


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_a_worker_module_stays_under_700_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_a_worker_module_imports_only_stdlib_dagster_and_its_siblings(path):
    # The worker runs as `python <path>/worker`: siblings are top-level modules, never the package.
    allowed = set(sys.stdlib_module_names) | SIBLINGS | DAGSTER | DAGSTER_DEPENDENCIES
    assert sorted(imports_of(path) - allowed) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_only_adapter_modules_import_dagster(path):
    touches = imports_of(path) & (DAGSTER | {"pydantic"})
    assert (sorted(touches) if not path.stem.startswith("adapter") else []) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_a_worker_module_opens_with_a_one_line_docstring(path):
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=False)
    assert docstring is not None and "\n" not in docstring.strip()


def test_protocol_imports_nothing_but_typing():
    # The server imports protocol.py too: it must stay importable anywhere.
    assert imports_of(WORKER / "protocol.py") <= {"typing"}
