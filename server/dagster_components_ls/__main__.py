"""CLI: `serve` (LSP over stdio or --tcp), `check`, `components`, `schema export`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Optional


def _codes(value: str) -> list[str]:
    return [code.strip() for code in value.split(",") if code.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dagster-components-ls", description="Language server for Dagster Components YAML")
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
        from .server import serve

        serve(tcp=getattr(args, "tcp", None), python=getattr(args, "python", None))
        return 0
    if args.command == "check":
        from .check import run_check

        return run_check(args.paths, args.format, args.select, args.ignore, args.python, fix=args.fix)
    if args.command == "components":
        return _components(args.path, args.format, args.python)
    if args.command == "schema":
        return _schema_export(args.folder, args.project, args.python)
    return 2


def _registry_or_exit(path: str, python: Optional[str], command: str):
    """The registry for the project at `path` (or the interpreter's types), or None after saying why."""
    from pathlib import Path

    from .check import CheckFailed, registry_for
    from .project import ProjectConfigError, find_project

    try:
        return registry_for(find_project(Path(path).resolve()), python)
    except (CheckFailed, ProjectConfigError) as exc:
        print(f"dagster-components-ls {command}: {exc}", file=sys.stderr)
        return None


def _schema_export(folder: str, project: str, python: Optional[str]) -> int:
    from pathlib import Path

    from .schema_export import export_schemas

    registry = _registry_or_exit(project, python, "schema export")
    if registry is None:
        return 2
    written = export_schemas(registry, Path(folder))
    print(f"Wrote {len(written)} schemas to {folder}", file=sys.stderr)
    return 0


def _components(path: str, fmt: str, python: Optional[str]) -> int:
    from .components import component_list

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
            print(f"{item['key']:<{width}}  {item['summary'] or ''}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
