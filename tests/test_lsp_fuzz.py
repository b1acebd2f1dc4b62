"""Malformed input never knocks the server out: after each bad frame or bad request it still answers a normal one.

One real server (``python -m server --stdio``) is fed raw bytes, as a fuzzing client would; pytest-lsp cannot
send malformed frames. The cases run in order against the same process, so each one also proves the stream
was resynchronised after the previous. ``FrameReader`` itself is tested in-process at the end.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from lsp_support import RULES_ONLY, SERVER_COMMAND

from server.transport import MAX_BODY_BYTES, FrameReader

REPLY_TIMEOUT_S = 10.0
DOCUMENT = "file:///fuzz/sample.py"


def frame(body: bytes, header: bytes = b"Content-Length: %d\r\n\r\n") -> bytes:
    return header % len(body) + body


def message(payload: dict[str, Any]) -> bytes:
    return json.dumps({"jsonrpc": "2.0", **payload}).encode()


class RawClient:
    """A client that writes raw bytes to the server and reads its (well-formed) frames on a thread."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._early: list[dict[str, Any]] = []  # replies read while waiting for another one
        self._next_id = 0
        threading.Thread(target=self._read, args=(process.stdout,), daemon=True).start()

    def _read(self, stdout: BinaryIO) -> None:
        while header := stdout.readline():
            length = int(header.split(b":")[1]) if header.lower().startswith(b"content-length") else None
            while stdout.readline().strip():  # the rest of the header block
                pass
            if length is not None:
                self.messages.put(json.loads(stdout.read(length)))

    def send(self, data: bytes) -> None:
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def request(self, method: str, params: Any, header: bytes = b"Content-Length: %d\r\n\r\n") -> dict[str, Any]:
        """Send a request (framed with ``header``) and return its reply."""
        self._next_id += 1
        self.send(frame(message({"id": self._next_id, "method": method, "params": params}), header))
        return self.reply(self._next_id)

    def notify(self, method: str, params: Any) -> None:
        self.send(frame(message({"method": method, "params": params})))

    def reply(self, request_id: int | None) -> dict[str, Any]:
        """The reply to ``request_id`` (None: an unreadable request's), whatever the order replies came in."""
        for early in self._early:
            if early.get("id") == request_id:
                self._early.remove(early)
                return early
        while True:
            try:
                received = self.messages.get(timeout=REPLY_TIMEOUT_S)
            except queue.Empty:
                raise AssertionError(f"no reply to request {request_id} within {REPLY_TIMEOUT_S} s") from None
            if "method" in received:  # a notification (log messages, diagnostics)
                continue
            if received.get("id") == request_id:
                return received
            self._early.append(received)

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawClient]:
    root = tmp_path_factory.mktemp("fuzz")
    with (root / "server.log").open("wb") as log:
        process = subprocess.Popen(SERVER_COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        try:
            raw = RawClient(process)
            answer = raw.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
                                                "initializationOptions": {"pyperf": RULES_ONLY}})
            assert "result" in answer, answer
            raw.notify("initialized", {})
            raw.notify("textDocument/didOpen", {"textDocument": {
                "uri": DOCUMENT, "languageId": "python", "version": 1, "text": "total = 0\nfor i in range(9):\n"
                                                                               "    total += i\nprint(total)\n"}})
            yield raw
            assert raw.request("shutdown", None)["result"] is None
            raw.notify("exit", None)
            assert process.wait(timeout=10) == 0
        finally:
            process.kill()
            process.wait()


SKIPPED_REQUEST = message({"id": "skipped", "method": "textDocument/hover", "params": {}})


def hover(line: int = 0, character: int = 0) -> dict[str, Any]:
    return {"textDocument": {"uri": DOCUMENT}, "position": {"line": line, "character": character}}


def code_action(line: int, character: int) -> dict[str, Any]:
    position = {"line": line, "character": character}
    return {"textDocument": {"uri": DOCUMENT}, "range": {"start": {"line": 0, "character": 0}, "end": position},
            "context": {"diagnostics": []}}


def assert_answers_normal_request(client: RawClient) -> None:
    answer = client.request("textDocument/hover", hover(1, 4))
    assert "result" in answer, answer


# Frames that cannot be read: skipped, and the stream is read again from the next Content-Length.
SKIPPED = {
    "bad length": b"Content-Length: abc\r\n\r\n" + SKIPPED_REQUEST,
    "negative length": b"Content-Length: -5\r\n\r\n" + SKIPPED_REQUEST,
    "huge length": b"Content-Length: 999999999999999\r\n\r\n" + SKIPPED_REQUEST,
    "length over the limit": b"Content-Length: %d\r\n\r\n" % (MAX_BODY_BYTES + 1) + SKIPPED_REQUEST,
    "thousands of digits": b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n" + SKIPPED_REQUEST,
    "no length": b"Content-Type: application/vscode-jsonrpc\r\n\r\n" + SKIPPED_REQUEST,
    "truncated header": b"Content-Len",
    "header block without its end": b"Content-Length: 12\r\n",
    "garbage bytes between frames": b"\x00\xff\xfe garbage \x1b[31m\r\n\n\r\n\x80{]}\n",
}


