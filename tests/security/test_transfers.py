"""A ticket transferred out of a department: the department's agents can no longer open it, so
no list of theirs (notifications included) may still show its title or tracking code."""

from __future__ import annotations

import pytest

from .probe import probe
from .world import World

pytestmark = pytest.mark.asyncio(loop_scope="module")
CATEGORY = "transfers"


async def test_a_transferred_ticket_leaves_the_old_departments_notifications(
    world: World,
) -> None:
    opened = await world.client.post(
        "/v1/tickets",
        json={
            "title": "zqMovedTitle بازپرداخت محرمانه",
            "department": "technical",
            "priority": "normal",
            "body": "لطفاً بررسی کنید.",
        },
        headers={**world.who("ali"), "Idempotency-Key": "zq-moved-ticket-0001"},
    )
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    moved = await world.client.patch(
        f"/v1/tickets/{ticket['ticket_id']}",
        json={"department": "finance"},
        headers=world.who("admin"),
    )
    assert moved.status_code == 200, moved.text
    fresh = {"X-Min-Position": str(moved.json()["position"])}
    # The technical agent may no longer open it ...
    await probe(
        world, CATEGORY, "GET", f"/v1/tickets/{ticket['ticket_id']}", caller="agent_tech",
        expect={404}, headers=fresh, forbidden=set(),
    )  # fmt: skip
    # ... so their notifications must not name it either.
    await probe(
        world, CATEGORY, "GET", "/v1/notifications", caller="agent_tech", expect={200},
        headers=fresh, params={"limit": "100"},
        forbidden={"zqMovedTitle", ticket["tracking_code"], ticket["ticket_id"]},
    )  # fmt: skip
