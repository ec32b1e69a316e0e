"""`dagster-components-ls check`: the editor's diagnostics over files and folders, for CI and pre-commit."""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, TextIO

from . import project as projects
from .diagnostics import ERROR, CheckContext, Problem, diagnose
from .documents import ParsedFile, parse_file
from .positions import LineIndex
from .registry import Registry, load_registry
from .worker_client import WorkerError, WorkerProcess


class CheckFailed(Exception):
    """The check could not run (exit 2): the message says why."""


@dataclass(frozen=True)
class Finding:
    path: Path
    problem: Problem
    index: LineIndex


def run_check(
    paths: list[str],
    fmt: str = "text",
    select: Optional[list[str]] = None,
    ignore: Optional[list[str]] = None,
    python: Optional[str] = None,
    out: TextIO = sys.stdout,
) -> int:
    """Check the paths and print the result; the exit code follows DESIGN (0 clean, 1 errors, 2 could not run)."""
    _echo_worker_output()
    try:
        findings, checked = collect_findings(paths or ["."], python)
    except CheckFailed as exc:
        print(f"dagster-components-ls check: {exc}", file=sys.stderr)
        return 2
    findings = [f for f in findings if _selected(f.problem.code, select, ignore)]
    findings.sort(key=lambda f: (str(f.path), f.problem.span.start, f.problem.span.end, f.problem.code))
    FORMATTERS[fmt](findings, checked, out)
    return 1 if any(f.problem.severity == ERROR for f in findings) else 0


def _echo_worker_output() -> None:
    """What user code prints in the worker (and Dagster's warnings) goes to our stderr, never stdout."""
    logger = logging.getLogger("dagster_components_ls.worker_client")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False


def collect_findings(paths: list[str], python: Optional[str]) -> tuple[list[Finding], int]:
    files = _files_to_check(paths)
    by_project: dict[Optional[Path], tuple[Optional[projects.Project], list[tuple[Path, str]]]] = {}
    for file in files:
        try:
            owner = projects.find_project(file)
        except projects.ProjectConfigError as exc:
            raise CheckFailed(str(exc)) from exc
        key = owner.root if owner else None
        by_project.setdefault(key, (owner, []))[1].append((file, _read(file)))
    findings: list[Finding] = []
    for owner, group in by_project.values():
        parsed = [(file, text, parse_file(text)) for file, text in group]
        registry = registry_for(owner, python, referenced_types(p for _, _, p in parsed))
        for file, text, parsed_file in parsed:
            index = LineIndex(text)
            ctx = context_for(file, owner, registry)
            findings.extend(Finding(file, problem, index) for problem in diagnose(parsed_file, ctx))
    return findings, len(files)


def referenced_types(files: Iterable[ParsedFile]) -> list[str]:
    """Absolute typenames the documents name: the worker imports them (re-exports, lone files)."""
    names = set()
    for parsed in files:
        for doc in parsed.documents:
            typename = doc.value.get("type") if isinstance(doc.value, dict) else None
            if isinstance(typename, str) and "." in typename.strip() and not typename.startswith("."):
                names.add(typename.strip())
    return sorted(names)


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CheckFailed(f"cannot read {file}: {exc.strerror}") from exc


def context_for(file: Path, owner: Optional[projects.Project], registry: Optional[Registry]) -> CheckContext:
    folder_module = None
    if owner is not None:
        try:
            folder_module = projects.module_for_folder(owner, file.parent)
        except ValueError:  # not under the defs folder: relative types cannot resolve
            folder_module = None
    return CheckContext(registry=registry, file_name=file.name, folder=str(file.parent), folder_module=folder_module,
                        project_root=str(owner.root) if owner else None)


def registry_for(owner: Optional[projects.Project], python: Optional[str], extra_types: Iterable[str] = ()) -> Registry:
    try:
        interpreter = projects.resolve_interpreter(python, owner.root if owner else None)
    except projects.InterpreterNotFound as exc:
        raise CheckFailed(str(exc)) from exc
    cwd = owner.root if owner else Path.cwd()
    worker = WorkerProcess(interpreter, cwd)
    try:
        return load_registry(interpreter, owner, worker=worker, extra_types=extra_types)
    except WorkerError as exc:
        where = f"project {owner.root}" if owner else "files outside any project"
        raise CheckFailed(f"could not read the component types for {where} with {interpreter}: {exc}") from exc
    finally:
        worker.close()


def _files_to_check(paths: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).resolve()
        if path.is_file():
            files.append(path)  # a file named explicitly is checked whatever its name
        elif path.is_dir():
            files.extend(projects.component_files(path))
        else:
            raise CheckFailed(f"no such file or folder: {raw}")
    return sorted(dict.fromkeys(files))


def _selected(code: str, select: Optional[list[str]], ignore: Optional[list[str]]) -> bool:
    def matches(patterns: list[str]) -> bool:
        return any(code == p or code.startswith(p) and p.endswith(":") or code.startswith(p + ":") for p in patterns)

    if select and not matches(select):
        return False
    return not (ignore and matches(ignore))


def _display_path(path: Path) -> str:
    try:
        return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def _format_text(findings: list[Finding], checked: int, out: TextIO) -> None:
    for f in findings:
        line, col = f.index.line_col_1based(f.problem.span.start)
        print(f"{_display_path(f.path)}:{line}:{col}: {f.problem.severity}[{f.problem.code}] {f.problem.message}", file=out)
    errors = sum(f.problem.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    files = "file" if checked == 1 else "files"
    if findings:
        print(f"Found {errors} error{'s' * (errors != 1)} and {warnings} warning{'s' * (warnings != 1)} "
              f"in {checked} {files}.", file=out)
    else:
        print(f"No problems in {checked} {files}.", file=out)


def to_json(f: Finding) -> dict:
    (start_line, start_character), (end_line, end_character) = f.index.range_of(f.problem.span)
    return {
        "path": _display_path(f.path),
        "range": {
            "start": {"line": start_line, "character": start_character},
            "end": {"line": end_line, "character": end_character},
        },
        "severity": f.problem.severity,
        "code": f.problem.code,
        "message": f.problem.message,
        "source": "dagster",
        "data": f.problem.data,
    }


def _format_json(findings: list[Finding], checked: int, out: TextIO) -> None:
    json.dump([to_json(f) for f in findings], out, indent=2)
    out.write("\n")


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "information": "notice", "hint": "notice"}


def _format_github(findings: list[Finding], checked: int, out: TextIO) -> None:
    for f in findings:
        line, col = f.index.line_col_1based(f.problem.span.start)
        end_line, end_col = f.index.line_col_1based(f.problem.span.end)
        message = _escape(f"[{f.problem.code}] {f.problem.message}")
        path = _escape(_display_path(f.path), property=True)
        title = _escape(f"dagster {f.problem.code}", property=True)
        print(f"::{_GITHUB_LEVEL[f.problem.severity]} file={path},line={line},col={col},endLine={end_line},"
              f"endColumn={end_col},title={title}::{message}", file=out)


def _escape(text: str, property: bool = False) -> str:
    """GitHub workflow-command escaping (properties also escape `:` and `,`)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property else text


FORMATTERS = {"text": _format_text, "json": _format_json, "github": _format_github}
