"""Scale: a generated workspace of 1,000 defs.yaml files across 3 dg projects.

Usage: .venv/bin/python benchmarks/scale.py [--files N] [--projects N]

A first server session fills the caches (registries, each project's last load); then a new server
starts on the same workspace, as after an editor restart, and this prints:
- time from spawn to a complete workspace/symbol answer (every component instance) and to an
  asset-key completion offering every asset of the project (from the stored load, before any load);
- workspace diagnostics: initialized -> every file's diagnostics published (no file opened), while
  the requests above are answered; a component change (a validator tightened in the project's component
  class, saved) -> every instance it now rejects published with the component's own error (the worker's
  checks of closed files); another (a required field added) -> every instance re-published with it;
- references (on a `type:` value and on an asset key in `deps`), prepareRename and rename of an asset
  key: median and p99 over `--requests` requests each;
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
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import make_test_lsp_client

from dagster_components_ls.lsp.workspace_checks import FILES_PER_WORKER_CALL as FILES_PER_CALL

WIDGET = '''
import dagster as dg
import pydantic

RETIRED = "-none-"


class Widget(dg.Component, dg.Model, dg.Resolvable):
    """One widget asset, downstream of `deps`."""

    key: str
    deps: list[str] = []

    @pydantic.field_validator("key")
    @classmethod
    def _not_retired(cls, value: str) -> str:
        if value.endswith(RETIRED):
            raise ValueError(f"key {value!r} ends with {RETIRED!r}: retired")
        return value

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


class Recorded(dict):
    """The client's diagnostics by URI, each publish also appended to `log` with its time."""

    def __init__(self, log: list) -> None:
        super().__init__()
        self.log = log

    def __setitem__(self, uri: str, diagnostics: list) -> None:
        self.log.append((time.perf_counter(), uri, diagnostics))
        super().__setitem__(uri, diagnostics)


