"""Scale: a generated workspace of 1,000 defs.yaml files across 3 dg projects.

Usage: .venv/bin/python benchmarks/scale.py [--files N] [--projects N]

A first server session fills the caches (registries, each project's last load); then a new server
starts on the same workspace, as after an editor restart, and this prints:
- time from spawn to a complete workspace/symbol answer (every component instance) and to an
  asset-key completion offering every asset of the project (from the stored load, before any load);
- the server's own RSS (workers excluded), after indexing and after every project has loaded;
- file watching: changes inside .local_defs_state/, target/, .venv/ and hidden folders start no load,
  a change to a defs.yaml does.
"""

from __future__ import annotations

import os
import sys

# benchmarks/typing.py shares its name with the standard library's `typing`: as a script, this
# folder comes first on sys.path, so it leaves before anything imports `typing`.
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import asyncio
import shutil
import tempfile
import textwrap
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import make_test_lsp_client

WIDGET = '''
import dagster as dg


class Widget(dg.Component, dg.Model, dg.Resolvable):
    """One widget asset, downstream of `deps`."""

    key: str
    deps: list[str] = []

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        @dg.asset(key=dg.AssetKey.from_user_string(self.key), owners=["team:scale"],
                  deps=[dg.AssetKey.from_user_string(d) for d in self.deps])
        def _widget() -> None: ...

        return dg.Definitions(assets=[_widget])
'''


def generate(root: Path, files: int, projects: int) -> list[Path]:
    """`projects` dg projects sharing `files` defs.yaml files; each asset depends on the one before."""
    roots = []
    for p in range(projects):
        name = f"scale{p}"
        project = root / name
        (project / "src" / name / "components").mkdir(parents=True)
        (project / "pyproject.toml").write_text(
            textwrap.dedent(f"""\
            [project]
            name = "{name}"
            version = "0.0.1"

            [tool.dg]
            directory_type = "project"

            [tool.dg.project]
            root_module = "{name}"
            registry_modules = ["{name}.components.*"]
            """)
        )
        for init in (project / "src" / name, project / "src" / name / "components", project / "src" / name / "defs"):
            init.mkdir(parents=True, exist_ok=True)
            (init / "__init__.py").write_text("")
        (project / "src" / name / "components" / "widget.py").write_text(WIDGET)
        count = files // projects + (1 if p < files % projects else 0)
        for i in range(count):
            folder = project / "src" / name / "defs" / f"area{i // 50:02d}" / f"w{i:04d}"
            folder.mkdir(parents=True)
            deps = f"\n  deps:\n    - {name}/w{i - 1:04d}" if i else ""
            (folder / "defs.yaml").write_text(
                f"type: {name}.components.widget.Widget\nattributes:\n  key: {name}/w{i:04d}{deps}\n"
            )
        # What file watching must ignore: generated state, a venv, dbt output, hidden folders.
        for noise in (".local_defs_state/x/state", "target/manifest.json", ".venv/lib/site.py", ".cache/defs.yaml"):
            path = project / noise
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")
        roots.append(project)
    return roots


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


class Session:
    def __init__(self, workspace: Path, cache: Path) -> None:
        self.workspace, self.cache = workspace, cache
        self.client = make_test_lsp_client()
        self.statuses: list[tuple[float, object]] = []
        self.client.feature("dagster/status")(lambda params: self.statuses.append((time.perf_counter(), params)))
        for request in (types.CLIENT_REGISTER_CAPABILITY, types.WORKSPACE_CODE_LENS_REFRESH):
            self.client.feature(request)(lambda params: None)

    async def start(self) -> float:
        started = time.perf_counter()
        env = {**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(self.cache)}
        await self.client.start_io(sys.executable, "-m", "dagster_components_ls", env=env)
        await self.client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities("visual-studio-code"),
                root_uri=self.workspace.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=self.workspace.as_uri(), name="scale")],
                initialization_options={"python": sys.executable},
            )
        )
        return started

    @property
    def pid(self) -> int:
        return self.client._server.pid

    def open(self, path: Path) -> None:
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=path.as_uri(), language_id="yaml", version=1, text=path.read_text()
                )
            )
        )

    def lineage_done(self, project: Path) -> int:
        return sum(
            1
            for _, s in self.statuses
            if s.subject == "lineage" and s.project == project.as_uri() and s.state in ("ready", "error")
        )

    def lineage_started(self) -> int:
        return sum(1 for _, s in self.statuses if s.subject == "lineage" and s.state == "loading")

    async def until(self, condition, timeout: float = 600) -> None:
        deadline = time.perf_counter() + timeout
        while not condition():
            if time.perf_counter() > deadline:
                raise TimeoutError("the server did not get there in time")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        await self.client.shutdown_session()


