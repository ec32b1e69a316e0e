"""Lineage refresh times against `dg list defs --json` on the same project, in the same run.

Usage: .venv/bin/python benchmarks/lineage.py [--runs N] [--dg-runs N] [--project PATH]

Prints median, p99 and peak memory for:
- `dg list defs --json`: what a user runs today to see the assets (it runs `dbt parse` every time);
- our cold load: a new worker (interpreter start, Dagster and dbt imports) loading the project;
- our warm load: the same worker after a save (what every refresh after the first costs);
- the server end to end: `didSave` of a defs.yaml until `dagster/status` says the lineage is ready
  (debounce included), over LSP on stdio.
Each run of ours follows a rewrite of a defs.yaml (a save), so nothing is answered from a cache.
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
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pytest_lsp import client_capabilities

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "server"))

from dagster_components_ls.project.worker_client import WorkerProcess  # noqa: E402


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def copy_project(source: Path) -> Path:
    """A copy, so that dg's and our state writes never touch the repository; its dbt state is prepared once."""
    root = Path(tempfile.mkdtemp(prefix="dcls-lineage-")) / source.name
    shutil.copytree(
        source, root, ignore=shutil.ignore_patterns(".local_defs_state", "target", "__pycache__", "*.duckdb")
    )
    with WorkerProcess(Path(sys.executable), root) as worker:
        worker.call("load", {"project_root": str(root), "prepare": True}, timeout=600)
    return root


def save(project: Path) -> Path:
    path = project / "src" / project.name / "defs" / "metrics" / "defs.yaml"
    path.write_text(path.read_text())
    return path


def dg_list_defs(project: Path, runs: int) -> tuple[list[float], int]:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [str(BIN / "dg"), "list", "defs", "--json"], cwd=project, env=env, capture_output=True, text=True
        )
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"dg list defs failed:\n{done.stderr[-2000:]}")
    return times, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def worker_rss(pid: int) -> int:
    """RSS (KiB) of the worker process (its forked loads are short-lived)."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def ours(project: Path, cold_runs: int, warm_runs: int) -> tuple[list[float], list[float], int, int]:
    cold, warm, rss, assets = [], [], 0, 0
    for _ in range(cold_runs):
        save(project)
        start = time.perf_counter()
        with WorkerProcess(Path(sys.executable), project) as worker:
            result = worker.call("load", {"project_root": str(project), "prepare": False}, timeout=300)
            cold.append(time.perf_counter() - start)
            assets = len(result["assets"])
    with WorkerProcess(Path(sys.executable), project) as worker:
        worker.call("load", {"project_root": str(project), "prepare": False}, timeout=300)
        for _ in range(warm_runs):
            save(project)
            time.sleep(0.3)  # the worker imports what the last load taught it after answering
            start = time.perf_counter()
            result = worker.call("load", {"project_root": str(project), "prepare": False}, timeout=300)
            warm.append(time.perf_counter() - start)
            assert not result.get("errors") and not result.get("needs_prepare"), result.get("errors")
        rss = worker_rss(worker.pid)
    return cold, warm, rss, assets


async def server_refresh(project: Path, runs: int) -> list[float]:
    """Save -> `dagster/status` lineage ready, through the real server."""
    client = LanguageClient("lineage-benchmark", "1")
    ready: asyncio.Queue[float] = asyncio.Queue()

    @client.feature("dagster/status")
    def on_status(params) -> None:
        if params.subject == "lineage" and params.state in ("ready", "error"):
            ready.put_nowait(time.perf_counter())

    for request in (
        types.CLIENT_REGISTER_CAPABILITY,
        types.WINDOW_WORK_DONE_PROGRESS_CREATE,
        types.WORKSPACE_CODE_LENS_REFRESH,
    ):
        client.feature(request)(lambda params: None)
    for notification in (
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        types.WINDOW_LOG_MESSAGE,
        types.PROGRESS,
        types.WINDOW_SHOW_MESSAGE,
    ):
        client.feature(notification)(lambda params: None)
    env = {**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": tempfile.mkdtemp(prefix="dcls-bench-")}
    await client.start_io(sys.executable, "-m", "dagster_components_ls", env=env, cwd=str(project))
    asyncio.get_running_loop().create_task(_drain(client._server.stderr))
    await client.initialize_async(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=project.as_uri(),
            initialization_options={"python": sys.executable},
        )
    )
    client.initialized(types.InitializedParams())
    path = save(project)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="yaml", version=1, text=path.read_text()
            )
        )
    )
    await asyncio.wait_for(ready.get(), 300)  # the first load: a cold worker
    times = []
    for _ in range(runs):
        await asyncio.sleep(0.5)
        save(project)
        start = time.perf_counter()
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()))
        )
        times.append(await asyncio.wait_for(ready.get(), 300) - start)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return times


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20, help="warm loads and server refreshes")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--dg-runs", type=int, default=3)
    parser.add_argument("--project", type=Path, default=REPO / "examples" / "acme_analytics")
    args = parser.parse_args()
    project = copy_project(args.project.resolve())
    try:
        cold, warm, rss, assets = ours(project, args.cold_runs, args.runs)
        server = asyncio.run(server_refresh(project, args.runs))
        dg, dg_rss = dg_list_defs(project, args.dg_runs)
    finally:
        shutil.rmtree(project.parent, ignore_errors=True)
    print(f"Project: {args.project.name} ({assets} assets, dbt-duckdb), python {sys.version.split()[0]}")
    print(f"{'command':<52} {'runs':>4} {'median s':>9} {'p99 s':>7} {'peak RSS MiB':>13}")
    rows = [
        ("dg list defs --json", dg, dg_rss / 1024),
        ("ours: cold load (new worker, imports included)", cold, None),
        ("ours: warm load after a save (worker call)", warm, rss / 1024),
        ("ours: server, didSave -> lineage ready", server, None),
    ]
    for name, times, memory in rows:
        shown = f"{memory:.1f}" if memory is not None else "-"
        print(f"{name:<52} {len(times):>4} {statistics.median(times):>9.3f} {p99(times):>7.3f} {shown:>13}")
    print(f"dg list defs / our warm server refresh: {statistics.median(dg) / statistics.median(server):.1f}x")


if __name__ == "__main__":
    main()
