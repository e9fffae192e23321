"""The query API's ticket shape and the eight status codes, walked over HTTP (STATES.md)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from .query_fixtures import Desk, Embedded, admin, agent, customer

LABELS = {
    1: "خوانده نشده – خوانده نشده",
    2: "ملاحظه شده ، در حال بررسی – خوانده نشده",
    3: "پاسخ داده شده ، در حال پیگیری – خوانده نشده",
    4: "پاسخ داده شده – خوانده نشده",
    5: "خوانده نشده – خوانده شده",
    6: "ملاحظه شده ، در حال بررسی – خوانده شده",
    7: "پاسخ داده شده ، در حال پیگیری – خوانده شده",
    8: "پاسخ داده شده – خوانده شده",
}
TICKET_FIELDS = {
    "ticket_id",
    "tracking_code",
    "title",
    "department",
    "request_type",
    "priority",
    "customer_id",
    "status",
    "closed",
    "created_at",
    "created_at_jalali",
    "last_activity_at",
    "unread_count",
    "assignee_id",
    "version",
}
SUPPORT = agent(["technical"])


async def status_of(desk: Desk, ticket_id: str) -> dict[str, Any]:
    seen_by_customer = await desk.ticket(customer(), ticket_id)
    seen_by_agent = await desk.ticket(SUPPORT, ticket_id)
    assert seen_by_customer["status"] == seen_by_agent["status"]
    status: dict[str, Any] = seen_by_customer["status"]
    assert status["label"] == LABELS[status["code"]]
    return status


async def test_one_ticket_walks_through_all_eight_codes_with_their_labels(desk: Desk) -> None:
    tid = (await desk.open(customer()))["ticket_id"]
    steps = [
        (None, 1, "not_seen", False),
        (desk.read(SUPPORT, tid), 2, "reviewing", False),
        (desk.read(customer(), tid), 6, "reviewing", True),
        (
            desk.reply(SUPPORT, tid, "در حال بررسی با اپراتور هستیم.", follow_up=True),
            3,
            "answered_following_up",
            False,
        ),
        (desk.read(customer(), tid), 7, "answered_following_up", True),
        (desk.reply(SUPPORT, tid, "مشکل برطرف شد؛ لطفاً دوباره امتحان کنید."), 4, "answered", False),
        (desk.read(customer(), tid), 8, "answered", True),
        (desk.reply(customer(), tid, "هنوز پیامک‌ها نمی‌روند."), 5, "not_seen", True),
    ]
    for write, code, agent_state, customer_read in steps:
        if write is not None:
            await write
        status = await status_of(desk, tid)
        assert (status["code"], status["agent_state"], status["customer_read"]) == (
            code,
            agent_state,
            customer_read,
        )


async def test_a_customer_reading_an_unseen_ticket_makes_it_code_five(desk: Desk) -> None:
    tid = (await desk.open(customer()))["ticket_id"]
    await desk.read(customer(), tid)
    assert (await status_of(desk, tid))["code"] == 5


async def test_a_ticket_an_agent_opens_for_a_customer_starts_answered_and_unread(
    desk: Desk,
) -> None:
    tid = (await desk.open(SUPPORT, customer_id="cust-1"))["ticket_id"]
    assert (await status_of(desk, tid))["code"] == 3
    shown = await desk.ticket(customer(), tid)
    assert shown["unread_count"] == 1


async def test_a_listed_ticket_has_every_field_the_contract_names(desk: Desk) -> None:
    opened = await desk.open(customer(), request_type="financial", priority="urgent")
    [item] = (await desk.json("/v1/tickets", customer()))["items"]
    assert set(item) >= TICKET_FIELDS
    assert item["ticket_id"] == opened["ticket_id"]
    assert item["tracking_code"] == opened["tracking_code"]
    assert (item["request_type"], item["priority"], item["customer_id"]) == (
        "financial",
        "urgent",
        "cust-1",
    )
    assert item["closed"] is False
    assert item["assignee_id"] is None
    assert item["version"] == 1
    assert item["created_at"].endswith("Z")
    assert datetime.fromisoformat(item["created_at"]).utcoffset() == timedelta(0)
    assert re.fullmatch(r"14\d\d/\d\d/\d\d \d\d:\d\d", item["created_at_jalali"])
    assert item["last_activity_at"] == item["created_at"]


async def test_unread_counts_are_read_from_the_callers_side(desk: Desk) -> None:
    tid = (await desk.open(customer()))["ticket_id"]
    await desk.reply(customer(), tid, "یک توضیح دیگر هم اضافه کنم.")
    assert (await desk.ticket(SUPPORT, tid))["unread_count"] == 2
    assert (await desk.ticket(customer(), tid))["unread_count"] == 0
    await desk.reply(SUPPORT, tid, "پیام شما رسید.")
    await desk.reply(SUPPORT, tid, "پیگیری ادامه دارد.", follow_up=True)
    assert (await desk.ticket(SUPPORT, tid))["unread_count"] == 0
    assert (await desk.ticket(customer(), tid))["unread_count"] == 2


async def test_the_detail_lists_messages_oldest_first_with_internal_notes_only_for_agents(
    desk: Desk,
) -> None:
    tid = (await desk.open(customer()))["ticket_id"]
    await desk.reply(SUPPORT, tid, "یادداشت داخلی: با تیم اپراتور تماس بگیرید.", internal=True)
    await desk.reply(SUPPORT, tid, "مشکل از سمت اپراتور بود و رفع شد.")
    for_agent = await desk.ticket(admin(), tid)
    bodies = [m["body"] for m in for_agent["messages"]]
    assert bodies[0] == OPENING_BODY
    assert [m["internal"] for m in for_agent["messages"]] == [False, True, False]
    for_customer = await desk.ticket(customer(), tid)
    assert [m["internal"] for m in for_customer["messages"]] == [False, False]
    first = for_customer["messages"][0]
    assert set(first) == {
        "message_id",
        "author_id",
        "author_role",
        "author_name",
        "body",
        "internal",
        "attachments",
        "created_at",
        "created_at_jalali",
    }
    assert (first["author_id"], first["author_role"], first["attachments"]) == (
        "cust-1",
        "customer",
        [],
    )
    assert for_customer["messages"][1]["author_role"] == "agent"


async def test_closing_and_reopening_show_in_the_ticket_and_move_its_activity(desk: Desk) -> None:
    tid = (await desk.open(customer()))["ticket_id"]
    before = await desk.ticket(customer(), tid)
    await desk.close(customer(), tid)
    closed = await desk.ticket(customer(), tid)
    assert closed["closed"] is True
    assert closed["last_activity_at"] > before["last_activity_at"]
    assert closed["status"] == before["status"]
    await desk.reply(customer(), tid, "ببخشید، مشکل دوباره پیش آمد.")
    assert (await desk.ticket(customer(), tid))["closed"] is False


async def test_the_openapi_document_lists_command_and_query_routes(embedded: Embedded) -> None:
    document = (await embedded.client.get("/openapi.json")).json()
    paths = document["paths"]
    for path in ("/v1/tickets", "/v1/tickets/{ticket_id}", "/v1/counters"):
        assert path in paths
    assert "/v1/tickets/by-tracking-code/{code}" in paths
    assert {"get", "post"} <= set(paths["/v1/tickets"])
    assert "TicketDetail" in document["components"]["schemas"]


OPENING_BODY = "سلام، از دیروز پیامک‌های انبوه ارسال نمی‌شوند. لطفاً بررسی کنید."
