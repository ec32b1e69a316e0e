"""Inlay hints on a 2,000-line defs.yaml: the first answer (one worker `render` call), cached answers, after an edit.

Usage: .venv/bin/python benchmarks/inlay_hints.py [--samples N] [--edits N]

The real server over stdio, driven like VS Code, on a temp copy of examples/acme_analytics whose
`reports/defs.yaml` is replaced by 40 documents of 50 lines (the folder's WeeklyReport with its
template vars, an environment variable and `context.project_root`: 360 templated values). Prints
median and p99 of `textDocument/inlayHint` over the whole file once the worker's answer is cached
(the goal: 50 ms), the first answer, and the answer after each edit (a new version: one new worker
call for the file). Every wait is for a response, never a sleep; times are reported, not asserted.
"""

from __future__ import annotations

import os
import sys

# benchmarks/typing.py shares its name with the standard library's `typing`: as a script, this
# folder comes first on sys.path, so it leaves before anything imports `typing`.
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402
from pytest_lsp import client_capabilities  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "acme_analytics"
DOCUMENTS = 40
TIMEOUT = 120.0


def document(i: int) -> str:
    """50 lines: 3 template vars and env, 6 `context.project_root` paths, 37 plain strings."""
    lines = [
        "type: .weekly_report.WeeklyReport",
        "template_vars_module: .template_vars",
        "attributes:",
        f"  asset_key: reports/digest_{i}",
        '  owner: "{{ research_owner }}"',
        '  cron: "{{ monday_morning }}"',
        '  destination: "{{ env.ACME_REPORT_BUCKET }}"',
        "  sources:",
        *(f'    - "{{{{ context.project_root }}}}/sources/s{j}"' for j in range(6)),
        *(f"    - research/plain_{i}_{j}" for j in range(37)),
        "---",
    ]
    return "\n".join(lines) + "\n"


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(samples: int, edits: int) -> None:
    with tempfile.TemporaryDirectory(prefix="dcls-hints-") as tmp:
        root = Path(tmp) / "acme_analytics"
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".local_defs_state", "target", "*.duckdb"))
        path = root / "src" / "acme_analytics" / "defs" / "reports" / "defs.yaml"
        text = "".join(document(i) for i in range(DOCUMENTS)).removesuffix("---\n")
        path.write_text(text)
        client = LanguageClient("inlay-hints-benchmark", "1")
        for method in (types.CLIENT_REGISTER_CAPABILITY, types.WINDOW_WORK_DONE_PROGRESS_CREATE):
            client.feature(method)(lambda params: None)
        for method in (types.WINDOW_LOG_MESSAGE, types.WINDOW_SHOW_MESSAGE, types.PROGRESS):
            client.feature(method)(lambda params: None)
        ready = asyncio.Event()

        @client.feature("dagster/status")
        def on_status(params) -> None:
            if getattr(params, "subject", None) == "registry" and getattr(params, "state", None) == "ready":
                ready.set()

        client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda params: None)
        env = {**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(Path(tmp) / "cache"), "ACME_REPORT_BUCKET": "s3://x"}
        await client.start_io(sys.executable, "-m", "dagster_components_ls", env=env, cwd=str(root))
        # The server logs to stderr: read it, or a full pipe stops the server.
        drain = asyncio.ensure_future(_drain(client._server.stderr))
        await asyncio.wait_for(
            client.initialize_async(
                types.InitializeParams(
                    capabilities=client_capabilities("visual-studio-code"),
                    root_uri=root.as_uri(),
                    initialization_options={"python": sys.executable, "lineage": {"enabled": False}},
                )
            ),
            TIMEOUT,
        )
        client.initialized(types.InitializedParams())
        uri = path.as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
            )
        )
        await asyncio.wait_for(ready.wait(), TIMEOUT)
        lines = text.count("\n") + 1
        whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=lines, character=0))
        params = types.InlayHintParams(text_document=types.TextDocumentIdentifier(uri=uri), range=whole)

        async def hints() -> tuple[float, int]:
            start = time.perf_counter()
            result = await asyncio.wait_for(client.text_document_inlay_hint_async(params), TIMEOUT)
            took = (time.perf_counter() - start) * 1000
            return took, len(result or ())

        first, count = await hints()
        cached = [(await hints())[0] for _ in range(samples)]
        edited = []
        for version in range(2, edits + 2):
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[
                        types.TextDocumentContentChangeWholeDocument(text=text.replace("digest_0", f"digest_{version}"))
                    ],
                )
            )
            edited.append((await hints())[0])
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
        drain.cancel()
    print(f"file: {lines} lines, {DOCUMENTS} documents, {count} hints")
    print(f"first answer (registry, one worker render call): {first:.0f} ms")
    print(
        f"cached answer: median {statistics.median(cached):.1f} ms, p99 {percentile(cached, 0.99):.1f} ms "
        f"({samples} samples; goal 50 ms)"
    )
    if edited:
        print(
            f"after an edit (one new render call): median {statistics.median(edited):.0f} ms, "
            f"p99 {percentile(edited, 0.99):.0f} ms ({edits} edits)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--edits", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.samples, args.edits))
