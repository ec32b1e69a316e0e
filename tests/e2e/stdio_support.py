"""A raw JSON-RPC client over the real server's stdio, for protocol edges pytest-lsp cannot produce
(bad frames, requests after shutdown, exit codes)."""

import itertools
import json
import os
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any, Optional

from e2e_support import EXAMPLES, SERVER_COMMAND, SHARED_CACHE

WAIT = 30.0
"""Seconds a test waits for one answer or for the process to exit, before it fails."""


def frame(message: dict, length: Optional[int] = None) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body) if length is None else length}\r\n\r\n".encode() + body


class StdioServer:
    """The server as a child process; what it writes is read on a thread into a queue."""

    def __init__(self, stderr: Path, cache: Path = SHARED_CACHE, env: Optional[dict] = None) -> None:
        self.stderr_path = stderr
        self._stderr = stderr.open("wb")
        self.process = subprocess.Popen(
            SERVER_COMMAND,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(cache), **(env or {})},
        )
        self.messages: "queue.Queue[dict]" = queue.Queue()
        self.seen: list[dict] = []
        self._ids = itertools.count(1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = None
            while True:
                line = stdout.readline()
                if not line:
                    return
                if line == b"\r\n":
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            self.messages.put(json.loads(stdout.read(length)))

    def write(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def notify(self, method: str, params: Any = None) -> None:
        self.write(frame({"jsonrpc": "2.0", "method": method, "params": params}))

    def request(self, method: str, params: Any = None) -> int:
        request_id = next(self._ids)
        self.write(frame({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
        return request_id

    answers_requests = True
    """Whether requests the server sends are answered (with null) as they arrive."""

    def wait_for(self, wanted, timeout: float = WAIT) -> dict:
        """The first message (seen before, or read now) for which `wanted(message)` holds."""
        for message in self.seen:
            if wanted(message):
                return message
        while True:
            message = self.messages.get(timeout=timeout)
            self.seen.append(message)
            if "method" in message and "id" in message and self.answers_requests:  # a request to the client
                self.write(frame({"jsonrpc": "2.0", "id": message["id"], "result": None}))
            if wanted(message):
                return message

    def answer(self, request_id: Any, timeout: float = WAIT) -> dict:
        """The server's response to `request_id`."""
        return self.wait_for(lambda m: m.get("id") == request_id and "method" not in m, timeout)

    def call(self, method: str, params: Any = None) -> dict:
        return self.answer(self.request(method, params))

    def initialize(
        self, options: Optional[dict] = None, process_id: Optional[int] = None, capabilities: Optional[dict] = None
    ) -> dict:
        result = self.call(
            "initialize",
            {
                "processId": process_id,
                "rootUri": EXAMPLES.as_uri(),
                "capabilities": capabilities or {},
                "initializationOptions": {"lineage": {"enabled": False}, **(options or {})},
            },
        )
        self.notify("initialized", {})
        return result

    def exit_code(self, timeout: float = WAIT) -> int:
        return self.process.wait(timeout=timeout)

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._stderr.close()
