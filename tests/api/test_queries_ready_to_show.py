"""What a person reads comes ready to show: labels, Jalali times, who closed a ticket and why,
and who wrote each message (API.md, Queries), on both read models."""

from __future__ import annotations

import re
from typing import Any

import pytest
from ticketing_contracts.catalog import BrandCatalog, BrandCatalogs

from .query_fixtures import OPENING, Desk, Embedded, _bearer, admin, agent, customer

JALALI = r"14\d\d/\d\d/\d\d \d\d:\d\d"


def named(role: str, sub: str, name: Any, **claims: Any) -> dict[str, str]:
    return _bearer(role, sub, "acme", name=name, **claims)


MARYAM = named("customer", "cust-1", "مریم رضایی")
ALI = named("agent", "agent-1", "علی کریمی")


async def test_a_ticket_carries_the_brands_labels_and_the_priority_label(desk: Desk) -> None:
    tid = (await desk.open(customer(), department="refunds", request_type="complaint"))["ticket_id"]
    for who in (customer(), admin()):
        [item] = (await desk.json("/v1/tickets", who))["items"]
        shown = await desk.ticket(who, tid)
        for ticket in (item, shown):
            assert ticket["department_label"] == "بازگشت وجه"
            assert ticket["request_type_label"] == "شکایت"
            assert (ticket["priority"], ticket["priority_label"]) == ("high", "زیاد")


@pytest.mark.parametrize(
    ("priority", "label"),
    [("low", "کم"), ("normal", "معمولی"), ("high", "زیاد"), ("urgent", "فوری")],
)
async def test_each_priority_has_its_persian_label(desk: Desk, priority: str, label: str) -> None:
    tid = (await desk.open(customer(), priority=priority))["ticket_id"]
    assert (await desk.ticket(customer(), tid))["priority_label"] == label


async def test_labels_are_looked_up_when_read_so_a_relabel_shows_at_once(
    embedded: Embedded,
) -> None:
    desk = embedded.desk
    tid = (await desk.open(customer(), department="technical"))["ticket_id"]
    assert (await desk.ticket(customer(), tid))["department_label"] == "پشتیبانی فنی"
    embedded.query.catalogs = BrandCatalogs(
        {
            "acme": BrandCatalog(
                departments={"technical": "واحد فنی سامانه پیامک"},
                request_types={"technical": "فنی"},
            )
        }
    )
    ticket = await desk.ticket(customer(), tid)
    assert ticket["department_label"] == "واحد فنی سامانه پیامک"
    # `general` is no longer configured for the brand: the code itself is shown.
    assert (ticket["request_type"], ticket["request_type_label"]) == ("general", "general")


async def test_last_activity_and_every_message_have_a_jalali_time(desk: Desk) -> None:
    tid = (await desk.open(customer()))["ticket_id"]
    await desk.reply(agent(), tid, "در حال بررسی هستیم.")
    ticket = await desk.ticket(customer(), tid)
    assert re.fullmatch(JALALI, ticket["last_activity_at_jalali"])
    assert ticket["last_activity_at"] == ticket["messages"][-1]["created_at"]
    assert ticket["last_activity_at_jalali"] == ticket["messages"][-1]["created_at_jalali"]
    assert all(re.fullmatch(JALALI, m["created_at_jalali"]) for m in ticket["messages"])


async def test_messages_carry_their_authors_names_from_the_token(desk: Desk) -> None:
    tid = (await desk.open(MARYAM))["ticket_id"]
    await desk.reply(ALI, tid, "سلام خانم رضایی، بررسی می‌کنیم.")
    await desk.reply(agent(sub="agent-2"), tid, "یادداشت: بدون نام.", internal=True)
    messages = (await desk.ticket(admin(), tid))["messages"]
    assert [(m["author_id"], m["author_role"], m["author_name"]) for m in messages] == [
        ("cust-1", "customer", "مریم رضایی"),
        ("agent-1", "agent", "علی کریمی"),
        ("agent-2", "agent", None),
    ]


async def test_an_open_ticket_has_no_closing_details(desk: Desk) -> None:
    tid = (await desk.open(customer()))["ticket_id"]
    ticket = await desk.ticket(customer(), tid)
    assert {k: ticket[k] for k in CLOSING} == dict.fromkeys(CLOSING)


CLOSING = ("closed_at", "closed_at_jalali", "closed_by", "close_reason")


async def test_a_closed_ticket_says_who_closed_it_when_and_why_until_it_is_reopened(
    desk: Desk,
) -> None:
    tid = (await desk.open(MARYAM))["ticket_id"]
    await desk.close(MARYAM, tid)  # with the reason «حل شد»
    for who in (customer(), admin()):
        [item] = (await desk.json("/v1/tickets", who))["items"]
        for ticket in (item, await desk.ticket(who, tid)):
            assert ticket["closed"] is True
            assert ticket["closed_by"] == {"id": "cust-1", "role": "customer", "name": "مریم رضایی"}
            assert ticket["close_reason"] == "حل شد"
            assert ticket["closed_at"] == ticket["last_activity_at"]
            assert re.fullmatch(JALALI, ticket["closed_at_jalali"])
    await desk._write(f"/v1/tickets/{tid}/reopen", ALI, None, 200)
    ticket = await desk.ticket(customer(), tid)
    assert ticket["closed"] is False
    assert {k: ticket[k] for k in CLOSING} == dict.fromkeys(CLOSING)


async def test_a_close_without_a_reason_or_a_name_shows_nulls_there(desk: Desk) -> None:
    tid = (await desk.open(customer()))["ticket_id"]
    await desk._write(f"/v1/tickets/{tid}/close", agent(), {}, 200)
    ticket = await desk.ticket(customer(), tid)
    assert ticket["closed_by"] == {"id": "agent-1", "role": "agent", "name": None}
    assert ticket["close_reason"] is None


async def test_a_name_claim_is_trimmed_before_it_is_recorded(desk: Desk) -> None:
    tid = (await desk.open(named("customer", "cust-1", "  زهرا احمدی\u200cنژاد  ")))["ticket_id"]
    [opening] = (await desk.ticket(customer(), tid))["messages"]
    assert opening["author_name"] == "زهرا احمدی\u200cنژاد"  # ZWNJ kept: it belongs to the name


@pytest.mark.parametrize(
    "name",
    [
        "م" * 101,
        "مریم\nرضایی",
        "مریم\x00",
        "\u202eیمیضر",  # a right-to-left override would reorder the text around it
        42,
        ["مریم"],
    ],
    ids=["too-long", "newline", "nul", "bidi-override", "number", "list"],
)
async def test_a_token_with_an_unacceptable_name_claim_is_refused(desk: Desk, name: Any) -> None:
    response = await desk.client.post(
        "/v1/tickets", json=OPENING, headers=named("customer", "cust-1", name)
    )
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (await desk.get("/v1/tickets", named("customer", "cust-1", name))).status_code == 401


async def test_a_blank_name_claim_counts_as_no_name(desk: Desk) -> None:
    tid = (await desk.open(named("customer", "cust-1", "   ")))["ticket_id"]
    [opening] = (await desk.ticket(customer(), tid))["messages"]
    assert opening["author_name"] is None