class Session:
    def __init__(self, workspace: Path, cache: Path) -> None:
        self.workspace, self.cache = workspace, cache
        self.client = make_test_lsp_client()
        self.statuses: list[tuple[float, object]] = []
        self.published: list[tuple[float, str, list]] = []
        """Every publishDiagnostics: when, the URI and its diagnostics."""
        self.client.feature("dagster/status")(lambda params: self.statuses.append((time.perf_counter(), params)))
        self.client.diagnostics = Recorded(self.published)  # pytest-lsp's own handler stores each publish there
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

    def save(self, path: Path, text: str) -> float:
        """`text` written to `path` and didSave sent, as an editor saves; when."""
        path.write_text(text)
        saved = time.perf_counter()
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()))
        )
        return saved

    def flagged(self, since: float, word: str) -> set[str]:
        """The URIs published since `since` with a diagnostic whose message holds `word`."""
        return {
            uri
            for at, uri, diagnostics in self.published
            if at >= since and any(word in d.message for d in diagnostics)
        }

    def published_uris(self, since: float = 0.0) -> set[str]:
        return {uri for at, uri, _ in self.published if at >= since}

    async def quiet(self, seconds: float = 3.0, timeout: float = 600) -> float:
        """Wait until no diagnostics were published for `seconds`; the time of the last publish."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            last = self.published[-1][0] if self.published else 0.0
            if time.perf_counter() - last >= seconds:
                return last
            await asyncio.sleep(0.1)
        raise TimeoutError("diagnostics kept coming")

    async def timed(self, count: int, request) -> list[float]:
        """`count` runs of the coroutine function `request`, in ms; the first answer must not be empty."""
        took = []
        for i in range(count):
            asked = time.perf_counter()
            answer = await request()
            took.append((time.perf_counter() - asked) * 1000)
            if i == 0 and not answer:
                raise RuntimeError(f"an empty answer: {answer!r}")
        return took

    async def stop(self) -> None:
        await self.client.shutdown_session()


NO_RETIRED = 'RETIRED = "-none-"'
RETIRED_5 = 'RETIRED = "5"'
REQUIRED_FIELD = "    key: str\n"
NEW_REQUIRED_FIELD = "    key: str\n    owner_team: str\n"


def figures(ms: list[float]) -> str:
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):.1f} ms, p99 {p99:.1f} ms"


async def navigation(session: Session, target: Path, project: str, count: int) -> dict[str, tuple[str, int]]:
    """references on a type and on an asset key, prepareRename and rename of that key: figures and answer sizes."""
    doc = types.TextDocumentIdentifier(uri=target.as_uri())
    lines = target.read_text().split("\n")
    on_type = types.Position(line=0, character=len("type: ") + 2)
    on_key = types.Position(line=lines.index(f"    - {project}/w0000"), character=len("    - ") + 2)
    found: dict[str, int] = {}

    async def references(position):
        answer = await session.client.text_document_references_async(
            types.ReferenceParams(
                text_document=doc, position=position, context=types.ReferenceContext(include_declaration=True)
            )
        )
        found["type" if position is on_type else "key"] = len(answer or [])
        return answer

    async def prepare():
        return await session.client.text_document_prepare_rename_async(
            types.PrepareRenameParams(text_document=doc, position=on_key)
        )

    async def rename():
        edit = await session.client.text_document_rename_async(
            types.RenameParams(text_document=doc, position=on_key, new_name=f"{project}/renamed")
        )
        if edit is not None:
            per_file = [len(v) for v in (edit.changes or {}).values()]
            per_file += [len(c.edits) for c in edit.document_changes or () if isinstance(c, types.TextDocumentEdit)]
            found["rename"] = sum(per_file)
        return edit

    out = {}
    for name, request, size in (
        ("references on a type: value", lambda: references(on_type), "type"),
        ("references on an asset key", lambda: references(on_key), "key"),
        ("prepareRename on an asset key", prepare, None),
        ("rename of an asset key", rename, "rename"),
    ):
        took = await session.timed(count, request)
        out[name] = (figures(took), found.get(size, 0) if size else 0)
    return out


async def run(files: int, projects: int, requests: int) -> None:
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
        rss_indexed = rss_kib(session.pid)
        # Meanwhile each project's closed files were checked (the log has when each was first published).
        every_file = {p.as_uri() for r in roots for p in (r / "src" / r.name / "defs").rglob("defs.yaml")}
        await session.until(lambda: every_file <= session.published_uris())
        first_publish = {}
        for at, uri, _ in session.published:
            first_publish.setdefault(uri, at)
        all_published_at = max(first_publish[u] for u in every_file) - started
        await session.quiet()
        rss_all_files = rss_kib(session.pid)
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
        nav = await navigation(session, target, roots[0].name, requests)

        # The platform engineer's loop, 1: project 0's validator tightened (keys ending in 5 retired), saved:
        # only the component's own validation (the worker) sees it, file by file in batches.
        await session.quiet()
        widget = roots[0] / "src" / roots[0].name / "components" / "widget.py"
        instances_0 = {p.as_uri() for p in (roots[0] / "src" / roots[0].name / "defs").rglob("defs.yaml")}
        retired_0 = {p.as_uri() for p in (roots[0] / "src" / roots[0].name / "defs").rglob("w???5/defs.yaml")}
        tightened = session.save(widget, widget.read_text().replace(NO_RETIRED, RETIRED_5))
        await session.until(lambda: retired_0 <= session.flagged(tightened, "retired"))
        validator_took = time.perf_counter() - tightened
        wrongly = session.flagged(tightened, "retired") - retired_0

        # The platform engineer's loop, 2: a required field added to project 0's component, saved.
        await session.quiet()
        changed = session.save(widget, widget.read_text().replace(REQUIRED_FIELD, NEW_REQUIRED_FIELD))
        await session.until(lambda: instances_0 <= session.flagged(changed, "owner_team"))
        recheck_took = time.perf_counter() - changed
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
        f"workspace diagnostics, no file opened: every one of the {len(every_file)} files published "
        f"{(all_published_at - initialized_at) * 1000:.0f} ms after initialized (goal 2 s), while the symbol "
        f"and completion requests above were answered"
    )
    print(
        f"a validator tightened in project 0's component and saved -> all {len(retired_0)} of its "
        f"{len(instances_0)} instances it now rejects published with the component's own error (the worker's "
        f"checks of every closed file, {FILES_PER_CALL} per call): {validator_took * 1000:.0f} ms "
        f"({len(wrongly)} other files flagged)"
    )
    print(
        f"a required field added to project 0's component and saved -> all {len(instances_0)} of its "
        f"instances re-published with the missing attribute: {recheck_took * 1000:.0f} ms (goal 3 s)"
    )
    for name, (numbers, size) in nav.items():
        print(f"{name}: {numbers} over {requests} requests" + (f" ({size} locations or edits)" if size else ""))
    print(
        f"server RSS (workers excluded): {rss_indexed / 1024:.1f} MiB after the completion, "
        f"{rss_all_files / 1024:.1f} MiB with every file's diagnostics published, {rss_loaded / 1024:.1f} MiB "
        f"with every project loaded (goal 150 MB)"
    )
    print(
        f"watched-file changes in .local_defs_state/, target/, .venv/, .cache/: {len(noise)} sent, "
        f"{ignored} loads started; a defs.yaml change: a load started"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--projects", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(run(args.files, args.projects, args.requests))


if __name__ == "__main__":
    main()
