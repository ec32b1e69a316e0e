"""CLI: `serve` (LSP over stdio or --tcp), `check`, `components`, `lineage`, `schema export`."""

from __future__ import annotations

import argparse
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
    check.add_argument("--format", choices=["text", "json", "github", "sarif", "gitlab"], default="text")
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
    check.add_argument(
        "--report",
        metavar="OUT",
        help="also write the compliance report (types, owners, policy findings) to OUT.html or OUT.json",
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
                    args.paths,
                    args.format,
                    args.select,
                    args.ignore,
                    args.python,
                    fix=args.fix,
                    load=args.load,
                    report=args.report,
                )
        return run_check(
            args.paths,
            args.format,
            args.select,
            args.ignore,
            args.python,
            fix=args.fix,
            load=args.load,
            report=args.report,
        )
    if args.command == "lineage":
        from .cli.lineage import run_lineage

        return run_lineage(args.path, args.document, args.depth, args.format, args.python)
    if args.command == "components":
        from .cli.components import run_components

        return run_components(args.path, args.format, args.python)
    if args.command == "schema":
        from .cli.components import run_schema_export

        return run_schema_export(args.folder, args.project, args.python)
    return 2


if __name__ == "__main__":
    sys.exit(main())
