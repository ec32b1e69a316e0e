"""Short-lived child processes we start (interpreter probes): no share of our stdin, their own group, killed whole."""

import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

OUTPUT_LIMIT = 1 << 20
"""Bytes kept of each of a process's stdout and stderr (a probe prints a few KiB; a wrapper may print without end)."""


class ProcessTimeout(subprocess.SubprocessError):
    """The process overran its timeout; it was killed with its whole process group."""


def run_contained(
    argv: Sequence[str],
    timeout: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    limit: int = OUTPUT_LIMIT,
) -> subprocess.CompletedProcess[str]:
    """Runs argv to completion and returns its output (stdout, stderr as text, each its first `limit` bytes).

    The process may be a user's wrapper script, so it is contained: its stdin is /dev/null (our stdin
    is the editor's LSP stream; a wrapper that reads it would swallow requests), it gets its own
    process group (start_new_session), what it prints beyond `limit` is read and dropped, and at
    the timeout that whole group is killed, so a child it started cannot outlive it holding our pipes.
    """
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=None if env is None else dict(env),
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    try:
        stdout, stderr = _read_bounded(proc, deadline, limit)
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise ProcessTimeout(f"{argv[0]} did not finish within {timeout:g} s; its process group was killed") from None
    finally:
        if proc.poll() is None:  # the timeout, or an exception (KeyboardInterrupt): leave nothing behind
            kill_group(proc)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    return subprocess.CompletedProcess(
        list(argv), proc.returncode, stdout.decode("utf-8", errors="replace"), stderr.decode("utf-8", errors="replace")
    )


def _read_bounded(proc: subprocess.Popen, deadline: float, limit: int) -> tuple[bytes, bytes]:
    """Both pipes until they close (or the deadline: TimeoutExpired), keeping the first `limit` bytes of each."""
    assert proc.stdout is not None and proc.stderr is not None
    kept = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    with selectors.DefaultSelector() as selector:
        for fd in kept:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise subprocess.TimeoutExpired(proc.args, 0)
            for key, _ in selector.select(remaining):
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                buffer = kept[key.fd]
                buffer += chunk[: max(0, limit - len(buffer))]
    return bytes(kept[proc.stdout.fileno()]), bytes(kept[proc.stderr.fileno()])


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL to the process group of a process started with start_new_session (pgid == pid), then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5.0)
    except subprocess.TimeoutExpired:  # stuck in the kernel: SIGKILL lands eventually
        pass