@pytest.mark.parametrize("data", SKIPPED.values(), ids=SKIPPED.keys())
def test_unreadable_frame_is_skipped(client: RawClient, data: bytes):
    client.send(data)
    assert_answers_normal_request(client)


# Bodies that are not JSON-RPC messages: answered with an error whose id is null.
UNREADABLE_BODIES = {
    "invalid JSON": (frame(b'{"jsonrpc": "2.0", "id": 7, "method"'), -32700),
    "not UTF-8": (frame(b'{"jsonrpc": "2.0", "id": "\xff\xfe"}'), -32700),
    "empty body": (b"Content-Length: 0\r\n\r\n", -32700),
    "length shorter than the body": (b"Content-Length: 3\r\n\r\n" + SKIPPED_REQUEST, -32700),
    # Read again from the swallowed request's header once the body stalls (transport.STALL_SECONDS).
    "length longer than the body": (b"Content-Length: 400\r\n\r\n" + SKIPPED_REQUEST, -32700),
    "not an object": (frame(b"[1, 2, 3]"), -32600),
}


@pytest.mark.parametrize(("data", "code"), UNREADABLE_BODIES.values(), ids=UNREADABLE_BODIES.keys())
def test_unreadable_body_gets_an_error_reply(client: RawClient, data: bytes, code: int):
    client.send(data)
    assert_answers_normal_request(client)
    assert client.reply(None)["error"]["code"] == code


# Framings the spec allows (header names are case-insensitive) or that clients are known to send.
ACCEPTED_HEADERS = {
    "lower-case header name": b"content-length: %d\r\n\r\n",
    "upper-case header name": b"CONTENT-LENGTH:%d\r\n\r\n",
    "LF-only line ends": b"Content-Length: %d\n\n",
    "extra spaces and a content type": b"Content-Length:   %d  \r\nContent-Type: application/json\r\n\r\n",
}


@pytest.mark.parametrize("header", ACCEPTED_HEADERS.values(), ids=ACCEPTED_HEADERS.keys())
def test_tolerated_framing_is_answered(client: RawClient, header: bytes):
    assert "result" in client.request("textDocument/hover", hover(), header)
    assert_answers_normal_request(client)


OUT_OF_RANGE = {
    "hover, negative line": ("textDocument/hover", hover(-1, 0)),
    "hover, character 2**31": ("textDocument/hover", hover(0, 2**31)),
    "hover, line 2**40": ("textDocument/hover", hover(2**40, 0)),
    "codeAction, negative character": ("textDocument/codeAction", code_action(0, -3)),
    "codeAction, line 2**31": ("textDocument/codeAction", code_action(2**31, 0)),
    "custom request": ("pyperf/unknown", {"where": [{"line": -1, "character": 0}]}),
}


@pytest.mark.parametrize(("method", "params"), OUT_OF_RANGE.values(), ids=OUT_OF_RANGE.keys())
def test_out_of_range_position_gets_invalid_params(client: RawClient, method: str, params: dict[str, Any]):
    assert client.request(method, params)["error"]["code"] == -32602
    assert_answers_normal_request(client)


def test_params_lsprotocol_rejects_get_invalid_params(client: RawClient):
    assert client.request("textDocument/hover", {"textDocument": {"uri": DOCUMENT}})["error"]["code"] == -32602
    assert_answers_normal_request(client)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the server's RSS from /proc")
def test_huge_length_allocates_nothing(client: RawClient):
    before = client.rss_bytes()
    client.send(b"Content-Length: 999999999999999\r\n\r\n")
    # The over-limit body arriving after all (no line end: it is read as one long header line, kept short).
    client.send(b"Content-Length: %d\r\n\r\n" % (MAX_BODY_BYTES + 1) + b"x" * (8 * 1024 * 1024))
    assert_answers_normal_request(client)
    assert client.rss_bytes() - before < 4 * 1024 * 1024


def test_frame_reader_yields_the_same_bodies_whatever_the_chunking():
    stream = (b"garbage\r\n" + frame(b'{"a": 1}') + b"content-length: 2\n\n{}" + b"Content-Length: x\r\n\r\n{"
              + frame(b'{"b": 2}'))
    for size in (1, 3, len(stream)):
        frames = FrameReader()
        bodies = []
        for start in range(0, len(stream), size):
            frames.feed(stream[start:start + size])
            while (body := frames.next_body()) is not None:
                bodies.append(body)
        assert bodies == [b'{"a": 1}', b"{}", b'{"b": 2}'], size


def test_frame_reader_gives_back_a_swallowed_frame():
    frames = FrameReader()
    frames.feed(b"Content-Length: 40\r\n\r\n{" + frame(b'{"c": 3}'))
    assert frames.next_body() is None and frames.reading_body
    stalled = frames.take_stalled_body()
    assert stalled is not None
    frames.rescan(stalled)
    assert frames.next_body() == b'{"c": 3}'


def test_frame_reader_keeps_an_endless_line_short():
    frames = FrameReader()
    for _ in range(64):
        frames.feed(os.urandom(64 * 1024).replace(b"\n", b" "))
        assert frames.next_body() is None
    assert len(frames._buffer) <= 64 * 1024
