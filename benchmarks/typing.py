"""Typing simulation over every component YAML file of ../shared/corpus/realworld and of examples/.

Usage: .venv/bin/python benchmarks/typing.py [--stride N] [--limit CHARS] [--edits N] [--seed S]

Each file is typed into the real server character by character (a completion and a hover at the
cursor after every `stride`-th character; default every one), then edited at random (`edits` seeded
random deletions, insertions and pasted lines, each followed by both requests); the typed document's
diagnostics are compared with a fresh open of the same text. Prints requests sent, failures (error
responses, exceptions, timeouts), mismatches and latency percentiles; never asserts.
"""

from __future__ import annotations

import os
import sys

# This file's name is also the standard library's `typing`: as a script, its folder comes first on
# sys.path, so it leaves before anything imports `typing`.
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from lsprotocol import types  # noqa: E402
from pytest_lsp import client_capabilities  # noqa: E402
from pytest_lsp.client import make_test_lsp_client  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))

from typing_support import Tally, Typist, corpus_files, example_files  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


async def run(args: argparse.Namespace) -> None:
    client = make_test_lsp_client()  # records publishDiagnostics like the test client
    for request in (types.CLIENT_REGISTER_CAPABILITY, types.WORKSPACE_CODE_LENS_REFRESH):
        client.feature(request)(lambda params: None)
    client.feature("dagster/status")(lambda params: None)
    env = {
        **os.environ,
        "DAGSTER_COMPONENTS_LS_CACHE": os.environ.get(
            "DAGSTER_COMPONENTS_LS_CACHE", "/tmp/dagster-components-ls-test-cache"
        ),
    }
    await client.start_io(sys.executable, "-m", "dagster_components_ls", env=env)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=(REPO / "examples").as_uri(),
            initialization_options={"python": sys.executable, "lineage": {"enabled": False}},
        )
    )
    files = example_files() + corpus_files()
    rng = random.Random(args.seed)
    tally = Tally()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dcls-typing-") as tmp:
        for number, source in enumerate(files):
            text = source.read_text(encoding="utf-8", errors="replace")
            text = text[: args.limit] if args.limit else text
            target = source if REPO in source.parents else Path(tmp) / str(number) / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            typist = Typist(client, target.as_uri(), tally)
            typist.open()
            await typist.type_out(text, args.stride)
            await typist.random_edits(rng, args.edits)
            await typist.compare_with_fresh_open()
            if number % 20 == 0:
                print(
                    f"  {number + 1}/{len(files)} files, {tally.requests} requests, {len(tally.failures)} failures",
                    file=sys.stderr,
                )
    elapsed = time.perf_counter() - started
    await client.shutdown_session()
    lat = tally.latencies_ms
    print(
        f"files: {len(files)} ({len(example_files())} examples, {len(files) - len(example_files())} corpus), "
        f"stride {args.stride}, {args.edits} random edits each, seed {args.seed}"
    )
    print(
        f"requests sent: {tally.requests}   failures: {len(tally.failures)}   "
        f"diagnostic mismatches after typing: {len(tally.mismatches)} of {tally.compared} documents "
        f"({tally.with_diagnostics} with diagnostics)   wall time: {elapsed:.0f} s"
    )
    print(
        f"latency ms (completion and hover): median {statistics.median(lat):.1f}  p95 {percentile(lat, 0.95):.1f}  "
        f"p99 {percentile(lat, 0.99):.1f}  max {max(lat):.1f}"
    )
    for line in (tally.failures + tally.mismatches)[:20]:
        print("  " + line[:300])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stride", type=int, default=1, help="ask after every N-th character (default 1)")
    parser.add_argument("--limit", type=int, default=0, help="type only the first CHARS of each file (0: all)")
    parser.add_argument("--edits", type=int, default=50, help="seeded random edits per file after typing it")
    parser.add_argument("--seed", type=int, default=20261126)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
