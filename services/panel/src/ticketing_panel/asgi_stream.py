"""An httpx transport that calls an ASGI app in-process and streams its answer.

httpx's own ASGITransport waits until the app has finished and buffers the whole body, so a
server-sent event stream (which never finishes) would hang. Here the app runs as a task whose
body messages flow through a queue as they are sent; closing the response tells the app the
client left (`http.disconnect`) and then cancels it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import httpx
from starlette.types import ASGIApp, Message

_END = None


class StreamingASGITransport(httpx.AsyncBaseTransport):
    """Requests to `app` as if over HTTP, without a socket."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = request.stream
        assert isinstance(body, httpx.AsyncByteStream)
        chunks = body.__aiter__()
        sent_all = False
        left = asyncio.Event()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        started: asyncio.Future[Message] = asyncio.get_running_loop().create_future()

        async def receive() -> Message:
            nonlocal sent_all
            if not sent_all:
                try:
                    chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    sent_all = True
                    return {"type": "http.request", "body": b"", "more_body": False}
                return {"type": "http.request", "body": chunk, "more_body": True}
            await left.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start" and not started.done():
                started.set_result(message)
            elif message["type"] == "http.response.body":
                await queue.put(message.get("body", b""))
                if not message.get("more_body", False):
                    await queue.put(_END)

        async def run() -> None:
            try:
                await self._app(_scope_of(request), receive, send)
            except Exception as error:
                if not started.done():
                    started.set_exception(httpx.TransportError(f"in-process app failed: {error}"))
            finally:
                if not started.done():
                    started.set_exception(httpx.TransportError("the app sent no response"))
                await queue.put(_END)

        task = asyncio.create_task(run())
        # The request's read timeout bounds the wait for the answer's start (its body, an SSE
        # stream say, may take as long as it takes).
        timeout = (request.extensions.get("timeout") or {}).get("read")
        try:
            start = await asyncio.wait_for(asyncio.shield(started), timeout)
        except TimeoutError as error:
            left.set()
            await _stop(task)
            raise httpx.ReadTimeout("the in-process app did not answer in time") from error
        except BaseException:
            left.set()
            await _stop(task)
            raise
        headers = [(k, v) for k, v in start.get("headers", [])]
        return httpx.Response(
            start["status"], headers=headers, stream=_Body(queue, task, left), request=request
        )


class _Body(httpx.AsyncByteStream):
    def __init__(
        self, queue: asyncio.Queue[bytes | None], task: asyncio.Task[None], left: asyncio.Event
    ) -> None:
        self._queue, self._task, self._left = queue, task, left

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self._queue.get()) is not _END:
            if chunk:
                yield chunk

    async def aclose(self) -> None:
        self._left.set()
        await _stop(self._task)


async def _stop(task: asyncio.Task[None]) -> None:
    # Give the app a moment to see the disconnect and end cleanly, then cancel it. asyncio.wait
    # never raises the task's own outcome, and our caller's cancellation still passes.
    if not task.done():
        await asyncio.wait([task], timeout=1.0)
    if not task.done():
        task.cancel()
        await asyncio.wait([task])


def _scope_of(request: httpx.Request) -> dict[str, Any]:
    url = request.url
    port = url.port or (443 if url.scheme == "https" else 80)
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "scheme": url.scheme,
        "path": unquote(url.raw_path.split(b"?")[0].decode("ascii")),
        "raw_path": url.raw_path.split(b"?")[0],
        "query_string": url.query,
        "server": (url.host, port),
        "client": ("127.0.0.1", 0),
        "root_path": "",
    }
