"""The gateway's transport to the services, against a scripted HTTP/1.1 server on a real socket:
keep-alive connections are reused, and never one the service closed, one whose answer was not
read to its end, or one the service asked to close; a malformed or cut answer is an httpx
protocol error (the gateway's 502)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from tests.ports import refusing_port
from ticketing.gateway_transport import UpstreamTransport

Script = Callable[[int, int], bytes]  # (connection number, request number on it) -> answer


def ok(body: bytes, *extra: bytes) -> bytes:
    headers = b"".join(h + b"\r\n" for h in extra)
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), headers, body)


@dataclass
class Service:
    """Answers each request by `script`; closes a connection after answering when `close_after`
    says so for that connection's request number."""

    script: Script
    close_after: Callable[[int, int], bool] = lambda _conn, _n: False
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number, n = self.connections, 0
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                self.requests.append(head)
                n += 1
                writer.write(self.script(number, n))
                await writer.drain()
                if self.close_after(number, n):
                    return
        finally:
            writer.close()


@asynccontextmanager
async def serving(service: Service) -> AsyncIterator[httpx.AsyncClient]:
    server = await asyncio.start_server(service.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", transport=UpstreamTransport()
        ) as client:
            yield client
    finally:
        server.close()


async def test_requests_one_after_another_share_one_kept_alive_connection() -> None:
    service = Service(lambda conn, n: ok(f"پاسخ {conn}/{n}".encode()))
    async with serving(service) as client:
        answers = [(await client.get(f"/v1/tickets/{i}")).text for i in range(3)]
    assert answers == ["پاسخ 1/1", "پاسخ 1/2", "پاسخ 1/3"]
    assert service.connections == 1
    assert service.requests[2].startswith(b"GET /v1/tickets/2 HTTP/1.1\r\n")


async def test_a_connection_the_service_closed_while_idle_is_not_used_again() -> None:
    service = Service(lambda conn, n: ok(b"{}"), close_after=lambda _conn, _n: True)
    async with serving(service) as client:
        first = await client.get("/v1/counters")
        await asyncio.sleep(0.05)  # the service's close reaches the client's event loop
        second = await client.get("/v1/counters")
    assert (first.status_code, second.status_code) == (200, 200)
    assert service.connections == 2


def closes_on_the_second_request(conn: int, n: int) -> bytes:
    """Connection 1 answers its first request and closes on its second without a word (as a
    service does with a connection it timed out just as a request was sent); others answer."""
    return b"" if (conn, n) == (1, 2) else ok(b"{}")


async def test_a_bodiless_request_on_a_connection_closed_under_it_is_sent_again() -> None:
    service = Service(closes_on_the_second_request, close_after=lambda conn, n: (conn, n) == (1, 2))
    async with serving(service) as client:
        assert (await client.get("/v1/tickets/a")).status_code == 200
        assert (await client.get("/v1/tickets/b")).status_code == 200
    assert service.connections == 2
    paths = [r.split(b" ")[1] for r in service.requests]
    assert paths == [b"/v1/tickets/a", b"/v1/tickets/b", b"/v1/tickets/b"]


async def test_a_request_with_a_body_is_never_sent_twice() -> None:
    service = Service(closes_on_the_second_request, close_after=lambda conn, n: (conn, n) == (1, 2))
    async with serving(service) as client:
        assert (await client.get("/v1/tickets/a")).status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/v1/tickets", content="سلام".encode())
    assert service.connections == 1


async def test_an_answer_not_read_to_its_end_closes_its_connection() -> None:
    service = Service(lambda conn, n: ok(b"x" * 200_000))
    async with serving(service) as client:
        async with client.stream("GET", "/v1/attachments/a1") as answer:
            async for _ in answer.aiter_raw():
                break  # the client went away after the first piece
        assert len((await client.get("/v1/attachments/a2")).content) == 200_000
    assert service.connections == 2


async def test_a_connection_the_service_asked_to_close_is_not_kept() -> None:
    service = Service(lambda conn, n: ok(b"{}", b"Connection: close"))
    async with serving(service) as client:
        for _ in range(2):
            assert (await client.get("/v1/departments")).status_code == 200
    assert service.connections == 2


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (b"HTTP/1.1 2xx Fine\r\n\r\n", "a malformed status line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "a body cut short"),
        (b"HTTP/1.1 200 OK\r\nContent", "headers cut short"),
    ],
)
async def test_a_malformed_or_cut_answer_is_a_protocol_error(answer: bytes, why: str) -> None:
    service = Service(lambda conn, n: answer, close_after=lambda _conn, _n: True)
    async with serving(service) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/v1/tickets")


async def test_a_request_body_of_known_length_and_a_chunked_one_arrive_whole() -> None:
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(2):
            head = await reader.readuntil(b"\r\n\r\n")
            if b"content-length: 9" in head.lower():
                received.append(await reader.readexactly(9))
            else:
                received.append(await reader.readuntil(b"0\r\n\r\n"))
            writer.write(ok(b"{}"))
            await writer.drain()
        writer.close()

    async def pieces() -> AsyncIterator[bytes]:
        yield "سلام".encode()
        yield b"!"

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(transport=UpstreamTransport()) as client:
            url = f"http://127.0.0.1:{port}/v1/tickets"
            await client.post(url, content="سلام!".encode())
            await client.post(url, content=pieces())
    finally:
        server.close()
    assert received == ["سلام!".encode(), b"8\r\n" + "سلام".encode() + b"\r\n1\r\n!\r\n0\r\n\r\n"]


async def test_a_service_that_is_not_there_is_a_connect_error() -> None:
    port = refusing_port()
    async with httpx.AsyncClient(transport=UpstreamTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/readyz")


async def test_a_connection_idle_past_the_expiry_is_closed_when_another_comes_back() -> None:
    service = Service(lambda conn, n: ok(b"{}"))
    server = await asyncio.start_server(service.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = UpstreamTransport(keepalive_expiry=2.0)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", transport=transport
        ) as client:
            async with asyncio.TaskGroup() as both:  # two at once: two connections kept
                both.create_task(client.get("/v1/counters"))
                both.create_task(client.get("/v1/counters"))
            for _ in range(2):  # the one on top is used every 1.2 s; the other only ages
                await asyncio.sleep(1.2)
                assert (await client.get("/v1/counters")).status_code == 200
            kept = [c for stack in transport._idle.values() for c in stack]
    finally:
        server.close()
    assert service.connections == 2  # the one on top was reused each time
    assert len(kept) == 1  # the other, idle 2.4 s, was closed, not left open in the stack


@pytest.mark.parametrize(
    "header",
    [
        {"X-Correlation-Id": "abc\r\nContent-Length: 0\r\n\r\nGET /v1/admin HTTP/1.1"},
        {"X-Forwarded-For": "1.2.3.4\nX-Role: admin"},
        {"X-Note": "bad\x00byte"},
        {"X-Evil\r\nX-Role": "admin"},
    ],
)
async def test_a_header_holding_a_line_break_or_nul_is_never_sent(header: dict[str, str]) -> None:
    service = Service(lambda conn, n: ok(b"{}"))
    async with serving(service) as client:
        with pytest.raises(httpx.LocalProtocolError):
            await client.get("/v1/counters", headers=header)
        after = await client.get("/v1/counters")
    assert after.status_code == 200
    assert len(service.requests) == 1  # only the clean request reached the service
