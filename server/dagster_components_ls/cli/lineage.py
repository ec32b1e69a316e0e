"""`dagster-components-ls lineage PATH`: the `dagster/lineage` view of a file or folder, loaded by the worker."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Optional

from ..features.lineage import document_location, error_location, format_mermaid, format_text, lineage_view
from ..model.documents import parse_file
from ..model.loaded import Loaded
from ..model.uris import to_path
from ..project.files import read_text


def run_lineage(path: str, document: Optional[int], depth: int, fmt: str, python: Optional[str]) -> int:
    """DESIGN's `lineage`: the `dagster/lineage` result for a file; exit 1 with load errors, 2 if it cannot run."""

    from ..project.definitions import load_definitions
    from ..project.discovery import InterpreterNotFound, ProjectConfigError, find_project, resolve_interpreter
    from ..project.worker_client import WorkerError, WorkerProcess
    from .check import _echo_worker_output

    def fail(message: str) -> int:
        print(f"dagster-components-ls lineage: {message}", file=sys.stderr)
        return 2

    file = Path(path).resolve()
    if not file.exists():
        return fail(f"{path} does not exist (give a defs.yaml, or a folder of a project)")
    try:
        owner = find_project(file)
        if owner is None:
            return fail(f"{path} is in no dg project: only a project's definitions can be loaded")
        interpreter = resolve_interpreter(python, owner.root)
    except (ProjectConfigError, InterpreterNotFound) as exc:
        return fail(str(exc))
    _echo_worker_output()
    worker = WorkerProcess(interpreter, owner.root)
    try:
        result = load_definitions(worker, str(owner.root), lambda message: print(message, file=sys.stderr))
    except WorkerError as exc:
        return fail(f"could not load the definitions of {owner.root}: {exc}")
    finally:
        worker.close()
    loaded = Loaded.from_result(result)
    _print_lineage(loaded, file, document, depth, fmt)
    return 1 if loaded.errors else 0


def _print_lineage(loaded: Loaded, file: Path, document: Optional[int], depth: int, fmt: str) -> None:
    @functools.lru_cache(maxsize=None)
    def parse(p: str):
        try:
            return parse_file(read_text(Path(p)))
        except OSError:
            return parse_file("")

    view = lineage_view(
        loaded,
        str(file),
        document,
        depth,
        False,
        lambda p, d: document_location(p, d, parse),
        lambda e: error_location(e, parse),
    )
    if fmt == "json":
        json.dump(view, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif fmt == "mermaid":
        print(format_mermaid(view))
    else:
        cwd = Path.cwd()

        def shown(uri: str) -> str:
            where = to_path(uri)
            return os.path.relpath(where, cwd) if where.is_relative_to(cwd) else str(where)

        print(format_text(view, shown))
