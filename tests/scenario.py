"""One end-to-end story over HTTP, run against any deployment: the embedded process
(tests/system/test_embedded_e2e.py) and the distributed processes on the real engines
(tests/system/test_distributed_e2e.py) must both pass it unchanged.

A customer uploads a receipt and opens a ticket with it; an agent of the department sees it
unread, views it, downloads the receipt and replies; the customer reads; the agent closes; the
customer writes again, which reopens it. Every step checks the status code and the counters
STATES.md gives, reads its own writes with the `X-Min-Position` of the command before, finds
the ticket by a Persian search, receives the in-app notifications (as a list and one as an SSE
event), and ends by reading the brand's history from `GET /v1/events`.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from ticketing_tickets.settings import DEV_JWT_SECRET
from ticketing_web.auth import mint_token

RECEIPT = (
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
TITLE = "درخواست پیش‌فاکتور ارتقای پنل"  # with a zero-width non-joiner, as people type it
EXPECTED_HISTORY = [
    "TicketOpened",
    "AgentViewed",
    "CustomerRead",
    "MessagePosted",
    "CustomerRead",
    "TicketClosed",
    "TicketReopened",
    "MessagePosted",
]


@dataclass(frozen=True)
class Cast:
    """Who acts, all in one brand of their own (so the brand's history is this story's)."""

    brand: str
    customer: dict[str, str]
    agent: dict[str, str]
    admin: dict[str, str]
    customer_token: str


def cast(secret: str = DEV_JWT_SECRET) -> Cast:
    brand = f"e2e_{secrets.token_hex(4)}"

    def token(role: str, sub: str, **claims: Any) -> str:
        return mint_token(
            secret=secret,
            sub=sub,
            role=role,  # type: ignore[arg-type]
            brand=brand,
            ttl_seconds=900,
            now=int(time.time()),
            **claims,
        )

    customer = token("customer", "cust-1", name="مریم رضایی")
    return Cast(
        brand=brand,
        customer=_bearer(customer),
        agent=_bearer(token("agent", "agent-1", name="علی", departments=["finance"])),
        admin=_bearer(token("admin", "admin-1")),
        customer_token=customer,
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _at(who: dict[str, str], position: int) -> dict[str, str]:
    return {**who, "X-Min-Position": str(position)}


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url.path}: {response.status_code} "
        f"(expected {status}) {response.text}"
    )
    return response.json() if response.content else None


async def run_scenario(base_url: str) -> None:
    """The whole story against `base_url` (one public URL: the embedded app or the gateway)."""
    people = cast()
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        await _story(http, people)


async def _story(http: httpx.AsyncClient, people: Cast) -> None:
    customer, agent, admin = people.customer, people.agent, people.admin

    # The customer uploads a receipt and opens a ticket with it.
    files = {"file": ("رسید واریز.pdf", RECEIPT, "application/pdf")}
    receipt = _ok(await http.post("/v1/attachments", files=files, headers=customer), 201)
    assert receipt["content_type"] == "application/pdf"
    assert receipt["size"] == len(RECEIPT)
    new_ticket = {
        "title": TITLE,
        "department": "finance",
        "priority": "normal",
        "body": "لطفاً پیش‌فاکتور ارتقای پنل را برای سه ماه بفرستید.",
        "attachment_ids": [receipt["attachment_id"]],
    }
    opened = _ok(await http.post("/v1/tickets", json=new_ticket, headers=customer), 201)
    ticket_id, code = opened["ticket_id"], opened["tracking_code"]
    assert opened["version"] == 1

    async def status(who: dict[str, str], position: int) -> dict[str, Any]:
        detail: dict[str, Any] = _ok(
            await http.get(f"/v1/tickets/{ticket_id}", headers=_at(who, position))
        )
        return detail

    async def counters(who: dict[str, str], position: int) -> dict[str, Any]:
        found: dict[str, Any] = _ok(await http.get("/v1/counters", headers=_at(who, position)))
        return found

    seen = await status(customer, opened["position"])
    assert seen["status"]["code"] == 1
    assert seen["status"]["label"] == "خوانده نشده – خوانده نشده"
    [first] = seen["messages"]
    [shown] = first["attachments"]
    assert shown == {
        "attachment_id": receipt["attachment_id"],
        "filename": "رسید واریز.pdf",
        "content_type": "application/pdf",
        "size": len(RECEIPT),
    }
    mine = await counters(customer, opened["position"])
    # Opened by the customer: it is theirs and open, unread on their side, no agent message yet.
    assert [mine[k] for k in ("total", "open", "unread_tickets", "unread_messages")] == [1, 1, 1, 0]
    assert mine["by_status"]["1"] == 1
    own_copy = await http.get(f"/v1/attachments/{receipt['attachment_id']}", headers=customer)
    assert own_copy.status_code == 200
    assert own_copy.content == RECEIPT

    # The agent finds it unread in the department, views it, downloads the receipt.
    unread = _ok(
        await http.get(
            "/v1/tickets", params={"unread": "true"}, headers=_at(agent, opened["position"])
        )
    )
    assert [t["ticket_id"] for t in unread["items"]] == [ticket_id]
    theirs = await counters(agent, opened["position"])
    assert (theirs["unread_tickets"], theirs["unread_messages"]) == (1, 1)
    viewed = _ok(await http.post(f"/v1/tickets/{ticket_id}/read", headers=agent))
    assert (await status(customer, viewed["position"]))["status"]["code"] == 2

    # The attachments service learns that the ticket carries the receipt from the events: the
    # download waits until it has applied the opening.
    download = await http.get(
        f"/v1/attachments/{receipt['attachment_id']}", headers=_at(agent, opened["position"])
    )
    assert download.status_code == 200, download.text
    assert download.content == RECEIPT

    # The customer reads (6); the agent answers and keeps following up (3); the customer reads (7).
    read = _ok(await http.post(f"/v1/tickets/{ticket_id}/read", headers=customer))
    assert (await status(customer, read["position"]))["status"]["code"] == 6
    reply = {"body": "پیش‌فاکتور پیوست شد؛ پس از پرداخت، ارتقا انجام می‌شود.", "follow_up": True}
    answered = _ok(
        await http.post(f"/v1/tickets/{ticket_id}/messages", json=reply, headers=agent), 201
    )
    detail = await status(customer, answered["position"])
    assert (detail["status"]["code"], detail["unread_count"]) == (3, 1)
    assert (await counters(customer, answered["position"]))["unread_messages"] == 1

    # The notifications service has consumed the reply once it answers at its position.
    notes = _ok(await http.get("/v1/notifications", headers=_at(customer, answered["position"])))[
        "items"
    ]
    # Newest first: the reply, and before it the agent taking the ticket under review (2).
    assert [n["kind"] for n in notes] == ["agent_replied", "ticket_under_review"]
    assert {n["ticket_id"] for n in notes} == {ticket_id}
    assert notes[0]["tracking_code"] == code
    read = _ok(await http.post(f"/v1/tickets/{ticket_id}/read", headers=customer))
    detail = await status(customer, read["position"])
    assert (detail["status"]["code"], detail["unread_count"]) == (7, 0)

    # The agent closes it; the customer's open stream gets that as an SSE event.
    stream = asyncio.create_task(_next_sse_event(http, people, after=notes[0]["notification_id"]))
    await asyncio.sleep(0.5)  # the stream is open before the close (resuming covers it anyway)
    closed = _ok(await http.post(f"/v1/tickets/{ticket_id}/close", headers=agent))
    event = await asyncio.wait_for(stream, 20)
    assert (event["ticket_id"], event["kind"]) == (ticket_id, "ticket_closed")
    detail = await status(customer, closed["position"])
    assert detail["closed"] is True
    assert detail["status"]["code"] == 7
    assert (await counters(customer, closed["position"]))["open"] == 0

    # Searching in other spellings: a space for the ZWNJ, Arabic yeh, Persian digits of the code.
    found = _ok(
        await http.get(
            "/v1/tickets", params={"q": "پيش فاکتور"}, headers=_at(customer, closed["position"])
        )
    )
    assert [t["ticket_id"] for t in found["items"]] == [ticket_id]
    persian_code = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    by_code = _ok(await http.get(f"/v1/tickets/by-tracking-code/{persian_code}", headers=customer))
    assert by_code["ticket_id"] == ticket_id

    # The customer writes again: the ticket reopens, unseen by the support side (5).
    again = _ok(
        await http.post(
            f"/v1/tickets/{ticket_id}/messages",
            json={"body": "ممنون، پرداخت شد."},
            headers=customer,
        ),
        201,
    )
    detail = await status(customer, again["position"])
    assert (detail["closed"], detail["status"]["code"]) == (False, 5)
    mine = await counters(customer, again["position"])
    assert (mine["total"], mine["open"], mine["by_status"]["5"]) == (1, 1, 1)

    # The brand's history, in global order, is exactly this story.
    history = await http.get("/v1/events", params={"after": 0, "limit": 1000}, headers=admin)
    assert history.status_code == 200, history.text
    assert history.headers["content-type"].startswith("application/x-ndjson")
    envelopes = [json.loads(line) for line in history.text.splitlines()]
    assert [e["event_type"] for e in envelopes] == EXPECTED_HISTORY
    assert {e["stream_id"] for e in envelopes} == {f"ticket-{people.brand}-{ticket_id}"}
    positions = [e["position"] for e in envelopes]
    assert positions == sorted(positions)
    assert positions[-1] == again["position"]


async def _next_sse_event(http: httpx.AsyncClient, people: Cast, *, after: str) -> dict[str, Any]:
    """The first event of the customer's notification stream resumed after `after`."""
    params = {"access_token": people.customer_token}
    headers = {"Last-Event-ID": after}
    async with http.stream("GET", "/v1/notifications/stream", params=params, headers=headers) as r:
        assert r.status_code == 200, await r.aread()
        async for line in r.aiter_lines():
            if line.startswith("data: "):
                event: dict[str, Any] = json.loads(line.removeprefix("data: "))
                return event
    raise AssertionError("the stream ended without an event")
