"""BrandHistory (`GET /v1/events`' use case): a brand's admins read that brand's envelopes in
global order, upcast; nobody else reads anything."""

from __future__ import annotations

import uuid

import pytest
from ticketing_eventstore import NewEvent
from ticketing_eventstore.memory import InMemoryEventStore
from ticketing_tickets.application.history import BrandHistory
from ticketing_tickets.domain import Forbidden

ACME_TICKET = "ticket-acme-" + "a" * 32
BETA_TICKET = "ticket-beta-" + "b" * 32


def opened(title: str) -> NewEvent:
    data = {
        "ticket_id": "a" * 32,
        "tracking_code": "12345674",
        "title": title,
        "department": "finance",
        "priority": "normal",
        "request_type": None,
        "customer_id": "cust-1",
        "opened_by_role": "customer",
        "body": "لطفاً پیش فاکتور را بفرستید.",
        "attachment_ids": [],
    }
    return NewEvent(uuid.uuid4().hex, "TicketOpened", data, {"schema_version": 1})


async def test_an_admin_reads_only_the_brands_own_events_after_the_position_given() -> None:
    store = InMemoryEventStore()
    await store.append(ACME_TICKET, [opened("درخواست پیش فاکتور")], expected_version=0)
    await store.append(BETA_TICKET, [opened("خطای ورود")], expected_version=0)
    await store.append(ACME_TICKET, [opened("پیگیری")], expected_version=1)
    history = BrandHistory(store)

    envelopes = await history.envelopes(brand_id="acme", role="admin", after=0, limit=100)

    assert [e["stream_id"] for e in envelopes] == [ACME_TICKET, ACME_TICKET]
    assert [e["data"]["title"] for e in envelopes] == ["درخواست پیش فاکتور", "پیگیری"]
    assert envelopes[0]["schema_version"] == 2  # upcast: TicketOpened v1 gained opened_by_name
    later = await history.envelopes(
        brand_id="acme", role="admin", after=envelopes[0]["position"], limit=100
    )
    assert [e["data"]["title"] for e in later] == ["پیگیری"]
    assert await history.head() == 3


@pytest.mark.parametrize("role", ["customer", "representative", "agent", "Admin", ""])
async def test_anyone_but_an_admin_is_refused(role: str) -> None:
    store = InMemoryEventStore()
    await store.append(ACME_TICKET, [opened("درخواست پیش فاکتور")], expected_version=0)
    with pytest.raises(Forbidden, match="Only the brand's admins"):
        await BrandHistory(store).envelopes(brand_id="acme", role=role, after=0, limit=100)
