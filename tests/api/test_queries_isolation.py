"""Nobody sees across brands, customers or departments: not in lists, details, counters,
search or tracking-code lookups. What may not be seen is 404, like what does not exist."""

from __future__ import annotations

from typing import Any

import pytest

from .query_fixtures import Desk, admin, agent, customer, representative

Who = dict[str, str]


@pytest.fixture
async def acme_technical(desk: Desk) -> dict[str, Any]:
    """One acme ticket of cust-1 in the technical department, with an internal note."""
    opened = await desk.open(customer(), title="اختلال در وب‌سرویس ارسال")
    await desk.reply(
        agent(["technical"]), opened["ticket_id"], "یادداشت: مشکل از سرور", internal=True
    )
    return opened


OUTSIDERS = [
    pytest.param(customer(brand="globex"), id="same-customer-id-other-brand"),
    pytest.param(admin(brand="globex"), id="admin-of-another-brand"),
    pytest.param(agent(brand="globex"), id="agent-of-another-brand"),
    pytest.param(customer("cust-2"), id="another-customer"),
    pytest.param(representative(["cust-2"]), id="representative-of-others"),
    pytest.param(representative([]), id="representative-of-nobody"),
    pytest.param(agent(["finance", "refunds"]), id="agent-of-other-departments"),
    pytest.param(agent([]), id="agent-of-no-department"),
]
INSIDERS = [
    pytest.param(customer(), id="the-customer"),
    pytest.param(representative(["cust-1", "cust-3"]), id="its-representative"),
    pytest.param(agent(["technical"]), id="technical-agent"),
    pytest.param(agent(), id="agent-of-all-departments"),
    pytest.param(admin(), id="admin"),
]


@pytest.mark.parametrize("who", OUTSIDERS)
async def test_an_outsider_finds_no_trace_of_the_ticket(
    desk: Desk, acme_technical: dict[str, Any], who: Who
) -> None:
    tid, code = acme_technical["ticket_id"], acme_technical["tracking_code"]
    assert await desk.listed(who) == []
    assert await desk.listed(who, q="وب‌سرویس") == []
    assert await desk.listed(who, q=code) == []
    for path in (f"/v1/tickets/{tid}", f"/v1/tickets/by-tracking-code/{code}"):
        response = await desk.get(path, who)
        assert response.status_code == 404, path
        assert response.json()["detail"] == "No such ticket."
    counters = await desk.json("/v1/counters", who)
    assert (counters["total"], counters["unread_messages"]) == (0, 0)


@pytest.mark.parametrize("who", INSIDERS)
async def test_everyone_entitled_sees_the_ticket_everywhere(
    desk: Desk, acme_technical: dict[str, Any], who: Who
) -> None:
    tid, code = acme_technical["ticket_id"], acme_technical["tracking_code"]
    assert await desk.ids(who) == [tid]
    assert await desk.ids(who, q="وب‌سرویس") == [tid]
    assert (await desk.ticket(who, tid))["ticket_id"] == tid
    by_code = await desk.json(f"/v1/tickets/by-tracking-code/{code}", who)
    assert by_code["ticket_id"] == tid
    assert (await desk.json("/v1/counters", who))["total"] == 1


async def test_a_transfer_moves_the_ticket_out_of_an_agents_sight(
    desk: Desk, acme_technical: dict[str, Any]
) -> None:
    tid = acme_technical["ticket_id"]
    await desk.change(admin(), tid, department="finance")
    assert await desk.ids(agent(["technical"])) == []
    assert (await desk.get(f"/v1/tickets/{tid}", agent(["technical"]))).status_code == 404
    assert await desk.ids(agent(["finance"])) == [tid]
    assert (await desk.json("/v1/counters", agent(["finance"])))["total"] == 1


@pytest.mark.parametrize(
    "ticket_id",
    ["not-a-ticket", "0" * 31, "G" * 32, "0" * 33, "00000000000000000000000000000000"],
)
async def test_a_malformed_or_unknown_ticket_id_is_404(desk: Desk, ticket_id: str) -> None:
    response = await desk.get(f"/v1/tickets/{ticket_id}", admin())
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "path",
    ["/v1/tickets", "/v1/counters", "/v1/tickets/by-tracking-code/12345678"],
)
async def test_queries_without_a_token_are_401(desk: Desk, path: str) -> None:
    response = await desk.client.get(path)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
