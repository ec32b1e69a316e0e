"""Protocol edges over a raw stdio client: bad params, requests after shutdown, exit codes, broken
framing and a client that dies."""

import subprocess
import sys

import pytest
from stdio_support import WAIT, StdioServer, frame

INVALID_PARAMS, INVALID_REQUEST = -32602, -32600


@pytest.fixture
def server(tmp_path):
    running = StdioServer(tmp_path / "stderr.log")
    yield running
    running.close()


def open_document(server: StdioServer, tmp_path) -> str:
    path = tmp_path / "defs.yaml"
    path.write_text("type: dagster.components.DefsFolderComponent\n")
    uri = path.as_uri()
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": path.read_text()}},
    )
    return uri


OUT_OF_RANGE = "invalid value @ $.params.position: Position.{} should be in range [0:2147483647], but was {}."


@pytest.mark.parametrize(
    "position, why",
    [
        pytest.param({"line": -1, "character": 0}, OUT_OF_RANGE.format("line", -1), id="negative-line"),
        pytest.param({"line": 0, "character": -5}, OUT_OF_RANGE.format("character", -5), id="negative-character"),
        pytest.param(
            None,
            "invalid value for type, expected int @ $.params.position.line; "
            "invalid value for type, expected int @ $.params.position.character",
            id="null",
        ),
        pytest.param({"line": 2**32, "character": 0}, OUT_OF_RANGE.format("line", 2**32), id="beyond-uinteger"),
        pytest.param({"line": 0}, "required field missing @ $.params.position.character", id="no-character"),
    ],
)
@pytest.mark.parametrize("method", ["textDocument/completion", "textDocument/hover", "textDocument/definition"])
def test_a_position_that_is_not_one_is_answered_invalid_params(server, tmp_path, method, position, why):
    server.initialize({"python": sys.executable})
    uri = open_document(server, tmp_path)

    error = server.call(method, {"textDocument": {"uri": uri}, "position": position})["error"]

    assert (error["code"], error["message"]) == (INVALID_PARAMS, f"{method}: invalid params ({why})")
    # The server keeps serving.
    assert "result" in server.call(
        "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 2}}
    )


def test_a_position_past_the_end_of_the_document_is_answered(server, tmp_path):
    server.initialize({"python": sys.executable})
    uri = open_document(server, tmp_path)

    answer = server.call(
        "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 900, "character": 9}}
    )

    assert answer["result"] is None and "error" not in answer


def test_requests_after_shutdown_are_answered_invalid_request_and_exit_is_0(server):
    server.initialize()
    assert server.call("shutdown")["result"] is None

    error = server.call(
        "textDocument/hover", {"textDocument": {"uri": "file:///x/defs.yaml"}, "position": {"line": 0, "character": 0}}
    )["error"]
    assert (error["code"], error["message"]) == (
        INVALID_REQUEST,
        "textDocument/hover: the server is shutting down (after `shutdown` only `exit` is handled)",
    )

    server.notify("exit")
    assert server.exit_code() == 0


def test_exit_without_shutdown_exits_1(server):
    server.initialize()
    server.notify("exit")
    assert server.exit_code() == 1


def test_a_content_length_longer_than_its_body_exits_with_a_log_line(server):
    server.initialize()
    hover = {
        "jsonrpc": "2.0",
        "id": 99,
        "method": "textDocument/hover",
        "params": {"textDocument": {"uri": "file:///x/defs.yaml"}, "position": {"line": 0, "character": 0}},
    }
    server.write(frame(hover, length=len(frame(hover)) + 40))  # swallows the next message's headers
    server.write(frame({**hover, "id": 100}))
    server.write(frame({**hover, "id": 101}))

    assert server.exit_code() == 1
    assert "the client's messages are out of step: not a header line" in server.stderr()


def test_stdin_closing_inside_a_body_exits_with_a_log_line(server):
    server.initialize()
    server.write(b'Content-Length: 500\r\n\r\n{"jsonrpc": "2.0"')
    server.process.stdin.close()

    assert server.exit_code() == 1
    assert "stdin closed 17 bytes into a body of Content-Length 500" in server.stderr()


def test_the_server_exits_when_the_client_process_dies(server):
    client = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        server.initialize(process_id=client.pid)
        assert "result" in server.call("workspace/symbol", {"query": ""})
    finally:
        client.kill()
        client.wait()

    assert server.exit_code(timeout=WAIT) == 1
    assert f"The client (process {client.pid}) is gone: exiting" in server.stderr()


def test_a_late_answer_to_a_request_the_server_gave_up_on_is_dropped(server, tmp_path):
    """The server waits 5 s for `window/workDoneProgress/create`, then reads the registry without progress."""
    server.answers_requests = False
    server.initialize({"python": sys.executable}, capabilities={"window": {"workDoneProgress": True}})
    uri = open_document(server, tmp_path)
    create = server.wait_for(lambda m: m.get("method") == "window/workDoneProgress/create")
    server.wait_for(lambda m: m.get("method") == "dagster/status" and m["params"]["state"] != "loading")

    server.write(frame({"jsonrpc": "2.0", "id": create["id"], "result": None}))

    answer = server.call("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 10}})
    assert "error" not in answer and server.process.poll() is None
    assert f"A late answer to request {create['id']}, no longer awaited" in server.stderr()
