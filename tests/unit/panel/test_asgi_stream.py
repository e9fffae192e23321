"""The in-process transport streams an app's answer as it is sent, tells the app when the
client leaves, and bounds the wait for an answer by the request's timeout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.types import Receive, Scope, Send
from ticketing_panel.asgi_stream import StreamingASGITransport


class Endless:
    """An SSE-like app: one event, then nothing until the client leaves."""

    def __init__(self) -> None:
        self.left = asyncio.Event()
        self.seen: Scope = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.seen = scope
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
        await send({"type": "http.response.body", "body": b"data: one\n\n", "more_body": True})
        while (await receive())["type"] != "http.disconnect":
            pass
        self.left.set()


async def test_a_never_ending_answer_streams_and_the_app_learns_the_client_left() -> None:
    app = Endless()
    transport = StreamingASGITransport(app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://x") as c,
        c.stream("GET", "/v1/notifications/stream?a=%D8%B3") as answer,
    ):
        assert answer.status_code == 200
        assert answer.headers["x-a"] == "1"
        first = await asyncio.wait_for(answer.aiter_raw().__anext__(), timeout=2)
        assert first == b"data: one\n\n"
    await asyncio.wait_for(app.left.wait(), timeout=2)
    assert app.seen["path"] == "/v1/notifications/stream"
    assert app.seen["query_string"] == b"a=%D8%B3"


async def test_a_request_body_reaches_the_app_in_full() -> None:
    received = bytearray()

    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            received.extend(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": bytes(received)})

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"x" * 1000

    async with httpx.AsyncClient(transport=StreamingASGITransport(echo), base_url="http://x") as c:
        answer = await c.post("/v1/attachments", content=chunks())
    assert answer.status_code == 201
    assert answer.content == b"x" * 3000


async def test_an_app_that_does_not_answer_in_time_is_a_read_timeout() -> None:
    async def silent(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(30)

    transport = StreamingASGITransport(silent)
    async with httpx.AsyncClient(transport=transport, base_url="http://x", timeout=0.2) as c:
        with pytest.raises(httpx.ReadTimeout):
            await c.get("/v1/tickets")


async def test_an_app_that_fails_before_answering_is_a_transport_error() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    async with httpx.AsyncClient(
        transport=StreamingASGITransport(broken), base_url="http://x"
    ) as c:
        with pytest.raises(httpx.TransportError):
            await c.get("/v1/tickets")
