"""The gateway's HTTP/1.1 transport to the services: keep-alive connections per upstream, taken
and given back in constant time.

httpx's default transport (httpcore's pool) walks every pooled connection on each request and
asks the kernel whether each idle one has been closed (a `select` per connection): with the few
dozen connections the gateway keeps to each service under load, that walk was ~12% of the
gateway's samples and httpx with httpcore 56% in all (py-spy on the gateway in bench.cpu_bench).
Here each origin has a stack of idle connections; the one used last is taken (the event loop has
already seen a peer's close on it: `at_eof`/`is_closing`, no system call), one idle longer than
`keepalive_expiry` (below uvicorn's 5 s) is closed instead. Responses are parsed by httptools
(uvicorn's parser) and their bodies stream as they arrive; a connection goes back to its stack
only after a complete response that allows keep-alive, so a body read halfway, a HEAD answer or
a broken read closes it.

Errors are httpx's, as the gateway expects them (gateway.Gateway._failure): connect failures
and timeouts, read and write timeouts, and `RemoteProtocolError` for a malformed answer or one
cut short. A connect failure is tried once more; a request without a body whose reused
connection turned out closed before any answer arrived is sent once more on a new connection
(nothing of it can have been handled twice: the service closed an idle connection).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httptools
import httpx

READ_SIZE = 65_536
_UNSAFE = re.compile(rb"[\r\n\0]")


class _Answer:
    """httptools' callbacks for one response: status, headers, body pieces, completion."""

    def __init__(self) -> None:
        self.parser: Any = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.headers_done = False
        self.keep_alive = False
        self.complete = False
        self.body: list[bytes] = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.headers_done = True
        # asked now: once the message is complete the parser has begun the next one
        self.keep_alive = bool(self.parser.should_keep_alive())

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class _Connection:
    __slots__ = ("idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.idle_since = 0.0

    def usable(self, now: float, expiry: float) -> bool:
        return (
            now - self.idle_since < expiry
            and not self.reader.at_eof()
            and not self.writer.transport.is_closing()
        )

    def close(self) -> None:
        self.writer.close()


class _ConnectionLost(Exception):
    """A reused connection was closed by the service before any byte of an answer."""


class UpstreamTransport(httpx.AsyncBaseTransport):
    """Plain-HTTP/1.1 keep-alive connections per origin (see the module docstring)."""

    def __init__(self, *, keepalive_expiry: float = 4.0, max_idle_per_origin: int = 200) -> None:
        self._expiry = keepalive_expiry
        self._max_idle = max_idle_per_origin
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "http":
            raise httpx.UnsupportedProtocol(f"only http:// upstreams, not {url.scheme}://")
        origin = (url.host, url.port or 80)
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
        conn, reused = await self._take(origin, timeouts.get("connect"))
        try:
            return await self._exchange(origin, conn, request, timeouts, reused=reused)
        except _ConnectionLost:
            if has_body:  # its body was (partly) consumed: it cannot be sent again
                raise httpx.RemoteProtocolError("the service closed the connection") from None
            conn, _ = await self._take(origin, timeouts.get("connect"), fresh=True)
            try:
                return await self._exchange(origin, conn, request, timeouts, reused=False)
            except _ConnectionLost:
                raise httpx.RemoteProtocolError("the service closed the connection") from None

    async def aclose(self) -> None:
        self._closed = True
        for stack in self._idle.values():
            for conn in stack:
                conn.close()
        self._idle.clear()

    # -- connections ------------------------------------------------------------------------

    async def _take(
        self, origin: tuple[str, int], connect_timeout: float | None, *, fresh: bool = False
    ) -> tuple[_Connection, bool]:
        stack = self._idle.get(origin)
        now = time.monotonic()
        while stack and not fresh:
            conn = stack.pop()
            if conn.usable(now, self._expiry):
                return conn, True
            conn.close()
        for attempt in (1, 2):  # one retry: nothing was sent yet
            try:
                async with asyncio.timeout(connect_timeout):
                    reader, writer = await asyncio.open_connection(*origin, limit=READ_SIZE)
            except TimeoutError:
                if attempt == 2:
                    raise httpx.ConnectTimeout(f"connecting to {origin[0]}:{origin[1]}") from None
            except OSError as error:
                if attempt == 2:
                    raise httpx.ConnectError(f"{origin[0]}:{origin[1]}: {error}") from error
            else:
                return _Connection(reader, writer), False
        raise AssertionError("unreachable")

    def _give_back(self, origin: tuple[str, int], conn: _Connection) -> None:
        stack = self._idle.setdefault(origin, [])
        if self._closed or len(stack) >= self._max_idle:
            conn.close()
            return
        conn.idle_since = now = time.monotonic()
        while stack and now - stack[0].idle_since >= self._expiry:  # the oldest: not left open
            stack.pop(0).close()
        stack.append(conn)

    # -- one request ------------------------------------------------------------------------

    async def _exchange(
        self,
        origin: tuple[str, int],
        conn: _Connection,
        request: httpx.Request,
        timeouts: dict[str, float | None],
        *,
        reused: bool,
    ) -> httpx.Response:
        answer = _Answer()
        parser = answer.parser = httptools.HttpResponseParser(answer)
        try:
            await self._send(conn, request, timeouts.get("write"))
            await self._read_head(conn, parser, answer, timeouts.get("read"), reused=reused)
        except BaseException:
            conn.close()
            raise
        body = _Body(self, origin, conn, parser, answer, timeouts.get("read"), request.method)
        return httpx.Response(
            parser.get_status_code(),
            headers=answer.headers,
            stream=body,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def _send(
        self, conn: _Connection, request: httpx.Request, write_timeout: float | None
    ) -> None:
        url = request.url
        head = [b"%s %s HTTP/1.1\r\n" % (request.method.encode("ascii"), url.raw_path)]
        head += [b"%s: %s\r\n" % (name, value) for name, value in request.headers.raw]
        head.append(b"\r\n")
        # httpx lets a header carry CR, LF or NUL: one that did would split this head into
        # two requests (smuggling). Each line holds exactly its own CRLF and nothing else.
        if any(_UNSAFE.search(line, 0, len(line) - 2) for line in head):
            raise httpx.LocalProtocolError("a request line or header holds CR, LF or NUL")
        writer = conn.writer
        chunked = request.headers.get("transfer-encoding", "").lower() == "chunked"
        # Written with the body's first piece: one send for a command (head and body together).
        pending = [b"".join(head)]
        try:
            async with asyncio.timeout(write_timeout):
                if "content-length" in request.headers or chunked:
                    assert isinstance(request.stream, httpx.AsyncByteStream)
                    async for chunk in request.stream:
                        if chunk:
                            pending.append(
                                b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
                            )
                            writer.write(b"".join(pending))
                            pending = []
                            await writer.drain()
                    if chunked:
                        pending.append(b"0\r\n\r\n")
                if pending:
                    writer.write(b"".join(pending))
                await writer.drain()
        except TimeoutError:
            raise httpx.WriteTimeout("sending the request to the service") from None
        except OSError as error:
            raise httpx.WriteError(f"sending the request to the service: {error}") from error

    async def _read_head(
        self,
        conn: _Connection,
        parser: Any,
        answer: _Answer,
        read_timeout: float | None,
        *,
        reused: bool,
    ) -> None:
        received = False
        while not answer.headers_done:
            data = await _read(conn, read_timeout)
            if not data:
                if reused and not received:
                    raise _ConnectionLost
                raise httpx.RemoteProtocolError("the service closed the connection mid-answer")
            received = True
            _feed(parser, data)


class _Body(httpx.AsyncByteStream):
    """A response's body as it arrives; the connection goes back to its stack once complete."""

    def __init__(
        self,
        transport: UpstreamTransport,
        origin: tuple[str, int],
        conn: _Connection,
        parser: Any,
        answer: _Answer,
        read_timeout: float | None,
        method: str,
    ) -> None:
        self._transport, self._origin, self._conn = transport, origin, conn
        self._parser, self._answer = parser, answer
        self._read_timeout = read_timeout
        # a HEAD answer announces a body it does not carry: done, and the connection not reused
        self._no_body = method == "HEAD"
        self._done = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        answer = self._answer
        try:
            while True:
                if answer.body:
                    pieces, answer.body = answer.body, []
                    for piece in pieces:
                        yield piece
                if answer.complete or self._no_body:
                    break
                data = await _read(self._conn, self._read_timeout)
                if not data:
                    raise httpx.RemoteProtocolError("the service closed the connection mid-body")
                _feed(self._parser, data)
        except BaseException:
            self._conn.close()
            self._done = True
            raise
        self._finish()

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        if self._answer.complete and self._answer.keep_alive and not self._no_body:
            self._transport._give_back(self._origin, self._conn)
        else:
            self._conn.close()

    async def aclose(self) -> None:
        if not self._done:  # not read to its end: the rest would be read as the next answer
            self._done = True
            self._conn.close()


async def _read(conn: _Connection, read_timeout: float | None) -> bytes:
    try:
        async with asyncio.timeout(read_timeout):
            return await conn.reader.read(READ_SIZE)
    except TimeoutError:
        raise httpx.ReadTimeout("waiting for the service's answer") from None
    except OSError as error:
        raise httpx.ReadError(f"reading the service's answer: {error}") from error


def _feed(parser: Any, data: bytes) -> None:
    try:
        parser.feed_data(data)
    except httptools.HttpParserError as error:
        raise httpx.RemoteProtocolError(f"a malformed answer: {error}") from error
