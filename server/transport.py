"""The LSP byte stream, read so that no input can make the server deaf, crash it, or leave a request unanswered.

pygls's reader (``pygls.io_.run_async``) accepts only ``Content-Length: N\\r\\n`` spelt exactly. Any other header
block is ignored without its body being consumed; that body, having no line end, swallows the next message's
header, and so on for every later message. It also reads whatever length it is told in one allocation
(MemoryError), and a body whose JSON or params cannot be read is logged but never answered. This module replaces
that loop, and only that loop, for stdio and TCP; writing, structuring and dispatching stay pygls's:

- header names are case-insensitive and CRLF or LF line ends are accepted (the spec's base protocol);
- a header block without a usable ``Content-Length`` is skipped, and the reader resynchronises on the next
  ``Content-Length:`` it finds, even one glued to the end of the previous frame's leftovers;
- a length over ``MAX_BODY_BYTES`` is refused without allocating it, like a malformed one: draining a length of
  10**15 would swallow every later message, resynchronising costs only the oversized body's own bytes;
- a body that is not JSON gets a parse error reply (-32700); when it holds the start of another frame (its length
  was longer than the body) that frame is read again from its header, and a body that stalls for
  ``STALL_SECONDS`` while holding such a start is given up the same way, so the next request is not held hostage;
- a request with a position outside LSP's ``uinteger`` range, or with params lsprotocol rejects, gets an
  invalid-params reply (-32602) instead of silence.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.io_ import StdoutWriter
from pygls.protocol import JsonRPCProtocol
from pygls.server import JsonRPCServer

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024
STALL_SECONDS = 2.0
UINTEGER_END = 2**31  # LSP's uinteger is [0, 2**31 - 1]

_LENGTH_HEADER = re.compile(rb"content-length[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)
# A header line is short; of a longer line without an end only its tail can still become one.
_MAX_LINE_BYTES = 64 * 1024
_KEPT_TAIL_BYTES = 1024
# More digits than the limit has can only be over it (and int() refuses strings over 4300 digits).
_MAX_LENGTH_DIGITS = len(str(MAX_BODY_BYTES))


class FrameReader:
    """Cuts a byte stream into message bodies. No I/O of its own: ``feed`` it what was read, then take bodies."""

    def __init__(self, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.max_body_bytes = max_body_bytes
        self._buffer = bytearray()
        self._length: int | None = None  # the current header block's usable Content-Length
        self._problem: str | None = None  # why the current header block cannot be used
        self._body_length: int | None = None  # set while a body is being read

    @property
    def reading_body(self) -> bool:
        return self._body_length is not None

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def next_body(self) -> bytes | None:
        """The next complete body, or None until more bytes are fed."""
        while self._body_length is None:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > _MAX_LINE_BYTES:
                    del self._buffer[:-_KEPT_TAIL_BYTES]
                return None
            line = bytes(self._buffer[:end])
            del self._buffer[:end + 1]
            self._header_line(line)
        if len(self._buffer) < self._body_length:
            return None
        body = bytes(self._buffer[:self._body_length])
        del self._buffer[:self._body_length]
        self._body_length = None
        return body

    def rescan(self, body: bytes) -> None:
        """Read a rejected body again as headers, from the first ``Content-Length:`` in it, if any.

        A length longer than its body swallows the start of the next frame; this gives that frame back. Only
        bytes after the rejected frame's own header are given back, so every call makes progress.
        """
        start = _LENGTH_HEADER.search(body)
        if start:
            self._buffer[:0] = body[start.start():]

    def take_stalled_body(self) -> bytes | None:
        """The body read so far, given up, when it holds the start of another frame (see ``rescan``)."""
        if self._body_length is None or not _LENGTH_HEADER.search(self._buffer):
            return None
        body = bytes(self._buffer)
        self._buffer.clear()
        self._body_length = None
        return body

    def _header_line(self, line: bytes) -> None:
        if not line.strip():  # the end of a header block
            if self._length is not None:
                self._body_length = self._length
            elif self._problem is not None:
                logger.warning("skipped a frame: %s", self._problem)
            self._length = self._problem = None
            return
        values = _LENGTH_HEADER.findall(line)
        if not values:  # another header (Content-Type), or bytes between frames
            if self._length is None and self._problem is None:
                self._problem = "no Content-Length in its header block"
            return
        value = values[-1].strip()  # the last: leftovers of a broken frame come before the header
        shown = value[:40].decode(errors="replace") + ("..." if len(value) > 40 else "")
        self._length = None
        if not value.isdigit():
            self._problem = f"Content-Length {shown!r} is not a byte count"
        elif len(value) > _MAX_LENGTH_DIGITS or int(value) > self.max_body_bytes:
            self._problem = f"Content-Length {shown} is over the limit of {self.max_body_bytes} bytes"
        else:
            self._length, self._problem = int(value), None


def out_of_range_position(params: Any) -> str | None:
    """Why ``params`` hold a position LSP cannot express (line or character outside [0, 2**31)), or None.

    Any object with both ``line`` and ``character`` counts, whatever the method, so that custom requests and
    command arguments are held to the rule lsprotocol applies to the typed ones, with a clearer message.
    """
    stack = [params]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(item for item in node if isinstance(item, dict | list))
        elif isinstance(node, dict):
            if "line" in node and "character" in node:
                for key in ("line", "character"):
                    value = node[key]
                    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value < UINTEGER_END:
                        return f"position {key} {value} is outside [0, 2**31)"
            stack.extend(value for value in node.values() if isinstance(value, dict | list))
    return None


def dispatch(server: JsonRPCServer, body: bytes) -> bool:
    """Check one body and hand it to pygls, or answer it with an error. False when it is not JSON."""
    protocol = server.protocol
    try:
        data = json.loads(body)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        logger.warning("answered a body that is not JSON with a parse error: %s", exc)
        _reply_error(protocol, None, JsonRpcParseError(f"Parse error: {exc}"))
        return False
    if not isinstance(data, dict):
        _reply_error(protocol, None, JsonRpcInvalidRequest("Invalid request: a message is a JSON object"))
        return True
    try:
        if problem := out_of_range_position(data.get("params")):
            raise JsonRpcInvalidParams(f"Invalid params: {problem}")
        message = protocol.structure_message(data)
    except JsonRpcException as exc:
        if "method" in data and "id" in data:
            request_id = data["id"] if type(data["id"]) in (int, str) else None
            _reply_error(protocol, request_id, exc)
        else:  # a notification or a response: there is nobody to answer
            logger.warning("dropped a %r message: %s", data.get("method", "response"), exc.message)
        return True
    try:
        protocol.handle_message(message)
    except Exception as exc:  # as pygls's own loop does: report, and read on
        logger.exception("Unable to handle message")
        server.report_server_error(exc, JsonRpcException)
    return True


def _reply_error(protocol: JsonRPCProtocol, request_id: int | str | None, error: JsonRpcException) -> None:
    # pygls's _send_response drops an id of None, but JSON-RPC answers an unreadable request with "id": null.
    protocol._send_data({"jsonrpc": JsonRPCProtocol.VERSION, "id": request_id,
                         "error": {"code": error.code, "message": error.message}})


async def serve(server: JsonRPCServer, read_chunk: Callable[[], Awaitable[bytes]]) -> None:
    """Read, check and dispatch messages until the stream ends (``exit`` ends it earlier with SystemExit)."""
    frames = FrameReader()
    pending: asyncio.Future[bytes] | None = None
    while True:
        pending = pending or asyncio.ensure_future(read_chunk())
        done, _ = await asyncio.wait({pending}, timeout=STALL_SECONDS if frames.reading_body else None)
        if done:
            chunk = pending.result()
            pending = None
            if not chunk:
                return
            frames.feed(chunk)
        elif (stalled := frames.take_stalled_body()) is not None and not dispatch(server, stalled):
            frames.rescan(stalled)
        while (body := frames.next_body()) is not None:
            if not dispatch(server, body):
                frames.rescan(body)


def serve_stdio(server: JsonRPCServer, stdin: io.BufferedIOBase, stdout: BinaryIO) -> None:
    """``server.start_io`` with this module's reader: the same writer, and ``server.shutdown()`` at the end."""
    server.protocol.set_writer(StdoutWriter(stdout))
    # A thread of its own for the blocking reads: asyncio.run waits for its default executor on the way out, and
    # a read blocked on a silent client would hold it there.
    reads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lsp-stdin")

    async def read_chunk() -> bytes:
        return await asyncio.get_running_loop().run_in_executor(reads, stdin.read1, READ_CHUNK_BYTES)

    try:
        asyncio.run(serve(server, read_chunk))
    except BrokenPipeError:
        logger.error("the client closed the connection; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        reads.shutdown(wait=False, cancel_futures=True)
        server.shutdown()


def serve_tcp(server: JsonRPCServer, host: str, port: int) -> None:
    """``server.start_tcp`` with this module's reader: the first client's connection, then ``server.shutdown()``."""

    async def listen() -> None:
        finished = asyncio.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            server.protocol.set_writer(writer)
            try:
                await serve(server, lambda: reader.read(READ_CHUNK_BYTES))
            except ConnectionError as exc:
                logger.error("the client's connection broke: %s", exc)
            except SystemExit:  # the client's ``exit``: raised on, asyncio would log it as an unhandled error
                pass
            finally:
                finished.set()

        listener = await asyncio.start_server(connection, host, port)
        logger.info("serving on %s", ", ".join(str(sock.getsockname()) for sock in listener.sockets))
        async with listener:
            await finished.wait()

    try:
        asyncio.run(listen())
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
