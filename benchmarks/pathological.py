"""Completion and hover latency on pathological lines (a long run of spaces, a huge identifier in a
template), against the same requests on an ordinary line of the same file, same run.

Usage: .venv/bin/python benchmarks/pathological.py [--samples N]

The server runs as a real process over stdio, driven like an editor with VS Code's client capabilities,
on a lone defs.yaml in a temp folder (the installed types; the registry cache is filled first). Each
line is measured in its own document: 100,000 spaces after a key-like word with no colon, the same
with 1 MB, and a 1 MB identifier inside an open `{{`. Scanning that backtracks is quadratic there (issue
21: 6-12 s per request at 100,000 spaces, about ten minutes at 1 MB); linear scanning keeps a request
within a few times the cost of reading the line. Prints median and p99 per line; asserts nothing.
"""

from __future__ import annotations

import os
import sys

# benchmarks/typing.py shadows the standard library's `typing` while this folder is first on sys.path.
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pytest_lsp import client_capabilities

TIMEOUT = 1200.0  # a quadratic scanner takes minutes on 1 MB: report it rather than give up
HEAD = "type: acme_platform.ResearchJob\nattributes:\n  asset_key: research/x\n  owner: team:r\n"
LINES = {
    "ordinary line (desc)": "  desc",
    "100,000 spaces, no colon": "  x" + " " * 100_000,
    "1 MB of spaces, no colon": "  x" + " " * 1_000_000,
    "1 MB identifier in `{{`": "  description: '{{ " + "a" * 1_000_000 + " x",
}


async def start(root: Path, cache: Path) -> tuple[LanguageClient, asyncio.Event]:
    client = LanguageClient("pathological-benchmark", "1")
    ready = asyncio.Event()

    @client.feature("dagster/status")
    def on_status(params: Any) -> None:
        state = params.get("state") if isinstance(params, dict) else getattr(params, "state", None)
        if state in ("ready", "error"):
            ready.set()

    for request in (
        types.CLIENT_REGISTER_CAPABILITY,
        types.WINDOW_WORK_DONE_PROGRESS_CREATE,
        types.WORKSPACE_CONFIGURATION,
    ):
        client.feature(request)(lambda params: None)
    for notification in (
        types.WINDOW_LOG_MESSAGE,
        types.WINDOW_SHOW_MESSAGE,
        types.PROGRESS,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        types.TELEMETRY_EVENT,
    ):
        client.feature(notification)(lambda params: None)
    await client.start_io(
        sys.executable,
        "-m",
        "dagster_components_ls",
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(cache)},
        cwd=str(root),
    )
    await client.initialize_async(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            initialization_options={"python": sys.executable, "lineage": {"enabled": False}},
        )
    )
    client.initialized(types.InitializedParams())
    return client, ready


async def timed(call) -> float:
    started = time.perf_counter()
    await asyncio.wait_for(call(), TIMEOUT)
    return (time.perf_counter() - started) * 1000


async def measure(samples: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="dcls-pathological-"))
    try:
        client, ready = await start(work, work / "cache")
        (work / "s.py").write_text("")
        rows = []
        for number, (name, line) in enumerate(LINES.items()):
            folder = work / f"doc{number}"
            folder.mkdir()
            uri = (folder / "defs.yaml").as_uri()
            text = HEAD + line + "\n"
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
                )
            )
            await asyncio.wait_for(ready.wait(), TIMEOUT)
            where = dict(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=HEAD.count("\n"), character=len(line)),
            )
            completion, hover = [], []
            for _ in range(samples):
                completion.append(
                    await timed(lambda: client.text_document_completion_async(types.CompletionParams(**where)))
                )
                hover.append(await timed(lambda: client.text_document_hover_async(types.HoverParams(**where))))
            rows.append((name, completion, hover))
            client.text_document_did_close(
                types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
            )
        await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
        client.exit(None)
        await client.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'line at the cursor':34s} {'completion median / p99, ms':>30s} {'hover median / p99, ms':>26s}")
    for name, completion, hover in rows:
        print(f"{name:34s} {fmt(completion):>30s} {fmt(hover):>26s}")


def fmt(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):.1f} / {p99:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20, help="requests per line and measure (default 20)")
    asyncio.run(measure(parser.parse_args().samples))


if __name__ == "__main__":
    main()
