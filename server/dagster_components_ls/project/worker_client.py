"""The worker subprocess seen from the server: start, call with a timeout, kill and restart."""

import json
import logging
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from ..worker import protocol

WORKER_DIR = Path(__file__).resolve().parent.parent / "worker"
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
STDERR_KEPT_BYTES = 64 * 1024
"""What is kept of the worker's stderr, for error messages: its last 64 KiB (user code may print without end)."""
STDERR_TAIL_CHARS = 4096
"""At most this much of that tail goes into an error message (a status, a diagnostic)."""
STDERR_CHUNK = 64 * 1024
TIMEOUT_CAP_ENV = "DAGSTER_COMPONENTS_LS_CALL_TIMEOUT"
"""Seconds: an upper bound on every worker call's timeout (tests of hung user code set it low)."""
_EOF = object()

log = logging.getLogger(__name__)


def capped(timeout: float) -> float:
    """The timeout a call actually gets (see TIMEOUT_CAP_ENV)."""
    return min(timeout, _timeout_cap())


def _timeout_cap() -> float:
    try:
        return float(os.environ.get(TIMEOUT_CAP_ENV, "inf"))
    except ValueError:
        return float("inf")


class WorkerError(Exception):
    """A call that produced no result. kind: "timeout" | "crashed" | "exception" | "unavailable" | "no-dagster"
    (the interpreter has no Dagster)."""

    def __init__(self, kind: str, message: str, stderr_tail: str = "", traceback: str = "") -> None:
        super().__init__(f"{message}\n{stderr_tail}".rstrip())
        self.kind = kind
        self.message = message
        self.stderr_tail = stderr_tail
        self.traceback = traceback


class BoundedTail:
    """The last `limit` bytes written to a stream; what came before is dropped. Shared between the
    thread that reads the stream and the callers that report it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._data = bytearray()
        self._lock = threading.Lock()

    def add(self, chunk: bytes) -> None:
        with self._lock:
            self._data += chunk[-self.limit :]
            del self._data[: -self.limit]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def text(self) -> str:
        with self._lock:
            return self._data.decode("utf-8", errors="replace")


def dg_environment(python: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment `dg` gives a project run with this interpreter: its venv activated (its
    `bin/` first on PATH, so a `dbt` or `sling` executable beside it is the one found) and dg's own
    variable (DAGSTER_IS_DEV_CLI, which dg sets for every command and project code may read)."""
    env = dict(os.environ if base is None else base)
    scripts = str(Path(python).parent)  # not resolved: a venv's python is a link to the base interpreter
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != scripts]
    env["PATH"] = os.pathsep.join([scripts, *path])
    if (Path(scripts).parent / "pyvenv.cfg").is_file():
        env["VIRTUAL_ENV"] = str(Path(scripts).parent)
    env.pop("PYTHONHOME", None)
    env["DAGSTER_IS_DEV_CLI"] = "1"
    return env


