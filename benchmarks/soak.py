"""Soak: edits at a steady rate for minutes, a completion probe each second; memory and latency over time.

Usage: .venv/bin/python benchmarks/soak.py [--seconds 300] [--rate 200]

One real server over stdio (loopback only), one metric's defs.yaml in a temp copy of
examples/acme_analytics, lineage off. Each edit is an incremental `didChange` that types or deletes one
character at the end of a line, so the text stays the same size; each second a completion request at
the blank attribute line measures latency. Prints the server's RSS at the start, every 30 s and at the
end, p50/p99 of the probes, failures (error answers, probes unanswered within 10 s, a server that
exits), and the size of pygls' table of in-flight handlers (the internal `dagster/debug` request).
Stops by itself; no figure is asserted.
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
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "acme_analytics"
PROBE_TIMEOUT = 10.0
TEXT = "type: acme_analytics.components.metric.Metric\n\nattributes:\n  name: revenue\n  \n  table: orders\n"
PROBE = {"line": 4, "character": 2}
EDITED_LINE = 3  # `  name: revenue`: one character typed at its end, then deleted


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


class Session:
    """The server process and a reader that resolves our requests' futures."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.next_id = 0
        self.waiting: dict[int, asyncio.Future] = {}
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = 0
            while True:
                line = await stdout.readline()
                if not line:
                    return
                if line == b"\r\n":
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            message = json.loads(await stdout.readexactly(length))
            if "method" in message and "id" in message:  # the server asks something: a null answer will do
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message and message["id"] in self.waiting:
                self.waiting.pop(message["id"]).set_result(message)

    def send(self, message: dict) -> None:
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    async def request(self, method: str, params: Any, timeout: float = 120.0) -> dict:
        self.next_id += 1
        future = self.waiting[self.next_id] = asyncio.get_running_loop().create_future()
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        assert self.process.stdin is not None
        await self.process.stdin.drain()
        return await asyncio.wait_for(future, timeout)


async def soak(seconds: float, rate: float) -> dict:
    work = Path(tempfile.mkdtemp(prefix="dcls-soak-"))
    project = work / "acme_analytics"
    shutil.copytree(
        EXAMPLE, project, ignore=shutil.ignore_patterns(".local_defs_state", "target", "__pycache__", "*.duckdb")
    )
    path = project / "src" / "acme_analytics" / "defs" / "metrics" / "defs.yaml"
    path.write_text(TEXT)
    uri = path.as_uri()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "dagster_components_ls",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO / "server")},
        limit=2**24,
    )
    session = Session(process)
    try:
        await session.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": project.as_uri(),
                "capabilities": {},
                "initializationOptions": {"python": sys.executable, "lineage": {"enabled": False}},
            },
        )
        session.notify("initialized", {})
        session.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": TEXT}}
        )
        probe = {"textDocument": {"uri": uri}, "position": PROBE}
        for _ in range(100):  # until the registry is read: the probe offers the metric's attributes
            items = (await session.request("textDocument/completion", probe)).get("result") or {}
            if any(i["label"] == "column" for i in items.get("items", [])):
                break
            await asyncio.sleep(0.1)
        start_rss = rss_mib(process.pid)
        samples: list[float] = []
        rss_trace = [(0, start_rss)]
        failures, version, edits = 0, 1, 0
        line_end = len(TEXT.splitlines()[EDITED_LINE])
        began = time.monotonic()
        next_probe, next_sample = 0.0, 30.0
        while (elapsed := time.monotonic() - began) < seconds:
            version += 1
            typed = version % 2 == 0
            change = (
                {
                    "range": {
                        "start": {"line": EDITED_LINE, "character": line_end},
                        "end": {"line": EDITED_LINE, "character": line_end},
                    },
                    "text": "x",
                }
                if typed
                else {
                    "range": {
                        "start": {"line": EDITED_LINE, "character": line_end},
                        "end": {"line": EDITED_LINE, "character": line_end + 1},
                    },
                    "text": "",
                }
            )
            session.notify(
                "textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}
            )
            edits += 1
            if elapsed >= next_probe:
                next_probe += 1.0
                sent = time.perf_counter()
                try:
                    answer = await session.request("textDocument/completion", probe, timeout=PROBE_TIMEOUT)
                    if "error" in answer or not (answer.get("result") or {}).get("items"):
                        failures += 1
                    samples.append((time.perf_counter() - sent) * 1000)
                except asyncio.TimeoutError:
                    failures += 1
            if elapsed >= next_sample:
                next_sample += 30.0
                rss_trace.append((round(elapsed), rss_mib(process.pid)))
            assert process.stdin is not None
            await process.stdin.drain()
            # Pacing, not synchronisation: the edits go out at `rate` per second whatever the server does.
            await asyncio.sleep(max(0.0, began + edits / rate - time.monotonic()))
        if process.returncode is not None:
            failures += 1
        debug = (await session.request("dagster/debug", None)).get("result")
        end_rss = rss_mib(process.pid)
        rss_trace.append((round(time.monotonic() - began), end_rss))
        await session.request("shutdown", None)
        session.notify("exit", None)
        await asyncio.wait_for(process.wait(), 30)
        return {
            "seconds": seconds,
            "rate": rate,
            "edits": edits,
            "probes": len(samples),
            "failures": failures,
            "rss_start_mib": round(start_rss, 1),
            "rss_end_mib": round(end_rss, 1),
            "rss_trace": [(t, round(m, 1)) for t, m in rss_trace],
            "p50_ms": round(statistics.median(samples), 1) if samples else None,
            "p99_ms": round(_p99(samples), 1) if samples else None,
            "pending_futures": (debug or {}).get("pendingFutures"),
            "exit_code": process.returncode,
        }
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        session.reader.cancel()
        shutil.rmtree(work, ignore_errors=True)


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="how long to edit (default 300)")
    parser.add_argument("--rate", type=float, default=200.0, help="edits per second (default 200)")
    args = parser.parse_args(argv)
    result = asyncio.run(soak(args.seconds, args.rate))
    print(
        f"soak: {result['edits']} edits in {result['seconds']:.0f} s ({result['rate']:.0f}/s), {result['probes']} completion probes"
    )
    print(
        f"RSS: {result['rss_start_mib']} MiB at the start, {result['rss_end_mib']} MiB at the end; "
        + ", ".join(f"{t} s: {m}" for t, m in result["rss_trace"])
    )
    print(f"completion probe: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms")
    print(
        f"failures: {result['failures']}; in-flight handler table at the end: {result['pending_futures']}; "
        f"exit code {result['exit_code']}"
    )
    print(json.dumps(result))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