async def run(files: int, projects: int) -> None:
    workspace = Path(tempfile.mkdtemp(prefix="dcls-scale-"))
    cache = workspace / ".cache-ls"
    roots = generate(workspace, files, projects)
    first_file = {r: next((r / "src" / r.name / "defs").rglob("defs.yaml")) for r in roots}
    try:
        warm = Session(workspace, cache)  # fills the registry caches and each project's stored load
        await warm.start()
        for root in roots:
            warm.open(first_file[root])
        await warm.until(lambda: all(warm.lineage_done(r) for r in roots))
        load_seconds = [t for t, s in warm.statuses if s.subject == "lineage" and s.state == "ready"]
        await warm.stop()

        session = Session(workspace, cache)
        started = await session.start()
        initialized_at = time.perf_counter() - started
        symbols = await session.client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))
        symbols_at = time.perf_counter() - started
        instances = [s for s in symbols or () if s.location.uri.endswith("defs.yaml")]
        target = first_file[roots[0]].parent.parent / "w0001" / "defs.yaml"
        session.open(target)
        text = target.read_text()
        line = text.split("\n").index(f"    - {roots[0].name}/w0000")
        asked = time.perf_counter()
        items = await session.client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=target.as_uri()),
                position=types.Position(line=line, character=len(f"    - {roots[0].name}/w")),
            )
        )
        completion_at = time.perf_counter() - started
        completion_took = time.perf_counter() - asked
        keys = [i.label for i in items.items if i.kind == types.CompletionItemKind.Reference]
        names = await measure_names(session, target, line, f"{roots[0].name}/renamed")
        rss_indexed = rss_kib(session.pid)
        for root in roots[1:]:
            session.open(first_file[root])
        await session.until(lambda: all(session.lineage_done(r) for r in roots))
        rss_loaded = rss_kib(session.pid)

        before = session.lineage_started()
        noise = [
            root / n
            for root in roots
            for n in (".local_defs_state/x/state", "target/manifest.json", ".venv/lib/site.py", ".cache/defs.yaml")
        ]
        session.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=p.as_uri(), type=types.FileChangeType.Changed) for p in noise]
            )
        )
        await asyncio.sleep(1.5)
        ignored = session.lineage_started() - before
        session.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=target.as_uri(), type=types.FileChangeType.Changed)]
            )
        )
        await session.until(lambda: session.lineage_started() > before + ignored)
        await session.stop()
    finally:
        shutil.rmtree(workspace, ignore_errors=True)

    per_project = files // projects
    print(f"workspace: {files} defs.yaml files in {projects} projects ({per_project}+ assets each), warm caches")
    print(
        f"first session, loading every project (cold workers): {max(load_seconds) - min(load_seconds):.1f} s "
        f"between the first and last project ready"
    )
    print(
        f"spawn -> initialized: {initialized_at * 1000:.0f} ms; -> workspace/symbol with all {len(instances)} "
        f"component instances: {symbols_at * 1000:.0f} ms"
    )
    print(
        f"spawn -> asset-key completion with {len(keys)} keys of the project: {completion_at * 1000:.0f} ms "
        f"(the request itself, sent with the document's didOpen: {completion_took * 1000:.0f} ms)"
    )
    print(
        f"references on a deps item ({names['locations']} locations, the producer's `key` included): first "
        f"{names['references'][0]:.0f} ms, then p50 {percentile(names['references'][1:], 50):.0f} ms, "
        f"p99 {percentile(names['references'][1:], 99):.0f} ms; rename ({names['edits']} edits): "
        f"p50 {percentile(names['rename'], 50):.0f} ms, p99 {percentile(names['rename'], 99):.0f} ms "
        f"({NAME_REQUESTS} requests each, over all {files} files)"
    )
    print(
        f"server RSS (workers excluded): {rss_indexed / 1024:.1f} MiB indexed, {rss_loaded / 1024:.1f} MiB "
        f"with every project loaded"
    )
    print(
        f"watched-file changes in .local_defs_state/, target/, .venv/, .cache/: {len(noise)} sent, "
        f"{ignored} loads started; a defs.yaml change: a load started"
    )


NAME_REQUESTS = 50


async def measure_names(session: Session, target: Path, line: int, new_name: str) -> dict:
    """Milliseconds of each references and rename request on the `deps` item of `target` (each over every
    component file of the workspace), and how many locations and edits they answer."""
    document = types.TextDocumentIdentifier(uri=target.as_uri())
    position = types.Position(line=line, character=8)
    timings: dict = {"references": [], "rename": []}
    for _ in range(NAME_REQUESTS + 1):
        asked = time.perf_counter()
        found = await session.client.text_document_references_async(
            types.ReferenceParams(
                text_document=document, position=position, context=types.ReferenceContext(include_declaration=True)
            )
        )
        timings["references"].append((time.perf_counter() - asked) * 1000)
    for _ in range(NAME_REQUESTS):
        asked = time.perf_counter()
        edit = await session.client.text_document_rename_async(
            types.RenameParams(text_document=document, position=position, new_name=new_name)
        )
        timings["rename"].append((time.perf_counter() - asked) * 1000)
    changes = edit.document_changes or [] if edit is not None else []
    timings["locations"] = len(found or ())
    timings["edits"] = sum(len(c.edits) for c in changes) + sum(len(e) for e in (edit.changes or {}).values())
    return timings


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--projects", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.files, args.projects))


if __name__ == "__main__":
    main()