class WorkerProcess:
    """`python <worker dir>` in the project's interpreter, one call at a time.

    It runs user code, so no call blocks beyond its timeout: a worker that overruns is killed with
    its whole process group (dbt and other children included), and the next call starts a new one,
    after a backoff that doubles with each consecutive failure.
    """

    def __init__(self, python: Path, cwd: Path, env: Mapping[str, str] | None = None) -> None:
        self.python = python
        self.cwd = cwd
        self.env = dict(env) if env is not None else dg_environment(python)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._responses: queue.Queue[Any] = queue.Queue()
        self._stderr = BoundedTail(STDERR_KEPT_BYTES)
        self._stderr_thread: threading.Thread | None = None
        self._next_id = 0
        self._failures = 0
        self._next_start = 0.0  # monotonic time before which no restart happens
        self._closed = False
        self._interruptible = False
        """True while a call runs in a worker that answered its ping, so has its SIGUSR1 handler (before
        that, SIGUSR1's default action would kill the starting worker)."""

    @property
    def pid(self) -> int | None:
        """The running worker's pid (also its process group id), or None."""
        return self._proc.pid if self._proc is not None and self._alive() else None

    def stderr_tail(self, lines: int = 20) -> str:
        """The last lines the worker wrote to stderr, at most STDERR_TAIL_CHARS of them."""
        tail = "\n".join(self._stderr.text().rstrip("\n").split("\n")[-lines:])
        return tail if len(tail) <= STDERR_TAIL_CHARS else "…" + tail[-(STDERR_TAIL_CHARS - 1) :]

    def call(self, method: str, params: Mapping[str, Any] | None = None, timeout: float = 30.0) -> dict[str, Any]:
        timeout = min(timeout, _timeout_cap())
        deadline = time.monotonic() + timeout
        if not self._lock.acquire(timeout=timeout):
            raise WorkerError("timeout", f"worker busy: {method} waited {timeout:g} s for another call")
        try:
            self._ensure_started(deadline)
            self._interruptible = True
            return self._call(method, dict(params or {}), deadline)
        finally:
            self._interruptible = False
            self._lock.release()

    def interrupt(self) -> None:
        """Cancels a running `load` (the worker kills that call's child and answers {"cancelled": true})."""
        proc = self._proc
        if self._interruptible and proc is not None and proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGUSR1)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        """Asks the worker to exit, then kills its process group; a call in progress fails."""
        self._closed = True
        if not self._lock.acquire(timeout=1.0):
            self._kill()  # a call holds the lock: it sees the worker die and raises
            return
        try:
            if self._alive():
                try:
                    self._call(protocol.METHOD_SHUTDOWN, {}, time.monotonic() + 2.0)
                except WorkerError:
                    pass
            self._kill()
        finally:
            self._lock.release()

    def __enter__(self) -> "WorkerProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, params: dict[str, Any], deadline: float) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdin is not None
        self._next_id += 1
        request_id = self._next_id
        try:
            self._proc.stdin.write(json.dumps({"id": request_id, "method": method, "params": params}).encode() + b"\n")
            self._proc.stdin.flush()
        except OSError:
            raise self._crashed(method) from None
        doing = None  # the last step the worker announced (see protocol.py, Progress)
        while True:
            try:
                response = self._responses.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self._fail()
                self._drain_stderr()
                during = f" while {doing}" if doing else ""
                raise WorkerError(
                    "timeout", f"worker call {method} timed out{during}; the worker was killed", self.stderr_tail()
                ) from None
            if response is _EOF:
                raise self._crashed(method)
            if response.get("id") != request_id:
                continue
            if "progress" in response:
                doing = str(response["progress"])
                continue
            break
        self._failures = 0  # the worker answered: it is healthy, even if the call raised
        if "error" in response:
            error = response["error"]
            kind = "no-dagster" if error.get("kind") == protocol.ERROR_NO_DAGSTER else "exception"
            raise WorkerError(
                kind, error.get("message", "worker error"), self.stderr_tail(), error.get("traceback", "")
            )
        return response["result"]

    def _ensure_started(self, deadline: float) -> None:
        if self._closed:
            raise WorkerError("unavailable", "worker is closed")
        if self._alive():
            return
        if self._proc is not None:  # it exited between calls
            self._fail()
        wait = self._next_start - time.monotonic()
        if wait >= deadline - time.monotonic():
            raise WorkerError("unavailable", f"worker restarts in {wait:.1f} s, after a failure", self.stderr_tail())
        if wait > 0:
            time.sleep(wait)
        self._start()
        try:  # a quick answer first: an interpreter that cannot run the worker is named as such
            self._call(protocol.METHOD_PING, {}, deadline)
        except WorkerError as exc:
            if exc.kind != "crashed":
                raise
            detail = exc.stderr_tail.strip().splitlines()[-1] if exc.stderr_tail.strip() else exc.message
            raise WorkerError(
                "unavailable",
                f"{self.python} is not a Python interpreter that can run the worker ({detail})",
                exc.stderr_tail,
            ) from None

    def _start(self) -> None:
        self._responses = queue.Queue()
        self._stderr.clear()
        try:
            self._proc = subprocess.Popen(
                [str(self.python), str(WORKER_DIR)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.cwd,
                env=self.env,
                start_new_session=True,  # its own process group, so a kill reaches user subprocesses
            )
        except OSError as e:
            self._proc = None
            self._note_failure()
            raise WorkerError("unavailable", f"cannot start the worker with {self.python}: {e}") from e
        assert self._proc.stdout is not None and self._proc.stderr is not None
        threading.Thread(
            target=self._read_stdout, args=(self._proc.stdout, self._responses), name="worker-stdout", daemon=True
        ).start()
        self._stderr_thread = threading.Thread(
            target=self._read_stderr, args=(self._proc.stderr,), name="worker-stderr", daemon=True
        )
        self._stderr_thread.start()

    @staticmethod
    def _read_stdout(stream: IO[bytes], responses: "queue.Queue[Any]") -> None:
        for line in stream:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not ours: only protocol lines reach this pipe, but never trust it
            if isinstance(message, dict):
                responses.put(message)
        stream.close()
        responses.put(_EOF)

    def _read_stderr(self, stream: IO[bytes]) -> None:
        """Reads in chunks, never a whole line: 300 MB without a newline must not be held at once. Each
        line is logged (`check` echoes them); a longer run without a newline is logged chunk by chunk."""
        partial = b""
        read = getattr(stream, "read1", stream.read)  # read1: what is there, up to the size
        while chunk := read(STDERR_CHUNK):
            self._stderr.add(chunk)
            *lines, partial = (partial + chunk).split(b"\n")
            if len(partial) >= STDERR_CHUNK:
                lines.append(partial)
                partial = b""
            for line in lines:
                log.debug("worker: %s", line.decode("utf-8", errors="replace"))
        if partial:
            log.debug("worker: %s", partial.decode("utf-8", errors="replace"))
        stream.close()

    def _drain_stderr(self) -> None:
        """After the worker died: let its last words (the pipe's content) reach the tail, briefly."""
        if self._stderr_thread is not None:
            self._stderr_thread.join(timeout=0.5)

    def _crashed(self, method: str) -> WorkerError:
        """Marks the worker dead after it closed its pipes; the error says how it ended."""
        proc = self._proc
        code = None
        if proc is not None:
            try:
                code = proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
        self._drain_stderr()
        self._fail()
        if self._closed:
            return WorkerError("unavailable", "worker is closed")
        return WorkerError("crashed", f"worker exited (code {code}) during {method}", self.stderr_tail())

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _fail(self) -> None:
        """The worker is unusable: kill it and everything it started, and back off."""
        self._kill()
        self._note_failure()

    def _note_failure(self) -> None:
        self._failures += 1
        delay = min(BACKOFF_FIRST * 2 ** (self._failures - 1), BACKOFF_MAX)
        self._next_start = time.monotonic() + delay

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # pgid == pid: start_new_session
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:  # stuck in the kernel; SIGKILL will land eventually
            log.warning("worker %s did not exit after SIGKILL", proc.pid)
        # Only stdin: the reader threads close stdout and stderr at EOF. Closing them here could
        # block on a reader's buffer lock when a daemonized grandchild still holds the pipe.
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
