"""The JSON-RPC layer under the server: pygls' protocol with its bookkeeping and edge cases fixed, the stdio loop."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Generator
from concurrent.futures import Future
from typing import Any, BinaryIO, Callable, Optional

from cattrs import transform_error
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.io_ import StdoutWriter
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from ..features.diagnostic_reports import supports_pull
from ..model.uris import canonical_uris

log = logging.getLogger(__name__)

CONTENT_LENGTH = re.compile(rb"Content-Length: *(\d+)\r?\n", re.IGNORECASE)
HEADER = re.compile(rb"[A-Za-z][A-Za-z0-9-]*: *[^\r\n]*\r?\n")
CLIENT_POLL_SECONDS = 3.0
"""How often the client's `processId` is checked: an editor that died never closes our stdin at times."""


class ComponentsProtocol(LanguageServerProtocol):
    """pygls' LSP protocol, without the table entry it keeps for every notification, and answering
    what pygls drops (requests after `shutdown`, params that do not structure)."""

    exit_code: Optional[int] = None
    """Set by `exit`: 0 after `shutdown`, else 1."""
    stop_event: Optional[asyncio.Event] = None
    """Set by `exit`: `serve_stdio` stops reading."""

    def _execute_handler(self, msg_id: Any, handler: Callable, callback: Callable, args=None, kwargs=None) -> None:
        # pygls 2.1 files each handler's future in `_request_futures` under a fresh uuid for
        # notifications (and each step of its generator handlers: didOpen, didChange, initialized...)
        # and only requests' futures are ever taken out: one Future (and its result) per keystroke.
        def forget_then(future: Future) -> None:
            if self._request_futures.get(msg_id) is future:
                del self._request_futures[msg_id]
            callback(future)

        super()._execute_handler(msg_id, handler, forget_then, args, kwargs)

    def handle_message(self, message: Any) -> None:
        if self._shutdown and getattr(message, "method", None) not in (None, types.EXIT) and hasattr(message, "id"):
            # pygls logs and drops it: the client would wait for ever.
            self._send_response(
                message.id,
                error=JsonRpcInvalidRequest(
                    f"{message.method}: the server is shutting down (after `shutdown` only `exit` is handled)"
                ).to_response_error(),
            )
            return
        try:
            super().handle_message(message)
        except SystemExit as exc:  # pygls' `exit` handler; asyncio would swallow the code
            self.exit_code = exc.code if isinstance(exc.code, int) else 1
            if self.stop_event is not None:
                self.stop_event.set()

    def _send_data(self, data: Any) -> None:
        if self.stop_event is not None and self.stop_event.is_set():
            # After `exit` the client's end is closed: a background task cancelled on the way out (a
            # registry read ending its progress) would make pygls log a failed write, and then a failed report.
            log.debug("Not sent after exit: %s", getattr(data, "method", None) or getattr(data, "id", None))
            return
        super()._send_data(data)

    def _handle_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        future = self._request_futures.get(msg_id)
        if future is not None and future.done():
            # We stopped waiting (begin_progress gives a client 5 s): pygls would raise InvalidStateError.
            del self._request_futures[msg_id]
            log.info("A late answer to request %s, no longer awaited", msg_id)
            return
        super()._handle_response(msg_id, result, error)

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, types.InitializeResult]:
        """pygls' answer, without `diagnosticProvider` for a client that does not pull (see supports_pull):
        pygls advertises every registered feature, and a client told of it may pull as well as receive
        pushes, showing each diagnostic twice."""
        result = yield from super().lsp_initialize(params)
        if not supports_pull(params.capabilities):
            result.capabilities.diagnostic_provider = None
        return result

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any) -> Generator[Any, Any, None]:
        """pygls' `shutdown`, cancelling the in-flight handlers over a copy of its table: a cancelled
        generator handler's (didOpen, initialized) callback runs at once and takes its entry out
        (`_execute_handler` above), and pygls, iterating the table itself, failed the request."""
        if (user_handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield user_handler, args, None
        current_id = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True
        return None

    def pending_futures(self) -> int:
        """Entries in pygls' table of in-flight handlers and requests to the client (internal, for tests)."""
        return len(self._request_futures)

    def receive(self, body: bytes) -> None:
        """One framed message: handled, or answered with the JSON-RPC error it deserves (pygls answers
        nothing when the params do not structure: a negative or null position, a number out of range)."""
        try:
            data = json.loads(body)
        except ValueError as exc:
            log.error("A message that is not JSON (%s): %r", exc, body[:200])
            self._send_response(None, error=JsonRpcParseError(str(exc)).to_response_error())  # type: ignore[arg-type]
            return
        request_id = data.get("id") if isinstance(data, dict) and "method" in data else None
        if not isinstance(data, dict) or data.get("jsonrpc") != self.VERSION:
            log.error("Not a JSON-RPC 2.0 message: %r", body[:200])
            if request_id is not None:
                self._send_response(request_id, error=JsonRpcInvalidRequest().to_response_error())
            return
        if "method" in data and "params" in data:
            data["params"] = canonical_uris(data["params"])  # one spelling per document from here on
        try:
            message = self.structure_message(data)
        except JsonRpcException as exc:
            if "method" not in data and "id" in data:
                # A response of the wrong shape (`{"result": null}` to workspace/applyEdit): our request
                # gets it as it came, rather than wait for ever.
                self._handle_response(data["id"], data.get("result"), None)
                return
            if request_id is None:
                return  # a notification: nobody to answer (structure_message logged why)
            error = exc if isinstance(exc, JsonRpcInvalidParams) else JsonRpcInvalidParams()
            error.message = f"{data.get('method')}: invalid params ({_cause(exc)})"
            self._send_response(request_id, error=error.to_response_error())
            return
        self.handle_message(message)


def _cause(exc: BaseException) -> str:
    """What cattrs found wrong, with where: `invalid value @ $.params.position: Position.line should be in
    range [0:2147483647], but was -1.`"""
    cause = exc.__cause__
    if cause is None:
        return str(exc) or type(exc).__name__
    try:
        where = transform_error(cause)
    except Exception:  # not a cattrs error: its own words
        where = []
    leaf = cause
    while getattr(leaf, "exceptions", None):
        leaf = leaf.exceptions[0]  # type: ignore[attr-defined]  # an ExceptionGroup (cattrs' own on 3.10)
    words = str(leaf).splitlines()[0] if str(leaf) else type(leaf).__name__
    if not where:
        return words
    if len(where) == 1 and where[0].startswith("invalid value @"):
        return f"{where[0]}: {words}"
    return "; ".join(where)


class FramingError(Exception):
    """The byte stream no longer splits into messages: nothing after this can be trusted."""


def read_frame(stream: BinaryIO) -> Optional[bytes]:
    """The next message body; None at end of input. FramingError when the stream is out of step: a
    header line that is not one (a Content-Length longer than its body swallowed the next message's
    start), or input that ends inside a message."""
    length: Optional[int] = None
    while True:
        line = stream.readline()
        if not line:
            if length is not None:
                raise FramingError("stdin closed inside a message's headers")
            return None
        if line in (b"\r\n", b"\n"):
            if length is None:
                raise FramingError("a message without Content-Length")
            break
        if not HEADER.fullmatch(line):
            raise FramingError(f"not a header line: {line[:80]!r} (a Content-Length longer than its body?)")
        match = CONTENT_LENGTH.fullmatch(line)
        if match:
            length = int(match.group(1))
    body = stream.read(length)
    if len(body) < length:
        raise FramingError(f"stdin closed {len(body)} bytes into a body of Content-Length {length}")
    return body


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, we may just not signal it (or the platform cannot tell)
    return True


async def serve_stdio(
    protocol: ComponentsProtocol,
    client_pid: Callable[[], Optional[int]],
    stdin: Optional[BinaryIO] = None,
    stdout: Optional[BinaryIO] = None,
) -> int:
    """Handle messages until `exit`, end of input, a broken stream or the client's death; the process's
    exit status (0 only after `shutdown`)."""
    # A reader of our own over a duplicate of fd 0: the thread below may still be blocked in it at exit,
    # holding its lock, and the interpreter aborts if that is sys.stdin's ("could not acquire lock").
    stdin = stdin or os.fdopen(os.dup(sys.stdin.fileno()), "rb")
    protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
    loop = asyncio.get_running_loop()
    stop = protocol.stop_event = asyncio.Event()
    frames: asyncio.Queue = asyncio.Queue()

    def read_all() -> None:
        # A daemon thread, not the executor: a read blocked on a dead client must not hold the exit up.
        while True:
            try:
                frame: Any = read_frame(stdin)
            except (FramingError, OSError, ValueError) as exc:
                frame = exc
            loop.call_soon_threadsafe(frames.put_nowait, frame)
            if not isinstance(frame, bytes):
                return

    threading.Thread(target=read_all, name="lsp-stdin", daemon=True).start()
    while not stop.is_set():
        frame = await _next(frames, stop, client_pid)
        if frame is None:
            if not stop.is_set():
                log.info("stdin closed: exiting")
            break
        if isinstance(frame, BaseException):
            log.error("Exiting: the client's messages are out of step: %s", frame)
            return 1
        try:
            protocol.receive(frame)
        except Exception as exc:  # one message's failure is logged and reported, never the end of the server
            log.exception("Unable to handle message")
            protocol._server._report_server_error(exc, JsonRpcException)
    if protocol.exit_code is not None:
        return protocol.exit_code
    return 0 if protocol._shutdown else 1


async def _next(frames: asyncio.Queue, stop: asyncio.Event, client_pid: Callable[[], Optional[int]]) -> Any:
    """The next frame, or None once `stop` is set (by `exit`) or the client's process is gone."""
    getting = asyncio.ensure_future(frames.get())
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while True:
            done, _ = await asyncio.wait(
                {getting, stopping}, timeout=CLIENT_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            if getting in done:
                return getting.result()
            if stopping in done:
                return None
            pid = client_pid()
            if isinstance(pid, int) and pid > 0 and os.name == "posix" and not process_alive(pid):
                log.warning("The client (process %d) is gone: exiting", pid)
                stop.set()
                return None
    finally:
        for task in (getting, stopping):
            task.cancel()
