"""List filters, keyset pagination while other tickets change, and bad list parameters."""

from __future__ import annotations

import base64
import json

import pytest

from .query_fixtures import Desk, admin, agent, customer

TECHNICAL = agent(["technical"], sub="agent-1")


@pytest.fixture
async def tickets(desk: Desk) -> dict[str, str]:
    """Five tickets of cust-1 in different states, by name."""
    names = {}
    for name, fields in {
        "sms": {"title": "پیامک‌ها ارسال نمی‌شوند"},
        "invoice": {"title": "فاکتور اشتباه صادر شده", "department": "finance"},
        "refund": {"title": "بازگشت وجه تمدید", "department": "refunds", "priority": "low"},
        "login": {"title": "ورود به پنل ممکن نیست", "priority": "urgent"},
        "domain": {"title": "انتقال دامنه", "priority": "normal"},
    }.items():
        names[name] = (await desk.open(customer(), **fields))["ticket_id"]
    await desk.read(TECHNICAL, names["sms"])  # 2
    await desk.reply(TECHNICAL, names["login"], "رمز عبور بازنشانی شد.")  # 4
    await desk.read(customer(), names["login"])  # 8
    await desk.close(customer(), names["domain"])
    await desk.change(admin(), names["invoice"], assignee_id="agent-1")
    return names


async def test_tickets_are_listed_newest_activity_first(
    desk: Desk, tickets: dict[str, str]
) -> None:
    listed = await desk.listed(customer())
    activity = [t["last_activity_at"] for t in listed]
    assert activity == sorted(activity, reverse=True)
    assert [t["ticket_id"] for t in listed[:2]] == [tickets["domain"], tickets["login"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "2"}, {"sms"}),
        ({"status": ["1", "8"]}, {"invoice", "refund", "domain", "login"}),
        ({"unread": "true"}, {"sms", "invoice", "refund", "domain"}),
        ({"unread": "false"}, {"login"}),
        ({"department": "finance"}, {"invoice"}),
        ({"priority": "urgent"}, {"login"}),
        ({"closed": "true"}, {"domain"}),
        ({"closed": "false", "department": "technical"}, {"sms", "login"}),
        ({"assignee": "agent-1"}, {"invoice"}),
        ({"department": "feedback"}, set()),
    ],
    ids=lambda value: str(value),
)
async def test_each_filter_selects_its_tickets(
    desk: Desk, tickets: dict[str, str], params: dict[str, object], expected: set[str]
) -> None:
    found = set(await desk.ids(customer(), **params))
    assert found == {tickets[name] for name in expected}


async def test_assignee_me_means_the_caller(desk: Desk, tickets: dict[str, str]) -> None:
    assert await desk.ids(admin(sub="agent-1"), assignee="me") == [tickets["invoice"]]
    assert await desk.ids(admin(sub="admin-9"), assignee="me") == []


async def test_unread_is_read_from_the_agent_side_for_agents(
    desk: Desk, tickets: dict[str, str]
) -> None:
    # Agent side: unread = not_seen. sms was viewed, login answered; the rest are not seen.
    found = set(await desk.ids(admin(), unread="true"))
    assert found == {tickets["invoice"], tickets["refund"], tickets["domain"]}


async def test_pages_hold_every_unchanged_ticket_exactly_once_while_others_change(
    desk: Desk,
) -> None:
    opened = [
        (await desk.open(customer(), title=f"درخواست شماره {n}"))["ticket_id"] for n in range(9)
    ]
    seen: list[str] = []
    changed: set[str] = set()
    page = await desk.json("/v1/tickets", customer(), limit=2)
    while True:
        assert len(page["items"]) <= 2
        seen += [t["ticket_id"] for t in page["items"]]
        if page["next_cursor"] is None:
            break
        # Between pages: a ticket already seen gets a reply, and a new one is opened; both
        # move to the top, before the cursor.
        bumped = seen[0]
        await desk.reply(customer(), bumped, "یک نکته دیگر هم اضافه کنم.")
        changed.add(bumped)
        changed.add((await desk.open(customer(), title="درخواست تازه"))["ticket_id"])
        page = await desk.json("/v1/tickets", customer(), limit=2, cursor=page["next_cursor"])
    assert len(seen) == len(set(seen))
    assert set(opened) - changed <= set(seen)


async def test_the_last_page_has_no_next_cursor(desk: Desk) -> None:
    for n in range(4):
        await desk.open(customer(), title=f"سفارش {n}")
    first = await desk.json("/v1/tickets", customer(), limit=2)
    second = await desk.json("/v1/tickets", customer(), limit=2, cursor=first["next_cursor"])
    assert first["next_cursor"] is not None
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None
    everything = await desk.json("/v1/tickets", customer(), limit=4)
    assert everything["next_cursor"] is None
    assert (await desk.json("/v1/tickets", customer(brand="globex")))["items"] == []


async def test_the_default_page_is_twenty_tickets(desk: Desk) -> None:
    for n in range(21):
        await desk.open(customer(), title=f"پرسش {n}")
    page = await desk.json("/v1/tickets", customer())
    assert len(page["items"]) == 20
    assert page["next_cursor"] is not None


def cursor_at(at: str) -> str:
    """A cursor as the query service writes one, at this (ISO 8601) position."""
    payload = json.dumps([at, "a" * 32], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(bytes([1]) + payload).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "9"}, "status"),
        ({"status": "0"}, "status"),
        ({"status": "باز"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"unread": "maybe"}, "unread"),
        ({"closed": "شاید"}, "closed"),
        ({"priority": "critical"}, "priority"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "AXsiYSI6MX0"}, "cursor"),
        ({"cursor": "Alsi"}, "cursor"),
        # Positions with no UTC instant (year 1 at +14:00, year 9999 at -14:00): once a 500.
        ({"cursor": cursor_at("0001-01-01T00:00:00+14:00")}, "cursor"),
        ({"cursor": cursor_at("9999-12-31T23:59:59-14:00")}, "cursor"),
    ],
    ids=lambda value: str(value),
)
async def test_bad_list_parameters_are_422_naming_the_field(
    desk: Desk, params: dict[str, str], field: str
) -> None:
    response = await desk.get("/v1/tickets", customer(), **params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_unknown_query_parameters_are_ignored(desk: Desk) -> None:
    await desk.open(customer())
    page = await desk.json("/v1/tickets", customer(), sort="title", page="2")
    assert len(page["items"]) == 1


async def test_a_cursor_from_one_list_still_works_with_other_filters(desk: Desk) -> None:
    for n in range(3):
        await desk.open(customer(), title=f"پرسش {n}")
    first = await desk.json("/v1/tickets", customer(), limit=1)
    rest = await desk.json(
        "/v1/tickets", customer(), limit=10, cursor=first["next_cursor"], status="1"
    )
    assert len(rest["items"]) == 2
