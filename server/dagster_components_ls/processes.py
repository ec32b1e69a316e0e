"""Short-lived child processes we start (interpreter probes): no share of our stdin, their own group, killed whole."""

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


class ProcessTimeout(subprocess.SubprocessError):
    """The process overran its timeout; it was killed with its whole process group."""


def run_contained(argv: Sequence[str], timeout: float, cwd: Path | None = None,
                  env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs argv to completion and returns its output (stdout, stderr as text).

    The process may be a user's wrapper script, so it is contained: its stdin is /dev/null (our stdin
    is the editor's LSP stream; a wrapper that reads it would swallow requests), it gets its own
    process group (start_new_session), and at the timeout that whole group is killed, so a child it
    started cannot outlive it holding our pipes.
    """
    proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, errors="replace", cwd=cwd, env=None if env is None else dict(env),
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise ProcessTimeout(f"{argv[0]} did not finish within {timeout:g} s; its process group was killed") from None
    finally:
        if proc.poll() is None:  # an exception other than the timeout (KeyboardInterrupt): leave nothing behind
            kill_group(proc)
    return subprocess.CompletedProcess(list(argv), proc.returncode, stdout, stderr)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL to the process group of a process started with start_new_session (pgid == pid), then
    reap it; the pipes are closed without reading them, since a survivor of the group may hold them."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5.0)
    except subprocess.TimeoutExpired:  # stuck in the kernel: SIGKILL lands eventually
        pass
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass
