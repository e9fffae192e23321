"""Server-Sent Events over a real HTTP server: delivery within a second, Last-Event-ID, and the
token in the query string."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from ticketing_notifications.bootstrap import build_notifications_service
from ticketing_notifications.entrypoints.http import create_app
from ticketing_notifications.settings import NotificationsSettings
from unit.notifications.events import PushFeed

from .notification_fixtures import Story, bearer, token


@dataclass
class Live:
    url: str
    feed: PushFeed


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    settings = NotificationsSettings(
        data_dir=tmp_path, notifications_store_url=f"sqlite:///{tmp_path / 'n.db'}",
        sse_poll_seconds=5.0,  # so a delivery under a second proves the in-process wake-up
    )  # fmt: skip
    feed = PushFeed()
    service = build_notifications_service(settings, feed=feed)
    app = create_app(service)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    yield Live(f"http://127.0.0.1:{port}", feed)
    server.should_exit = True
    await task
    sock.close()


async def _events(response: httpx.Response, count: int) -> list[tuple[str, dict[str, Any]]]:
    """The next `count` SSE events (id, data) of a streaming response."""
    found: list[tuple[str, dict[str, Any]]] = []
    event_id, data = "", ""
    async for line in response.aiter_lines():
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and data:
            found.append((event_id, json.loads(data)))
            event_id, data = "", ""
            if len(found) == count:
                return found
    return found


async def test_a_notification_reaches_an_open_stream_within_a_second(live: Live) -> None:
    story = Story()
    sara = bearer("customer", "cust-1")
    async with (
        httpx.AsyncClient(base_url=live.url, timeout=5) as client,
        client.stream("GET", "/v1/notifications/stream", headers=sara) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        await asyncio.sleep(0.2)
        started = time.monotonic()
        live.feed.push(story.opened(), story.message(by="agent"))
        [(event_id, item)] = await asyncio.wait_for(_events(response, 1), timeout=2)
        assert time.monotonic() - started < 1.0
    assert event_id == item["notification_id"]
    assert item["tracking_code"] == "87831491"
    assert item["kind"] == "agent_replied"
    # The same ready-to-show fields as the list: Jalali time, a text naming title and code.
    assert item["created_at_jalali"] == "1404/03/30 14:07"
    assert "درخواست پیش فاکتور" in item["text"]
    assert "87831491" in item["text"]


async def test_last_event_id_resumes_after_that_notification(live: Live) -> None:
    story = Story()
    live.feed.push(story.opened(), *[story.message(by="agent") for _ in range(3)])
    who = bearer("customer", "cust-1")
    async with httpx.AsyncClient(base_url=live.url, timeout=5) as client:
        for _ in range(100):
            listed = (await client.get("/v1/notifications", headers=who)).json()["items"]
            if len(listed) == 3:
                break
            await asyncio.sleep(0.02)
        oldest_first = [i["notification_id"] for i in reversed(listed)]
        headers = {**who, "Last-Event-ID": oldest_first[0]}
        async with client.stream("GET", "/v1/notifications/stream", headers=headers) as response:
            resumed = await asyncio.wait_for(_events(response, 2), timeout=2)
    assert [event_id for event_id, _ in resumed] == oldest_first[1:]


async def test_the_stream_takes_the_token_from_access_token(live: Live) -> None:
    story = Story()
    ali = token("agent", "agent-ali", departments=["finance"])
    url = f"/v1/notifications/stream?access_token={ali}"
    async with (
        httpx.AsyncClient(base_url=live.url, timeout=5) as client,
        client.stream("GET", url) as response,
    ):
        assert response.status_code == 200
        await asyncio.sleep(0.1)
        live.feed.push(story.opened())
        [(_, item)] = await asyncio.wait_for(_events(response, 1), timeout=2)
    assert item["kind"] == "ticket_opened"


async def test_the_stream_refuses_a_bad_token_and_other_routes_ignore_access_token(
    live: Live,
) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=5) as client:
        bad = await client.get("/v1/notifications/stream?access_token=نه")
        assert bad.status_code == 401
        good = token("customer", "cust-1")
        listed = await client.get(f"/v1/notifications?access_token={good}")
        assert listed.status_code == 401
