"""The gateway as a proxy, on real sockets: headers pass (hop-by-hop ones do not), bodies stream
both ways, SSE events flow one by one, a missing or stalled upstream is a problem, readiness
asks every upstream. The upstream here is a small recording app standing in for the four."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.ports import refusing_port
from ticketing.gateway import GatewaySettings, create_gateway_app
from ticketing.gateway_routes import Upstream

from .live import served


@dataclass
class Recorder:
    """What the stand-in upstream saw, and the switches a test flips."""

    seen: list[dict[str, object]] = field(default_factory=list)
    first_chunk: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    ready: bool = True

    def app(self) -> Starlette:
        async def echo(request: Request) -> Response:
            digest, size = hashlib.sha256(), 0
            async for chunk in request.stream():
                if chunk and not self.first_chunk.is_set():
                    self.first_chunk.set()
                digest.update(chunk)
                size += len(chunk)
            self.seen.append(
                {
                    "method": request.method,
                    "raw_path": request.scope["raw_path"].decode(),
                    "query": request.scope["query_string"].decode(),
                    "headers": request.headers.items(),
                }
            )
            response = JSONResponse({"sha256": digest.hexdigest(), "size": size}, status_code=201)
            response.headers.append("Set-Cookie", "a=1")
            response.headers.append("Set-Cookie", "b=2")
            response.headers["X-Upstream"] = "stand-in"
            return response

        async def stream(_: Request) -> Response:
            async def events() -> AsyncIterator[bytes]:
                yield b'id: n1\ndata: {"text": "first"}\n\n'
                await self.release.wait()  # the next one only after the client saw the first
                yield b'id: n2\ndata: {"text": "second"}\n\n'

            return StreamingResponse(events(), media_type="text/event-stream")

        async def stall(_: Request) -> Response:
            await asyncio.sleep(3)
            return JSONResponse({})

        async def readyz(_: Request) -> Response:
            return JSONResponse({}, status_code=200 if self.ready else 503)

        return Starlette(
            routes=[
                Route("/readyz", readyz),
                Route("/v1/notifications/stream", stream),
                Route("/v1/counters", stall),
                Route("/{path:path}", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            ]
        )


@dataclass
class Rig:
    recorder: Recorder
    client: httpx.AsyncClient


def _settings(upstream: str, **overrides: str) -> GatewaySettings:
    urls = {f"gateway_{u}_url": upstream for u in Upstream}
    return GatewaySettings(**(urls | overrides), gateway_read_timeout_seconds=1)  # type: ignore[arg-type]


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    recorder = Recorder()
    async with (
        served(recorder.app()) as upstream,
        served(create_gateway_app(_settings(upstream))) as gateway,
        httpx.AsyncClient(base_url=gateway, timeout=5) as client,
    ):
        yield Rig(recorder, client)


async def test_end_to_end_headers_pass_and_hop_by_hop_headers_do_not(rig: Rig) -> None:
    headers = {
        "Authorization": "Bearer a.b.c",
        "X-Min-Position": "42",
        "Idempotency-Key": "open-7",
        "If-Match": '"3"',
        "Last-Event-ID": "n1",
        "X-Correlation-Id": "call-1234",
        "Connection": "keep-alive, X-Private-Hop",
        "X-Private-Hop": "only for the next hop",
        "Keep-Alive": "timeout=5",
        "Proxy-Authorization": "Basic cHJveHk=",
        "TE": "trailers",
    }
    response = await rig.client.get(
        "/v1/tickets", params={"q": "پیش فاکتور", "status": ["1", "5"]}, headers=headers
    )
    assert response.status_code == 201
    [seen] = rig.recorder.seen
    got = {k.lower(): v for k, v in seen["headers"]}  # type: ignore[attr-defined]
    for name in ("authorization", "x-min-position", "idempotency-key", "if-match", "last-event-id"):
        assert got[name] == headers[{k.lower(): k for k in headers}[name]]
    for name in ("x-private-hop", "keep-alive", "proxy-authorization", "te"):
        assert name not in got
    assert got["x-correlation-id"] == "call-1234"  # one id across the gateway and the service
    assert got["x-forwarded-for"] == "127.0.0.1"
    assert seen["query"] == str(response.request.url.query.decode())
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.headers["x-upstream"] == "stand-in"
    assert response.headers.get_list("x-correlation-id") == ["call-1234"]


async def test_the_raw_path_reaches_the_service_unchanged(rig: Rig) -> None:
    path = "/v1/tickets/by-tracking-code/%DB%B8%DB%B7%DB%B8%DB%B3"
    await rig.client.get(path)
    assert rig.recorder.seen[0]["raw_path"] == path


async def test_a_request_body_streams_through_before_it_has_all_arrived(rig: Rig) -> None:
    first, second = b"\x89PNG" + b"\x00" * 300_000, b"\x01" * 700_000

    async def body() -> AsyncIterator[bytes]:
        yield first
        # The upstream must have the first part while the client still holds the second:
        # a gateway that buffered the body would wait here forever.
        await asyncio.wait_for(rig.recorder.first_chunk.wait(), 5)
        yield second

    response = await rig.client.post("/v1/attachments", content=body())
    assert response.status_code == 201
    assert response.json() == {
        "sha256": hashlib.sha256(first + second).hexdigest(),
        "size": len(first) + len(second),
    }
    [seen] = rig.recorder.seen
    assert seen["method"] == "POST"


async def test_server_sent_events_flow_one_by_one(rig: Rig) -> None:
    async with rig.client.stream("GET", "/v1/notifications/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()

        async def next_event() -> list[str]:
            event: list[str] = []
            async for line in lines:
                if not line:
                    return event
                event.append(line)
            return event

        assert await asyncio.wait_for(next_event(), 5) == ["id: n1", 'data: {"text": "first"}']
        rig.recorder.release.set()  # only now does the upstream write the second event
        assert await asyncio.wait_for(next_event(), 5) == ["id: n2", 'data: {"text": "second"}']


async def test_an_unknown_path_is_404_and_a_wrong_method_405_without_asking_anyone(
    rig: Rig,
) -> None:
    missing = await rig.client.post("/internal/v1/attachments/check", json={})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = await rig.client.delete("/v1/counters")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, HEAD"
    assert rig.recorder.seen == []


async def test_a_stalled_upstream_is_a_504_problem(rig: Rig) -> None:
    response = await rig.client.get("/v1/counters")
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/problem+json"
    assert "query" in response.json()["detail"]


async def test_an_upstream_that_is_down_is_a_503_problem_and_the_gateway_is_not_ready() -> None:
    recorder = Recorder()
    nowhere = f"http://127.0.0.1:{refusing_port()}"
    async with (
        served(recorder.app()) as upstream,
        served(create_gateway_app(_settings(upstream, gateway_query_url=nowhere))) as gateway,
        httpx.AsyncClient(base_url=gateway, timeout=10) as client,
    ):
        down = await client.get("/v1/tickets", headers={"Authorization": "Bearer a.b.c"})
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/problem+json"
        assert down.headers["retry-after"] == "1"
        assert down.json()["detail"] == "The query service cannot be reached now."
        up = await client.post("/v1/tickets", json={})
        assert up.status_code == 201  # the other services still answer

        not_ready = await client.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["upstreams"]["query"].startswith("unreachable")
        assert not_ready.json()["upstreams"]["tickets"] == "ready"


async def test_the_gateway_is_ready_only_when_every_upstream_is(rig: Rig) -> None:
    ready = await rig.client.get("/readyz")
    assert ready.status_code == 200
    assert set(ready.json()["upstreams"]) == {
        "tickets",
        "query",
        "attachments",
        "notifications",
        "panel",
    }
    rig.recorder.ready = False
    assert (await rig.client.get("/readyz")).status_code == 503
    assert (await rig.client.get("/healthz")).status_code == 200  # alive all the same
