"""The sidebar counters over HTTP, for every kind of caller (STATES.md, Counters)."""

from __future__ import annotations

from typing import Any

import pytest

from .query_fixtures import Desk, admin, agent, customer, representative

TECHNICAL = agent(["technical"])


def by_status(**codes: int) -> dict[str, int]:
    counts = {str(c): 0 for c in range(1, 9)}
    counts.update({k.removeprefix("s"): v for k, v in codes.items()})
    return counts


@pytest.fixture
async def scenario(desk: Desk) -> Desk:
    """cust-1: a technical ticket answered by an agent, a finance ticket it closed;
    cust-2: a fresh technical ticket; and a ticket of another brand with the same customer id."""
    t1 = (await desk.open(customer(), title="قطعی درگاه پرداخت"))["ticket_id"]
    t2 = await desk.open(customer(), title="درخواست فاکتور رسمی", department="finance")
    t3 = (await desk.open(customer("cust-2"), title="خطای ورود به پنل"))["ticket_id"]
    await desk.read(TECHNICAL, t1)
    await desk.reply(TECHNICAL, t1, "درگاه دوباره فعال شد.")
    await desk.close(customer(), t2["ticket_id"])
    await desk.open(customer(brand="globex"), title="سؤال درباره تمدید")
    assert t3
    return desk


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        pytest.param(
            customer(),
            {"total": 2, "open": 1, "unread_tickets": 2, "unread_messages": 1},
            id="customer",
        ),
        pytest.param(
            representative(["cust-1", "cust-2"]),
            {"total": 3, "open": 2, "unread_tickets": 3, "unread_messages": 1},
            id="representative",
        ),
        pytest.param(
            TECHNICAL,
            {"total": 2, "open": 2, "unread_tickets": 1, "unread_messages": 1},
            id="technical-agent",
        ),
        pytest.param(
            admin(),
            {"total": 3, "open": 2, "unread_tickets": 2, "unread_messages": 2},
            id="admin",
        ),
        pytest.param(
            admin(brand="globex"),
            {"total": 1, "open": 1, "unread_tickets": 1, "unread_messages": 1},
            id="other-brand-admin",
        ),
    ],
)
async def test_counters_count_the_callers_tickets_from_its_side(
    scenario: Desk, who: dict[str, str], expected: dict[str, int]
) -> None:
    counters = await scenario.json("/v1/counters", who)
    assert {k: counters[k] for k in expected} == expected
    assert sum(counters["by_status"].values()) == counters["total"]


async def test_counters_per_status_code_follow_each_side(scenario: Desk) -> None:
    assert (await scenario.json("/v1/counters", customer()))["by_status"] == by_status(s4=1, s1=1)
    assert (await scenario.json("/v1/counters", TECHNICAL))["by_status"] == by_status(s4=1, s1=1)
    assert (await scenario.json("/v1/counters", admin()))["by_status"] == by_status(s4=1, s1=2)


@pytest.mark.parametrize(
    "who",
    [customer(), representative(["cust-1", "cust-2"]), TECHNICAL, admin()],
    ids=["customer", "representative", "agent", "admin"],
)
async def test_the_unread_filter_selects_exactly_what_the_counters_count(
    scenario: Desk, who: dict[str, str]
) -> None:
    counters = await scenario.json("/v1/counters", who)
    unread: list[dict[str, Any]] = await scenario.listed(who, unread="true")
    assert len(unread) == counters["unread_tickets"]
    assert sum(t["unread_count"] for t in await scenario.listed(who)) == counters["unread_messages"]
    assert len(await scenario.listed(who, closed="false")) == counters["open"]


async def test_a_representative_with_no_customers_counts_nothing(scenario: Desk) -> None:
    counters = await scenario.json("/v1/counters", representative([]))
    assert (counters["total"], counters["by_status"]) == (0, by_status())


async def test_reading_clears_the_unread_counters_of_that_side_only(scenario: Desk) -> None:
    [answered] = await scenario.listed(customer(), department="technical")
    await scenario.read(customer(), answered["ticket_id"])
    counters = await scenario.json("/v1/counters", customer())
    assert (counters["unread_tickets"], counters["unread_messages"]) == (1, 0)
    technical = await scenario.json("/v1/counters", TECHNICAL)
    assert (technical["unread_tickets"], technical["unread_messages"]) == (1, 1)
