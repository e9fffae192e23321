"""The command API over HTTP: every endpoint's success and the shapes API.md fixes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from .conftest import NEW_TICKET, Auth

AGENT = {"role": "agent", "sub": "agent-1", "departments": ["technical"]}


async def test_opening_a_ticket_returns_its_id_tracking_code_version_and_position(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await client.post("/v1/tickets", json=NEW_TICKET, headers=auth())
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"ticket_id", "tracking_code", "version", "position"}
    assert len(body["ticket_id"]) == 32
    assert body["tracking_code"].isdigit()
    assert 6 <= len(body["tracking_code"]) <= 12
    assert body["version"] == 1
    assert body["position"] >= 1


async def test_tracking_codes_differ_between_tickets(open_ticket: Any) -> None:
    codes = {(await open_ticket())["tracking_code"] for _ in range(30)}
    assert len(codes) == 30


async def test_a_conversation_walks_versions_and_positions_forward(
    client: httpx.AsyncClient, auth: Auth, open_ticket: Any
) -> None:
    t = await open_ticket()
    tid = t["ticket_id"]
    viewed = await client.post(f"/v1/tickets/{tid}/read", headers=auth(**AGENT))
    assert viewed.status_code == 200
    assert viewed.json()["version"] == 2
    reply = await client.post(
        f"/v1/tickets/{tid}/messages",
        json={"body": "پنل شما بررسی شد؛ مشکل از سمت اپراتور بود.", "follow_up": True},
        headers=auth(**AGENT),
    )
    assert reply.status_code == 201
    assert set(reply.json()) == {"message_id", "version", "position"}
    assert reply.json()["version"] == 3
    read = await client.post(f"/v1/tickets/{tid}/read", headers=auth())
    assert read.json()["version"] == 4
    closed = await client.post(f"/v1/tickets/{tid}/close", json={"reason": "حل شد"}, headers=auth())
    assert closed.json()["version"] == 5
    reopened = await client.post(f"/v1/tickets/{tid}/reopen", headers=auth())
    assert reopened.json()["version"] == 6
    positions = [r.json()["position"] for r in (viewed, reply, read, closed, reopened)]
    assert positions == sorted(positions)
    assert len(set(positions)) == 5


async def test_a_command_that_changes_nothing_appends_nothing_and_returns_the_current_version(
    client: httpx.AsyncClient, auth: Auth, open_ticket: Any
) -> None:
    t = await open_ticket()
    tid = t["ticket_id"]
    first = await client.post(f"/v1/tickets/{tid}/close", headers=auth())
    again = await client.post(f"/v1/tickets/{tid}/close", headers=auth())
    assert again.status_code == 200
    assert again.json() == first.json()
    reread = await client.post(f"/v1/tickets/{tid}/read", headers=auth())
    assert reread.status_code == 200
    reread_again = await client.post(f"/v1/tickets/{tid}/read", headers=auth())
    assert reread_again.json() == reread.json()


async def test_a_customer_message_on_a_closed_ticket_records_a_reopen_then_the_message(
    client: httpx.AsyncClient, auth: Auth, open_ticket: Any
) -> None:
    t = await open_ticket()
    tid = t["ticket_id"]
    await client.post(f"/v1/tickets/{tid}/close", headers=auth())
    posted = await client.post(
        f"/v1/tickets/{tid}/messages", json={"body": "دوباره خطا"}, headers=auth()
    )
    assert posted.json()["version"] == 4  # opened, closed, reopened, message
    history = await client.get("/v1/events", headers=auth(role="admin", sub="admin-1"))
    types = [json.loads(line)["event_type"] for line in history.text.splitlines()]
    assert types[-2:] == ["TicketReopened", "MessagePosted"]


async def test_an_agent_patches_department_priority_and_assignee(
    client: httpx.AsyncClient, auth: Auth, open_ticket: Any
) -> None:
    t = await open_ticket()
    response = await client.patch(
        f"/v1/tickets/{t['ticket_id']}",
        json={"department": "finance", "priority": "urgent", "assignee_id": "agent-1"},
        headers=auth(**AGENT),
    )
    assert response.status_code == 200
    assert response.json()["version"] == 4


async def test_a_representative_and_an_agent_open_tickets_for_a_customer(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    rep = auth(role="representative", sub="rep-1", customers=["cust-1"])
    by_rep = await client.post(
        "/v1/tickets", json={**NEW_TICKET, "customer_id": "cust-1"}, headers=rep
    )
    assert by_rep.status_code == 201
    by_agent = await client.post(
        "/v1/tickets", json={**NEW_TICKET, "customer_id": "cust-1"}, headers=auth(**AGENT)
    )
    assert by_agent.status_code == 201
    # the customer sees both: it can read them
    for t in (by_rep.json(), by_agent.json()):
        assert (
            await client.post(f"/v1/tickets/{t['ticket_id']}/read", headers=auth())
        ).status_code == 200


async def test_forty_simultaneous_replies_are_all_accepted_with_gapless_versions(
    client: httpx.AsyncClient, auth: Auth, open_ticket: Any
) -> None:
    t = await open_ticket()
    tid = t["ticket_id"]

    async def reply(i: int) -> httpx.Response:
        return await client.post(
            f"/v1/tickets/{tid}/messages", json={"body": f"پیام شماره {i}"}, headers=auth()
        )

    responses = await asyncio.gather(*(reply(i) for i in range(40)))
    assert [r.status_code for r in responses] == [201] * 40
    assert sorted(r.json()["version"] for r in responses) == list(range(2, 42))


async def test_the_brand_history_is_ndjson_envelopes_in_global_order_for_admins(
    client: httpx.AsyncClient, auth: Auth, open_ticket: Any
) -> None:
    await open_ticket()
    await open_ticket()
    await open_ticket(headers=auth(brand="globex"))
    response = await client.get("/v1/events", headers=auth(role="admin", sub="admin-1"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    events = [json.loads(line) for line in response.text.splitlines()]
    assert [e["event_type"] for e in events] == ["TicketOpened", "TicketOpened"]
    assert all(
        e["brand_id"] == "acme" and e["stream_id"].startswith("ticket-acme-") for e in events
    )
    assert events[0]["position"] < events[1]["position"]
    first = events[0]
    assert {
        "event_id",
        "schema_version",
        "stream_version",
        "occurred_at",
        "actor",
        "correlation_id",
        "causation_id",
        "data",
    } <= set(first)
    assert first["actor"] == {"id": "cust-1", "role": "customer"}
    paged = await client.get(
        "/v1/events",
        params={"after": first["position"], "limit": 1},
        headers=auth(role="admin", sub="admin-1"),
    )
    assert [json.loads(x)["event_id"] for x in paged.text.splitlines()] == [events[1]["event_id"]]


async def test_departments_list_the_seeds_defaults_with_persian_labels(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await client.get("/v1/departments", headers=auth())
    body = response.json()
    assert {"code": "finance", "label": "امور مالی"} in body["departments"]
    assert {"code": "complaint", "label": "شکایت"} in body["request_types"]


async def test_ops_endpoints_need_no_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).json() == {"status": "ready"}
    metrics = await client.get("/metrics")
    assert "http_requests_total" in metrics.text
    spec = (await client.get("/openapi.json")).json()
    assert "/v1/tickets/{ticket_id}/messages" in spec["paths"]


async def test_responses_carry_a_correlation_id_and_echo_a_sane_one(
    client: httpx.AsyncClient,
) -> None:
    generated = await client.get("/healthz")
    assert len(generated.headers["x-correlation-id"]) == 32
    echoed = await client.get("/healthz", headers={"X-Correlation-ID": "req-42"})
    assert echoed.headers["x-correlation-id"] == "req-42"


async def test_history_and_departments_honour_x_min_position(
    client: httpx.AsyncClient, auth: Auth, open_ticket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ticketing_tickets.entrypoints import read_routes

    monkeypatch.setattr(read_routes, "MIN_POSITION_WAIT_SECONDS", 0.2)
    admin = auth(role="admin", sub="admin-1")
    written = await open_ticket()
    fresh = await client.get(
        "/v1/events", headers={**admin, "X-Min-Position": str(written["position"])}
    )
    assert fresh.status_code == 200
    assert json.loads(fresh.text.splitlines()[-1])["position"] == written["position"]
    future = await client.get("/v1/departments", headers={**admin, "X-Min-Position": "999999"})
    assert future.status_code == 503
    assert future.headers["retry-after"] == "1"
    for bad in ("abc", "-1", "1.5"):
        response = await client.get("/v1/events", headers={**admin, "X-Min-Position": bad})
        assert response.status_code == 400
