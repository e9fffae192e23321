"""Internal notes: their text and their attachments never reach the customer side, in the
detail, lists, search (a `q` that matches only note text), counters, in-app notifications, the
SSE stream (also live, while the note is written) or downloads."""

from __future__ import annotations

import asyncio

import pytest

from .probe import judge, probe, stream_snapshot
from .world import World, bearer, token

pytestmark = pytest.mark.asyncio(loop_scope="module")
CATEGORY = "internal notes"
CUSTOMER_SIDE = ("ali", "rep_of_ali")


def _reads(world: World) -> list[tuple[str, dict[str, str], int]]:
    a, note = world.parties["A"], world.parties["A_NOTE"]
    return [
        (f"/v1/tickets/{a.ticket_id}", {}, 200),
        (f"/v1/tickets/by-tracking-code/{a.tracking_code}", {}, 200),
        ("/v1/tickets", {}, 200),
        ("/v1/tickets", {"q": "zqNoteBody"}, 200),
        ("/v1/tickets", {"q": "بدهکار"}, 200),
        ("/v1/tickets", {"q": "یادداشت داخلی"}, 200),
        ("/v1/tickets", {"q": "zqNoteFile"}, 200),
        ("/v1/tickets", {"status": "4"}, 200),
        ("/v1/counters", {}, 200),
        ("/v1/notifications", {}, 200),
        (f"/v1/attachments/{note.upload_id}", {}, 404),
    ]


@pytest.mark.parametrize("caller", CUSTOMER_SIDE)
async def test_the_customer_side_never_sees_a_note_or_its_attachment(
    world: World, caller: str
) -> None:
    for path, params, status in _reads(world):
        response = await probe(
            world, CATEGORY, "GET", path, caller=caller, expect={status},
            headers={"X-Min-Position": str(world.position)}, params=params,
        )  # fmt: skip
        if params.get("q") in ("zqNoteBody", "بدهکار", "یادداشت داخلی", "zqNoteFile"):
            assert response.json()["items"] == [], params


@pytest.mark.parametrize("caller", ["agent_tech", "admin"])
async def test_the_agent_side_does_see_the_note_so_the_scan_can_find_one(
    world: World, caller: str
) -> None:
    a = world.parties["A"]
    response = await probe(
        world, CATEGORY, "GET", f"/v1/tickets/{a.ticket_id}", caller=caller, expect={200},
        headers={"X-Min-Position": str(world.position)},
    )  # fmt: skip
    assert "zqNoteBody" in response.text
    found = await probe(
        world, CATEGORY, "GET", "/v1/tickets", caller=caller, expect={200},
        headers={"X-Min-Position": str(world.position)}, params={"q": "بدهکار"},
    )  # fmt: skip
    assert [t["ticket_id"] for t in found.json()["items"]] == [a.ticket_id]


async def test_a_note_written_while_the_customer_streams_never_reaches_the_stream(
    world: World,
) -> None:
    a, note = world.parties["A"], world.parties["A_NOTE"]
    note.markers.add("zqLiveNote")
    streams = [
        asyncio.create_task(
            stream_snapshot(world, "/v1/notifications/stream", headers=h, seconds=1)
        )
        for h in (world.who("ali"), world.who("rep_of_ali"))
    ]
    await asyncio.sleep(0.2)
    for body in ("zqLiveNote مشتری را پیگیری کن", "پاسخ عمومی zqLivePublic"):
        written = await world.client.post(
            f"/v1/tickets/{a.ticket_id}/messages",
            json={"body": body, "internal": body.startswith("zqLiveNote")},
            headers=world.who("agent_tech"),
        )
        assert written.status_code == 201, written.text
        world.position = max(world.position, written.json()["position"])
    for task in streams:
        streamed = await task
        judge(CATEGORY, streamed, expect={200}, forbidden=world.forbidden("ali")).assert_clean()
        # The public reply did arrive, so the stream was live while the note was written.
        assert "data:" in streamed.text


async def test_a_customer_cannot_make_a_note_or_post_on_the_agent_side(world: World) -> None:
    a = world.parties["A"]
    for flags in ({"internal": True}, {"follow_up": True}):
        await probe(
            world, CATEGORY, "POST", f"/v1/tickets/{a.ticket_id}/messages", caller="ali",
            expect={403, 422}, json={"body": "zqFakeNote", **flags},
        )  # fmt: skip
    # A representative of another customer, and one whose token names Ali twice, likewise.
    twice = bearer(token("representative", "rep-9", customers=["cust-ali", "cust-ali"]))
    await probe(
        world, CATEGORY, "POST", f"/v1/tickets/{a.ticket_id}/messages", caller=None,
        expect={403, 422}, headers=twice, json={"body": "zqFakeNote", "internal": True},
        forbidden=world.forbidden("rep_of_ali"),
    )  # fmt: skip
