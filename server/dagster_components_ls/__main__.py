"""CLI: `serve` (LSP over stdio or --tcp), `check`, `components`, `lineage`, `schema export`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Optional


def _codes(value: str) -> list[str]:
    return [code.strip() for code in value.split(",") if code.strip()]


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="dagster-components-ls", description="Language server for Dagster Components YAML"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="run the language server (default)")
    serve.add_argument("--stdio", action="store_true", help="talk LSP over stdio (the default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio, for debugging")
    serve.add_argument("--python", help="the project's interpreter")

    check = sub.add_parser("check", help="report the editor's diagnostics for files and folders")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("--format", choices=["text", "json", "github"], default="text")
    check.add_argument("--select", type=_codes, help="only these codes or prefixes (comma-separated)")
    check.add_argument("--ignore", type=_codes, help="leave out these codes or prefixes (comma-separated)")
    check.add_argument("--python", help="the interpreter whose installed component types to use")
    check.add_argument("--fix", action="store_true", help="apply the safe fixes (a single suggestion, a pure addition)")
    check.add_argument(
        "--load",
        action="store_true",
        help="also load the definitions: load errors and asset-level policies (runs the project's code)",
    )
    check.add_argument(
        "--no-cache",
        action="store_true",
        help="read nothing from the cache of component types and worker answers, and write nothing to it",
    )

    lineage = sub.add_parser("lineage", help="the assets a defs.yaml produces, with their upstream and downstream")
    lineage.add_argument(
        "path",
        metavar="PATH",
        help="a defs.yaml (or other component file), or a folder of a project: what it all produces",
    )
    lineage.add_argument("--document", type=int, help="0-based index of a document in the file (default: all)")
    lineage.add_argument("--depth", type=int, default=1, help="hops around the produced assets (default: 1)")
    lineage.add_argument("--format", choices=["text", "json", "mermaid"], default="text")
    lineage.add_argument("--python", help="the project's interpreter")

    schema = sub.add_parser("schema", help="JSON Schemas for schema-driven YAML editors")
    schema_sub = schema.add_subparsers(dest="schema_command", required=True)
    export = schema_sub.add_parser("export", help="write <type key>.json per type and defs.schema.json")
    export.add_argument("folder", metavar="DIR")
    export.add_argument("--project", default=".", help="a project or folder whose types to export (default: .)")
    export.add_argument("--python", help="the interpreter whose installed component types to export")

    components = sub.add_parser("components", help="list the installed component types")
    components.add_argument("path", nargs="?", default=".", help="a project or folder (default: .)")
    components.add_argument("--format", choices=["text", "json"], default="text")
    components.add_argument("--python", help="the interpreter whose installed component types to list")
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in (None, "serve"):
        from .lsp.server import serve

        # stderr is the editor's log (VS Code's output channel, Neovim's lsp.log): our events, others' warnings.
        logging.basicConfig(
            level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        logging.getLogger("dagster_components_ls").setLevel(logging.INFO)

        return serve(tcp=getattr(args, "tcp", None), python=getattr(args, "python", None))
    if args.command == "check":
        from .cli.check import run_check

        if args.no_cache:  # a cache of this run's own, gone with it: the user's cache is neither read nor changed
            import os
            import tempfile

            with tempfile.TemporaryDirectory(prefix="dagster-components-ls-") as fresh:
                os.environ["DAGSTER_COMPONENTS_LS_CACHE"] = fresh
                return run_check(
                    args.paths, args.format, args.select, args.ignore, args.python, fix=args.fix, load=args.load
                )
        return run_check(args.paths, args.format, args.select, args.ignore, args.python, fix=args.fix, load=args.load)
    if args.command == "lineage":
        return _lineage(args.path, args.document, args.depth, args.format, args.python)
    if args.command == "components":
        return _components(args.path, args.format, args.python)
    if args.command == "schema":
        return _schema_export(args.folder, args.project, args.python)
    return 2


def _registry_or_exit(path: str, python: Optional[str], command: str):
    """The registry for the project at `path` (or the interpreter's types), or None after saying why."""
    from pathlib import Path

    from .cli.check import CheckFailed, registry_for
    from .project.discovery import ProjectConfigError, find_project

    try:
        return registry_for(find_project(Path(path).resolve()), python)
    except (CheckFailed, ProjectConfigError) as exc:
        print(f"dagster-components-ls {command}: {exc}", file=sys.stderr)
        return None


def _lineage(path: str, document: Optional[int], depth: int, fmt: str, python: Optional[str]) -> int:
    """DESIGN's `lineage`: the `dagster/lineage` result for a file; exit 1 with load errors, 2 if it cannot run."""
    import functools
    import os
    from pathlib import Path

    from .cli.check import _echo_worker_output
    from .features.lineage import document_location, error_location, format_mermaid, format_text, lineage_view
    from .model.documents import parse_file
    from .model.loaded import Loaded
    from .project.definitions import load_definitions
    from .project.discovery import InterpreterNotFound, ProjectConfigError, find_project, resolve_interpreter
    from .project.files import read_text
    from .project.worker_client import WorkerError, WorkerProcess

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
            from .model.uris import to_path

            where = to_path(uri)
            return os.path.relpath(where, cwd) if where.is_relative_to(cwd) else str(where)

        print(format_text(view, shown))
    return 1 if loaded.errors else 0


def _schema_export(folder: str, project: str, python: Optional[str]) -> int:
    from pathlib import Path

    from .cli.schema_export import export_schemas

    registry = _registry_or_exit(project, python, "schema export")
    if registry is None:
        return 2
    written = export_schemas(registry, Path(folder))
    print(f"Wrote {len(written)} schemas to {folder}", file=sys.stderr)
    return 0


def _components(path: str, fmt: str, python: Optional[str]) -> int:
    from .features.components import component_list

    registry = _registry_or_exit(path, python, "components")
    if registry is None:
        return 2
    items = component_list(registry)
    if fmt == "json":
        json.dump(items, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        width = max((len(item["key"]) for item in items), default=0)
        for item in items:
            summary = " ".join((item["summary"] or "").split())  # some packages' summaries span lines
            print(f"{item['key']:<{width}}  {summary}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
