"""Read-your-writes on the notifications GETs (API.md): `X-Min-Position` waits until the
notifications service's own consumer has applied the position (the SSE stream waits before it
starts), in the embedded composition and in the service alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from .composition import Composed, composed
from .live import served
from .notification_fixtures import Notifications, Story, bearer
from .query_fixtures import Who, admin, agent, customer

CUSTOMER = customer()
AGENT = agent(["technical"])  # the desk's tickets open in `technical`
LIST, PREFERENCES, STREAM = (
    "/v1/notifications",
    "/v1/notifications/preferences",
    "/v1/notifications/stream",
)


@pytest.fixture(params=["memory", "sqlite"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Composed]:
    async with composed(tmp_path, on_disk=request.param == "sqlite") as everything:
        yield everything


def at(who: Who, position: int | str) -> Who:
    return {**who, "X-Min-Position": str(position)}


async def _replied(world: Composed) -> tuple[str, int]:
    """A customer's ticket and the position of the agent's reply (which notifies the customer)."""
    ticket_id = (await world.desk.open(CUSTOMER))["ticket_id"]
    reply = await world.desk.reply(AGENT, ticket_id, "پیش فاکتور پیوست شد؛ لطفاً بررسی بفرمایید.")
    return ticket_id, int(reply["position"])


async def test_the_list_and_preferences_wait_until_the_reply_is_applied_here(
    world: Composed,
) -> None:
    await world.notifications.stop()  # hold the consumer back
    ticket_id, position = await _replied(world)
    # The query service follows its own consumer: the same position is served there at once.
    shown = await world.client.get(f"/v1/tickets/{ticket_id}", headers=at(CUSTOMER, position))
    assert shown.status_code == 200
    listed = asyncio.create_task(world.client.get(LIST, headers=at(CUSTOMER, position)))
    preferences = asyncio.create_task(world.client.get(PREFERENCES, headers=at(CUSTOMER, position)))
    await asyncio.sleep(0.2)
    assert not listed.done()
    assert not preferences.done()
    world.notifications.start()
    page = await listed
    assert page.status_code == 200
    assert [(n["ticket_id"], n["kind"]) for n in page.json()["items"]] == [
        (ticket_id, "agent_replied")
    ]
    assert (await preferences).status_code == 200


async def test_without_the_header_the_list_answers_at_once_from_what_is_applied(
    world: Composed,
) -> None:
    await world.notifications.stop()
    await _replied(world)
    page = await world.client.get(LIST, headers=CUSTOMER)
    assert page.status_code == 200
    assert page.json()["items"] == []  # not consumed yet, and no 503: nothing waited


async def test_the_stream_waits_for_the_position_before_it_starts(world: Composed) -> None:
    await world.notifications.stop()
    _, position = await _replied(world)

    async def first_line(http: httpx.AsyncClient) -> tuple[int, str, str]:
        async with http.stream("GET", STREAM, headers=at(CUSTOMER, position)) as response:
            async for line in response.aiter_lines():
                return response.status_code, response.headers["content-type"], line
        raise AssertionError("the stream ended at once")

    async with (
        served(world.app, lifespan="off") as url,  # a real socket: the stream's start is seen
        httpx.AsyncClient(base_url=url, timeout=5) as http,
    ):
        stream = asyncio.create_task(first_line(http))
        await asyncio.sleep(0.3)
        assert not stream.done()  # no status line yet: it waits before it starts
        world.notifications.start()
        status, content_type, line = await asyncio.wait_for(stream, 5)
    assert status == 200
    assert content_type.startswith("text/event-stream")
    assert line == "retry: 1000"


async def test_a_position_never_applied_is_503_problem_with_retry_after_on_every_get(
    world: Composed,
) -> None:
    _, position = await _replied(world)
    never = position + 1000
    token = CUSTOMER["Authorization"].removeprefix("Bearer ")
    async with asyncio.timeout(10):  # a stream that started would never end here
        responses = await asyncio.gather(
            world.client.get(LIST, headers=at(CUSTOMER, never)),
            world.client.get(PREFERENCES, headers=at(CUSTOMER, 2**63 - 1)),
            # The stream's token may come in the query string: the header still counts.
            world.client.get(STREAM, params={"access_token": token}, headers=at({}, never)),
            world.client.get(f"{LIST}/dead-letters", headers=at(admin(), never)),
            world.client.get(f"{LIST}/unconfirmed", headers=at(admin(), never)),
        )
    for response in responses:
        assert response.status_code == 503, response.request.url
        assert response.headers["retry-after"] == "1"
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "value", ["abc", "-1", "1.5", "", "+3", "۱۲".encode(), "9223372036854775808"]
)
async def test_a_min_position_that_is_not_a_non_negative_64_bit_integer_is_400(
    world: Composed, value: str | bytes
) -> None:
    raw = value if isinstance(value, bytes) else value.encode()
    headers = [(k.encode(), v.encode()) for k, v in CUSTOMER.items()]
    for path in (LIST, PREFERENCES, STREAM):
        async with asyncio.timeout(10):  # a stream that started would never end here
            response = await world.client.get(path, headers=[*headers, (b"X-Min-Position", raw)])
        assert response.status_code == 400, path
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_unauthenticated_read_is_401_before_any_waiting(world: Composed) -> None:
    for path in (LIST, STREAM):
        response = await world.client.get(path, headers={"X-Min-Position": "999999"})
        assert response.status_code == 401, path


async def test_the_service_alone_waits_until_its_consumer_applies_the_position(
    notifications: Notifications,
) -> None:
    story = Story()
    opened, replied = story.opened(), story.message(by="agent")
    sara = bearer("customer", "cust-1")
    listed = asyncio.create_task(notifications.client.get(LIST, headers=at(sara, replied.position)))
    await asyncio.sleep(0.2)
    assert not listed.done()
    notifications.service.start()
    notifications.feed.push(opened, replied)
    page = await listed
    assert page.status_code == 200
    assert [n["kind"] for n in page.json()["items"]] == ["agent_replied"]
