"""Read-your-writes on downloads (API.md): `X-Min-Position` waits until the attachments
service's own reference consumer has applied the position, in the embedded composition (where
the query service may be ahead or behind it) and in the service alone, as its process runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from unit.attachments import samples

from .attachment_fixtures import Desk, who
from .composition import RECEIPT, Composed, composed
from .query_fixtures import Who, agent, customer

CUSTOMER = customer()
AGENT = agent(["technical"])  # the desk's tickets open in `technical`


@pytest.fixture(params=["memory", "sqlite"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Composed]:
    async with composed(tmp_path, on_disk=request.param == "sqlite") as everything:
        yield everything


def at(who: Who, position: int | str) -> Who:
    return {**who, "X-Min-Position": str(position)}


async def test_a_download_waits_until_the_ticket_carrying_it_is_applied_here(
    world: Composed,
) -> None:
    receipt = await world.upload(CUSTOMER)
    await world.attachments.stop()  # hold the reference consumer back
    opened = await world.desk.open(CUSTOMER, attachment_ids=[receipt])
    # The query service follows its own consumer: the same position is served there at once.
    detail = await world.client.get(
        f"/v1/tickets/{opened['ticket_id']}", headers=at(AGENT, opened["position"])
    )
    assert detail.status_code == 200
    download = asyncio.create_task(
        world.client.get(f"/v1/attachments/{receipt}", headers=at(AGENT, opened["position"]))
    )
    await asyncio.sleep(0.2)
    assert not download.done()
    world.attachments.start()
    response = await download
    assert response.status_code == 200
    assert response.content == RECEIPT


async def test_without_the_header_a_download_answers_at_once_from_what_is_applied(
    world: Composed,
) -> None:
    receipt = await world.upload(CUSTOMER)
    await world.attachments.stop()
    await world.desk.open(CUSTOMER, attachment_ids=[receipt])
    # No wait, so no 503: the agent is refused as the service knows no ticket carrying it yet.
    assert (await world.client.get(f"/v1/attachments/{receipt}", headers=AGENT)).status_code == 404
    own = await world.client.get(f"/v1/attachments/{receipt}", headers=CUSTOMER)
    assert own.status_code == 200


async def test_a_position_never_applied_is_503_problem_with_retry_after(world: Composed) -> None:
    receipt = await world.upload(CUSTOMER)
    opened = await world.desk.open(CUSTOMER, attachment_ids=[receipt])
    # The largest position a store can hand out (a KurrentDB commit position) is accepted.
    for position in (opened["position"] + 1000, 2**63 - 1):
        response = await world.client.get(f"/v1/attachments/{receipt}", headers=at(AGENT, position))
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 503


@pytest.mark.parametrize(
    "value", ["abc", "-1", "1.5", "", "+3", "۱۲".encode(), "9223372036854775808"]
)
async def test_a_min_position_that_is_not_a_non_negative_64_bit_integer_is_400(
    world: Composed, value: str | bytes
) -> None:
    receipt = await world.upload(CUSTOMER)
    raw = value if isinstance(value, bytes) else value.encode()
    headers = [(k.encode(), v.encode()) for k, v in CUSTOMER.items()]
    response = await world.client.get(
        f"/v1/attachments/{receipt}", headers=[*headers, (b"X-Min-Position", raw)]
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_unauthenticated_download_is_401_before_any_waiting(world: Composed) -> None:
    receipt = await world.upload(CUSTOMER)
    response = await world.client.get(
        f"/v1/attachments/{receipt}", headers={"X-Min-Position": "999999"}
    )
    assert response.status_code == 401


async def test_the_service_alone_waits_until_its_feed_brings_the_position(
    attachments_desk: Desk,
) -> None:
    desk = attachments_desk
    uploader, reader = who("customer", "cust-1"), who("agent", "agent-1", departments=["finance"])
    receipt = await desk.stored(uploader, samples.pdf(), "پیش فاکتور.pdf", "application/pdf")
    download = asyncio.create_task(
        desk.client.get(f"/v1/attachments/{receipt}", headers=at(reader, desk.position + 1))
    )
    await asyncio.sleep(0.2)
    assert not download.done()
    await desk.happen(
        "3f1c9a7e5b2d4c6e8a0b1c2d3e4f5a6b",
        1,
        "TicketOpened",
        customer_id="cust-1",
        department="finance",
        attachment_ids=[receipt],
    )
    response = await download
    assert response.status_code == 200
    assert response.content == samples.pdf()
