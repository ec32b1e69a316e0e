"""`dagster-components-ls check`: the editor's diagnostics over files and folders, for CI and pre-commit."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, ContextManager, Iterable, Iterator, Optional, TextIO, TypeVar

from ..checks.background import (
    DBT_SELECTION,
    PLATFORM_POLICIES,
    VALIDATION,
    Answers,
    dbt_selection_batch,
    policy_batch,
    validation_batch,
)
from ..checks.fixes import broken_by_fixes, fix_all
from ..checks.pipeline import file_problems
from ..checks.policies import config as policy_config
from ..model.context import CheckContext
from ..model.documents import ParsedFile, parse_file
from ..model.positions import LineIndex, Span
from ..model.problems import ERROR, Problem
from ..model.registry import Registry
from ..project import discovery as projects
from ..project import files as disk
from ..project.file_context import context_for, referenced_types
from ..project.registry import (
    cache_dir,
    fingerprint,
    load_registry,
    prune_cache,
)
from ..project.worker_client import WorkerError, WorkerProcess
from .ci_formats import format_gitlab, format_sarif
from .findings import Finding, display_path
from .report import FORMATS as REPORT_FORMATS
from .report import Checked, build_report, write_report

if TYPE_CHECKING:
    from ..model.loaded import Loaded

WORKER_CALL_TIMEOUT_SECONDS = 120.0
T = TypeVar("T")


class CheckFailed(Exception):
    """The check could not run (exit 2): the message says why."""


def run_check(
    paths: list[str],
    fmt: str = "text",
    select: Optional[list[str]] = None,
    ignore: Optional[list[str]] = None,
    python: Optional[str] = None,
    out: TextIO = sys.stdout,
    fix: bool = False,
    load: bool = False,
    report: Optional[str] = None,
) -> int:
    """Check the paths and print the result; the exit code follows DESIGN (0 clean, 1 errors, 2 could not run).

    With `fix`, the safe fixes of the selected problems are written to the files first. With `load`,
    each project's definitions are loaded too: load errors and asset-level policies. With `report`,
    the compliance report of the selected findings is written to that file (.html or .json) too.
    """
    if report is not None and Path(report).suffix.lower() not in REPORT_FORMATS:
        print(f"dagster-components-ls check: --report {report}: the file must end in .html or .json", file=sys.stderr)
        return 2
    _echo_worker_output()
    selected = (lambda problem: _selected(problem.code, select, ignore)) if fix else None
    unchecked: list[Path] = []
    inventory: list[Checked] = []
    try:
        findings, checked = collect_findings(paths or ["."], python, selected, load, unchecked, inventory)
    except CheckFailed as exc:
        print(f"dagster-components-ls check: {exc}", file=sys.stderr)
        return 2
    findings = [f for f in findings if _selected(f.problem.code, select, ignore)]
    findings.sort(key=lambda f: (str(f.path), f.problem.span.start, f.problem.span.end, f.problem.code))
    FORMATTERS[fmt](findings, checked, out)
    if report is not None:
        try:
            write_report(Path(report), build_report(inventory, findings))
        except OSError as exc:
            print(f"dagster-components-ls check: cannot write {report}: {exc.strerror}", file=sys.stderr)
            return 2
    return 1 if unchecked or any(f.problem.severity == ERROR for f in findings) else 0


def _echo_worker_output() -> None:
    """What user code prints in the worker (and Dagster's warnings) goes to our stderr, never stdout."""
    logger = logging.getLogger("dagster_components_ls.project.worker_client")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False


def collect_findings(
    paths: list[str],
    python: Optional[str],
    fix: Optional[Callable[[Problem], bool]] = None,
    load: bool = False,
    unchecked: Optional[list[Path]] = None,
    inventory: Optional[list[Checked]] = None,
) -> tuple[list[Finding], int]:
    """The findings of every readable file, and how many files were checked. A file that cannot be
    read (a dangling symlink, a FIFO or a folder with a component file's name) is a warning on stderr,
    not a diagnostic: it has no text to place one in. The other files are checked all the same. A
    file whose check hit a bug is told on stderr and added to `unchecked`, and the others go on. Each
    checked file is added to `inventory`, for the compliance report."""
    unchecked = [] if unchecked is None else unchecked
    by_project: dict[Optional[Path], tuple[Optional[projects.Project], list[tuple[Path, str]]]] = {}
    findings: list[Finding] = []
    checked = 0
    not_utf8: set[Path] = set()
    for file in _files_to_check(paths):
        try:
            owner = projects.find_project(file)
        except projects.ProjectConfigError as exc:
            raise CheckFailed(str(exc)) from exc
        try:
            data = disk.read_bytes(file)
        except OSError as exc:
            _warn(f"{display_path(file)} was not checked: {disk.why_unreadable(file, exc)}")
            continue
        checked += 1
        text, bad_offset = disk.decode_utf8(data)
        if bad_offset is not None:
            findings.append(_not_utf8(file, text, bad_offset, data))
            not_utf8.add(file)
        key = owner.root if owner else None
        by_project.setdefault(key, (owner, []))[1].append((file, text))
    for owner, group in by_project.values():
        found = _check_project(owner, group, python, unchecked, fix, load, frozenset(not_utf8), inventory)
        findings.extend(found)
    prune_cache()  # last: the entries this run read were marked used, so they stay
    return findings, checked


def _not_utf8(file: Path, text: str, offset: int, data: bytes) -> Finding:
    """Dagster reads the file as UTF-8 and fails; we check it with the bad bytes replaced (U+FFFD)
    and say where the first one is."""
    byte = data[len(text[:offset].encode("utf-8"))]
    message = f"Not valid UTF-8: the byte 0x{byte:02X} cannot be decoded (Dagster reads defs.yaml files as UTF-8)"
    return Finding(file, Problem(Span(offset, offset + 1), "yaml-syntax", message, ERROR), LineIndex(text))


def _warn(message: str) -> None:
    print(f"dagster-components-ls check: warning: {message}", file=sys.stderr)


def _check_project(
    owner: Optional[projects.Project],
    group: list[tuple[Path, str]],
    python: Optional[str],
    unchecked: list[Path],
    fix: Optional[Callable[[Problem], bool]] = None,
    load: bool = False,
    not_utf8: frozenset[Path] = frozenset(),
    inventory: Optional[list[Checked]] = None,
) -> list[Finding]:
    """The files of one project (or of none) against its types and policies, with one worker at most.
    Files in `not_utf8` are never fixed: their text holds U+FFFD where the file has other bytes."""
    parsed = [
        (file, text, p)
        for file, text in group
        if (p := _guarded(file, unchecked, lambda: parse_file(text))) is not None
    ]
    interpreter = _interpreter(owner, python)
    worker = WorkerProcess(interpreter, owner.root if owner else Path.cwd())
    where = f"project {owner.root}" if owner else "files outside any project"
    try:
        stamp = fingerprint(interpreter, owner)  # once: the registry and every cached worker answer use it
        with slow_step(where, "reading the component types (building the registry)"):
            registry = _load_registry(worker, interpreter, owner, referenced_types(p for _, _, p in parsed), stamp)
        _say_environment(owner, python, interpreter, registry, from_cache=worker.pid is None)
        _report_own_module_errors(owner, registry)
        config_path = policy_config.policy_config_path(owner)
        config, config_problems = policy_config.load_policy_config(config_path)
        checked = [(file, text, p, context_for(file, owner, registry, config)) for file, text, p in parsed]
        if fix is not None:
            checked = [
                _guarded(file, unchecked, lambda: _fixed(file, text, p, ctx, fix, file not in not_utf8))
                or (file, text, p, ctx)
                for file, text, p, ctx in checked
            ]
        validated = _validation_answers(worker, stamp, checked, where)
        loaded = None
        if load and owner is not None:
            with slow_step(where, "loading the definitions"):
                loaded = _load(worker, owner)
        with slow_step(where, "running the platform policies"):
            policed = _platform_policy_answers(worker, stamp, checked, loaded)
        with slow_step(where, "judging the dbt selections"):
            selections = _dbt_selection_answers(worker, checked)
    finally:
        worker.close()
    findings: list[Finding] = []
    for (file, text, parsed_file, ctx), validation, policy, selection in zip(checked, validated, policed, selections):
        answers: Answers = {
            method: answer
            for method, answer in (
                (VALIDATION.method, validation),
                (PLATFORM_POLICIES.method, policy),
                (DBT_SELECTION.method, selection),
            )
            if answer is not None
        }
        problems = _guarded(file, unchecked, lambda: file_problems(parsed_file, ctx, str(file), loaded, answers))
        index = LineIndex(text)
        findings.extend(Finding(file, problem, index, (parsed_file, ctx)) for problem in problems or ())
        if inventory is not None:
            inventory.append(Checked(file, parsed_file, ctx, owner.root if owner else None))
    if loaded is not None and owner is not None:
        findings.extend(_load_errors_elsewhere(loaded, checked, owner))
    if config_problems and config_path is not None:
        index = LineIndex(_read(config_path))
        findings.extend(Finding(config_path, problem, index) for problem in config_problems)
    return findings


def _report_own_module_errors(owner: Optional[projects.Project], registry: Registry) -> None:
    """The project's own modules that failed to import (raised, hung, ended or crashed the process), on
    stderr: a type no file uses yet is reported too. Installed packages' failures show where a type is used."""
    if owner is None:
        return
    own = {owner.root_module.split(".")[0], *(m.split("*")[0].rstrip(".") for m in owner.registry_modules)}
    for name, error in sorted(registry.module_errors.items()):
        if any(name == prefix or name.startswith(prefix + ".") for prefix in own if prefix):
            print(
                f"dagster-components-ls check: project {owner.root}: importing '{name}' failed: {error}",
                file=sys.stderr,
            )


def _guarded(file: Path, unchecked: list[Path], work: Callable[[], T]) -> Optional[T]:
    """One file's work; a bug it hits (never the user's fault) is told on stderr, the file is added to
    `unchecked` (the exit code counts it as an error), and the other files go on."""
    try:
        return work()
    except CheckFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - one file must never stop the check of the others
        unchecked.append(file)
        logging.getLogger(__name__).debug("checking %s failed", file, exc_info=True)
        print(
            f"dagster-components-ls check: could not check {display_path(file)}: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return None


def _fixed(
    file: Path,
    text: str,
    parsed: ParsedFile,
    ctx: CheckContext,
    selected: Callable[[Problem], bool],
    writable: bool = True,
) -> tuple:
    """The file after its safe fixes (written back when any applied, the file may be written and the
    result still parses; a byte-order mark stays, as it is part of the text read)."""
    fixed, count = fix_all(text, ctx, selected=selected)
    if count == 0:
        return file, text, parsed, ctx
    if not writable:
        _warn(f"{display_path(file)} was not fixed: it is not valid UTF-8")
        return file, text, parsed, ctx
    broken = broken_by_fixes(text, fixed)
    if broken is not None:
        print(f"Not fixing {display_path(file)}: the fixes would break its YAML ({broken})", file=sys.stderr)
        return file, text, parsed, ctx
    file.write_text(fixed, encoding="utf-8")
    print(f"Fixed {count} problem{'s' * (count != 1)} in {display_path(file)}", file=sys.stderr)
    return file, fixed, parse_file(fixed), ctx


def _validation_answers(worker: WorkerProcess, stamp: str, checked: list, where: str) -> list[Optional[dict]]:
    """Each file's `validate` answer (see background.validation_batch: cached per file, the rest in one call)."""

    def step(documents: int) -> ContextManager[None]:
        return slow_step(where, f"validating {documents} document{'s' * (documents != 1)}")

    files = [(p, ctx) for _, _, p, ctx in checked]
    try:
        return validation_batch(worker, stamp, files, WORKER_CALL_TIMEOUT_SECONDS, step)
    except WorkerError as exc:
        raise CheckFailed(f"could not validate the component files of {where}: {exc}") from exc


SLOW_STEP_SECONDS = 2.0


@contextmanager
def slow_step(where: str, doing: str) -> Iterator[None]:
    """Tells stderr what a step is doing once it has taken SLOW_STEP_SECONDS, and how long it took
    (never stdout: that holds the result only, in every format)."""
    start = time.monotonic()
    told = threading.Event()

    def tell() -> None:
        told.set()
        print(f"dagster-components-ls check: {where}: {doing}...", file=sys.stderr, flush=True)

    timer = threading.Timer(SLOW_STEP_SECONDS, tell)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if told.is_set():
            print(
                f"dagster-components-ls check: {where}: {doing} took {time.monotonic() - start:.1f} s",
                file=sys.stderr,
                flush=True,
            )


def _load(worker: WorkerProcess, owner: projects.Project) -> "Loaded":
    from ..model.loaded import Loaded
    from ..project.definitions import load_definitions

    try:
        result = load_definitions(worker, str(owner.root), lambda message: print(message, file=sys.stderr))
    except WorkerError as exc:
        raise CheckFailed(f"could not load the definitions of {owner.root}: {exc}") from exc
    for error in result.get("errors") or ():
        logging.getLogger(__name__).debug("load error: %s", error.get("traceback"))
    return Loaded.from_result(result)


def _load_errors_elsewhere(loaded: "Loaded", checked: list, owner: projects.Project) -> list[Finding]:
    """Load errors outside the checked files (a defs module that raised, a .py asset file) at their
    own file and line, else at the project's pyproject.toml (those in checked files are theirs)."""
    paths = {str(file) for file, _, _, _ in checked}
    findings = []
    for error in loaded.errors:
        if error.get("path") in paths:
            continue
        file = Path(error["path"]) if isinstance(error.get("path"), str) else owner.config_path
        text = _read(file) if file.is_file() else ""
        index = LineIndex(text)
        span = index.line_span_1based(error["line"] if isinstance(error.get("line"), int) else 1)
        findings.append(
            Finding(file, Problem(span, "load-error", error.get("message") or "Loading failed", ERROR), index)
        )
    return findings


def _platform_policy_answers(
    worker: WorkerProcess, stamp: str, checked: list, loaded: Optional["Loaded"] = None
) -> list[Optional[dict]]:
    """Each file's `policies` answer, from one worker call for all the files (with the loaded assets
    of each document under `--load`, for the policies that ask for them); None when nothing is asked."""
    assets = None
    if loaded is not None:
        assets = [loaded.assets_by_document(str(file), len(p.documents)) for file, _, p, _ in checked]
    try:
        return policy_batch(worker, stamp, [(p, ctx) for _, _, p, ctx in checked], WORKER_CALL_TIMEOUT_SECONDS, assets)
    except WorkerError as exc:
        raise CheckFailed(f"could not run the platform policies: {exc}") from exc


def _dbt_selection_answers(worker: WorkerProcess, checked: list) -> list[Optional[dict]]:
    """Each file's `dbt_selection` answer (its dbt documents' selections judged by dagster-dbt on the
    manifest the last load prepared; none is prepared here)."""
    try:
        return dbt_selection_batch(worker, [(p, ctx) for _, _, p, ctx in checked], WORKER_CALL_TIMEOUT_SECONDS)
    except WorkerError as exc:
        raise CheckFailed(f"could not judge the dbt selections: {exc}") from exc


def _read(file: Path) -> str:
    try:
        return disk.read_text(file)
    except OSError as exc:
        raise CheckFailed(f"cannot read {file}: {exc.strerror}") from exc


def registry_for(owner: Optional[projects.Project], python: Optional[str], extra_types: Iterable[str] = ()) -> Registry:
    """The registry for a project (or the interpreter's types), for commands that need nothing else."""
    interpreter = _interpreter(owner, python)
    worker = WorkerProcess(interpreter, owner.root if owner else Path.cwd())
    try:
        return _load_registry(worker, interpreter, owner, extra_types)
    finally:
        worker.close()


def _say_environment(
    owner: Optional[projects.Project], python: Optional[str], interpreter: Path, registry: Registry, from_cache: bool
) -> None:
    """On stderr, whatever the format: which interpreter and Dagster judged the project, and whether
    its component types came from the cache; a warning when that is our own interpreter and the
    project locks another Dagster."""
    where = str(owner.root) if owner else "files outside any project"
    version = registry.dagster_version or "unknown"
    source = f"from the cache in {cache_dir()}" if from_cache else f"read by the worker, cached in {cache_dir()}"
    print(f"Checking {where} with {interpreter} (Dagster {version}); component types {source}", file=sys.stderr)
    if owner is None or not projects.is_own_fallback(python, owner.root):
        return
    pinned = projects.pinned_dagster(owner.root)
    if pinned is not None and pinned[0] != registry.dagster_version:
        print(
            f"dagster-components-ls check: warning: {where} has no environment of its own (.venv, $VIRTUAL_ENV "
            f"or --python), so this tool's interpreter judged it with Dagster {version}, but its {pinned[1]} "
            f"pins Dagster {pinned[0]}",
            file=sys.stderr,
        )


def _interpreter(owner: Optional[projects.Project], python: Optional[str]) -> Path:
    try:
        return projects.resolve_interpreter(python, owner.root if owner else None)
    except projects.InterpreterNotFound as exc:
        raise CheckFailed(str(exc)) from exc


def _load_registry(
    worker: WorkerProcess,
    interpreter: Path,
    owner: Optional[projects.Project],
    extra_types: Iterable[str],
    stamp: Optional[str] = None,
) -> Registry:
    try:
        return load_registry(interpreter, owner, worker=worker, extra_types=extra_types, stamp=stamp)
    except WorkerError as exc:
        where = f"project {owner.root}" if owner else "files outside any project"
        raise CheckFailed(f"could not read the component types for {where} with {interpreter}: {exc}") from exc


def _files_to_check(paths: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).resolve()
        if path.is_dir():
            files.extend(projects.component_files(path))
        elif os.path.lexists(raw):  # a file named explicitly is checked whatever its name (or reported unreadable)
            files.append(path if path.exists() else Path(raw).absolute())
        else:
            raise CheckFailed(f"no such file or folder: {raw}")
    return sorted(dict.fromkeys(files))


def _selected(code: str, select: Optional[list[str]], ignore: Optional[list[str]]) -> bool:
    def matches(patterns: list[str]) -> bool:
        return any(code == p or code.startswith(p) and p.endswith(":") or code.startswith(p + ":") for p in patterns)

    if select and not matches(select):
        return False
    return not (ignore and matches(ignore))


def _format_text(findings: list[Finding], checked: int, out: TextIO) -> None:
    for f in findings:
        line, col = f.index.line_col_1based(f.problem.span.start)
        print(
            f"{display_path(f.path)}:{line}:{col}: {f.problem.severity}[{f.problem.code}] {one_line(f.problem.message)}",
            file=out,
        )
    errors = sum(f.problem.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    files = "file" if checked == 1 else "files"
    if findings:
        print(
            f"Found {errors} error{'s' * (errors != 1)} and {warnings} warning{'s' * (warnings != 1)} "
            f"in {checked} {files}.",
            file=out,
        )
    else:
        print(f"No problems in {checked} {files}.", file=out)


def one_line(message: str) -> str:
    """A message on one line, for text output: a pydantic or traceback message's lines joined, its
    indentation folded (the JSON output keeps the whole text)."""
    joined = ""
    for line in filter(None, (line.strip() for line in message.splitlines())):
        # A parenthesised remark (`(from acme.Job)`) stays with the line before it.
        joined += (" " if line.startswith("(") else " | ") + line if joined else line
    return joined


def to_json(f: Finding) -> dict:
    (start_line, start_character), (end_line, end_character) = f.index.range_of(f.problem.span)
    return {
        "path": display_path(f.path),
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
        path = _escape(display_path(f.path), property=True)
        title = _escape(f"dagster {f.problem.code}", property=True)
        print(
            f"::{_GITHUB_LEVEL[f.problem.severity]} file={path},line={line},col={col},endLine={end_line},"
            f"endColumn={end_col},title={title}::{message}",
            file=out,
        )


def _escape(text: str, property: bool = False) -> str:
    """GitHub workflow-command escaping (properties also escape `:` and `,`)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property else text


FORMATTERS = {
    "text": _format_text,
    "json": _format_json,
    "github": _format_github,
    "sarif": format_sarif,
    "gitlab": format_gitlab,
}
