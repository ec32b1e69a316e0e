"""Runs one call in a forked child, so the user code it imports never stays in the worker."""

# Python caches imported modules: a long-lived worker that imported a project's components would
# answer the next `registry` call with the old classes after the user saved the file. A fork per
# call starts from the parent's clean state (Dagster preloaded, no user code), and even os._exit()
# or a segfault in user code costs only the child. The child shares the worker's process group,
# so the client's killpg on timeout reaches it too.

import json
import os
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any


class Cancelled(Exception):
    """The client interrupted the call (SIGUSR1 to the worker): its child was killed."""


class ChildFailed(Exception):
    """The call raised in the child, or the child died before answering."""

    def __init__(self, message: str, traceback_text: str = "") -> None:
        super().__init__(message)
        self.traceback = traceback_text


def run_isolated(fn: Callable[..., Any], *args: Any, cancellable: bool = False) -> Any:
    """fn(*args) in a forked child. With `cancellable`, a SIGUSR1 to the worker during the call kills
    the child and raises Cancelled (a newer save makes a running load useless); the worker lives on,
    warm. Processes the child started (dbt) are not waited for: they finish on their own."""
    if not hasattr(os, "fork"):  # not POSIX: run in-process, accepting stale modules
        return fn(*args)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the worker's loop
        os.close(read_fd)
        _child(fn, args, write_fd)
    os.close(write_fd)
    cancelled = []

    def cancel(signum: int, frame: Any) -> None:
        cancelled.append(signum)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    previous = signal.signal(signal.SIGUSR1, cancel) if cancellable else None
    try:
        with os.fdopen(read_fd, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
    finally:
        if previous is not None:
            signal.signal(signal.SIGUSR1, previous)
    if cancelled:
        raise Cancelled()
    if not payload:
        raise ChildFailed(f"the call's process died ({_describe_status(status)}) before answering")
    answer = json.loads(payload)
    if "error" in answer:
        raise ChildFailed(answer["error"], answer["traceback"])
    return answer["result"]


class StepFailed(Exception):
    """A watched call's child hung in one step, or died during it (os._exit, a segfault)."""

    def __init__(self, step: "Step | None", message: str) -> None:
        super().__init__(f"{step.doing}: {message}" if step else message)
        self.step = step
        self.message = message


class Step:
    """What a watched call is doing now: `name` is what a retry may leave out, or None if nothing can."""

    def __init__(self, doing: str, name: str | None) -> None:
        self.doing = doing
        self.name = name


def run_watched(
    fn: Callable[..., Any], *args: Any, seconds_per_step: float, on_step: Callable[[str], None] = lambda doing: None
) -> Any:
    """fn(*args, step) in a forked child that announces each risky step (`step("importing 'x'", "x")`)
    before taking it. A step that overruns `seconds_per_step`, or a child that dies, raises StepFailed
    naming that step, so the caller can run the call again without it."""
    if not hasattr(os, "fork"):  # not POSIX: run in-process, unwatched
        return fn(*args, lambda doing, name=None: None)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(fn, (*args, _step_reporter(write_fd)), write_fd)
    os.close(write_fd)
    step: Step | None = None
    answer = None
    try:
        for message in _messages(read_fd, pid, seconds_per_step, lambda: step):
            if "step" in message:
                step = Step(message["step"], message["name"])
                on_step(step.doing)
            else:  # the answer is the last line: a process user code forked may hold the pipe open
                answer = message
                break
    finally:
        os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    if answer is None:
        raise StepFailed(step, _describe_death(status))
    if "error" in answer:
        raise ChildFailed(answer["error"], answer["traceback"])
    return answer["result"]


def _step_reporter(write_fd: int) -> Callable[..., None]:
    def step(doing: str, name: str | None = None) -> None:
        os.write(write_fd, json.dumps({"step": doing, "name": name}).encode("utf-8") + b"\n")

    return step


def _messages(read_fd: int, pid: int, seconds: float, current: Callable[[], "Step | None"]) -> Any:
    """The child's JSON lines as they come; kills it when it sends none for `seconds`."""
    pending: list[bytes] = []
    deadline = time.monotonic() + seconds
    while True:
        ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise StepFailed(current(), f"did not finish within {seconds:g} s")
        chunk = os.read(read_fd, 1 << 16)
        if not chunk:
            return
        if b"\n" not in chunk:  # the result: one long line
            pending.append(chunk)
            continue
        *lines, rest = b"".join([*pending, chunk]).split(b"\n")
        pending = [rest]
        for line in lines:
            message = json.loads(line)
            if "step" in message:
                deadline = time.monotonic() + seconds
            yield message


def _describe_death(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown"
        return f"crashed the process (signal {number}, {name})"
    return f"ended the process (exit code {os.waitstatus_to_exitcode(status)})"


def _child(fn: Callable[..., Any], args: tuple[Any, ...], write_fd: int) -> None:
    code = 0
    try:
        try:
            answer: dict[str, Any] = {"result": fn(*args)}
        except BaseException as e:  # SystemExit from user code included
            message = str(e)
            answer = {
                "error": f"{type(e).__name__}: {message}" if message else type(e).__name__,
                "traceback": traceback.format_exc(),
            }
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(json.dumps(answer, default=repr).encode("utf-8") + b"\n")
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):  # what user code printed (both go to stderr)
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code)  # skip atexit handlers and the protocol buffers inherited from the worker


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
