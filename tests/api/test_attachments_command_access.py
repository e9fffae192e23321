"""A command may name only attachments its caller may read (the download rule, one rule):
found by an outside attack run, where a finance agent put another customer's technical-ticket
receipt, and an internal note's file, on a finance ticket and so handed both to its customer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from .composition import Composed, composed
from .query_fixtures import admin, agent, customer, representative

FINANCE_AGENT = agent(["finance"], sub="agent-fin")
TECHNICAL_AGENT = agent(["technical"], sub="agent-tech")
ALICE = customer("cust-1")  # finance ticket
BOB = customer("cust-2")  # technical ticket


@pytest.fixture(params=[False, True], ids=["memory", "disk"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Composed]:
    async with composed(tmp_path, on_disk=request.param) as made:
        yield made


async def settled(world: Composed) -> None:
    """Wait until the attachments service has learned every reference written so far."""
    assert await world.attachments.subscription.wait_for(world.desk.position, 5)


async def post(world: Composed, who: dict[str, str], ticket_id: str, **fields: Any) -> Any:
    body = {"body": "پیوست را ببینید.", **fields}
    return await world.client.post(f"/v1/tickets/{ticket_id}/messages", json=body, headers=who)


async def bobs_technical_ticket(world: Composed) -> tuple[str, str, str]:
    """Bob's technical ticket with his receipt, and an internal note's file on it."""
    receipt = await world.upload(BOB)
    ticket = await world.desk.open(BOB, department="technical", attachment_ids=[receipt])
    note_file = await world.upload(TECHNICAL_AGENT)
    await world.desk.reply(
        TECHNICAL_AGENT,
        ticket["ticket_id"],
        "لاگ سرور پیوست شد",
        internal=True,
        attachment_ids=[note_file],
    )
    await settled(world)
    return ticket["ticket_id"], receipt, note_file


async def test_an_agent_may_not_name_an_attachment_of_a_ticket_outside_its_departments(
    world: Composed,
) -> None:
    technical, receipt, note_file = await bobs_technical_ticket(world)
    finance = (await world.desk.open(ALICE, department="finance"))["ticket_id"]
    for stolen in (receipt, note_file):
        refused = await post(world, FINANCE_AGENT, finance, attachment_ids=[stolen])
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in refused.json()["errors"]] == ["attachment_ids"]
        opened = await world.client.post(
            "/v1/tickets",
            json={
                "title": "پیش فاکتور",
                "department": "finance",
                "priority": "normal",
                "body": "لطفاً بررسی کنید.",
                "attachment_ids": [stolen],
                "customer_id": "cust-1",  # an agent opens a ticket for Alice
            },
            headers=FINANCE_AGENT,
        )
        assert opened.status_code == 422, opened.text
        assert opened.json()["errors"] == [
            {"field": "attachment_ids", "message": f"unknown attachment {stolen!r}"}
        ]
    # Nothing leaked: Alice still cannot download either file.
    for stolen in (receipt, note_file):
        assert (
            await world.client.get(f"/v1/attachments/{stolen}", headers=ALICE)
        ).status_code == 404
    # The agents who may read them may still use them.
    assert (
        await post(world, TECHNICAL_AGENT, technical, attachment_ids=[receipt])
    ).status_code == 201
    assert (await post(world, admin(), finance, attachment_ids=[note_file])).status_code == 201
    for_bob = {"title": "پیگیری", "department": "technical", "priority": "normal"}
    reopened = await world.client.post(
        "/v1/tickets",
        json={**for_bob, "body": "ادامه", "customer_id": "cust-2", "attachment_ids": [receipt]},
        headers=TECHNICAL_AGENT,
    )
    assert reopened.status_code == 201, reopened.text


async def test_the_customer_side_may_name_visible_attachments_of_its_tickets_but_not_notes(
    world: Composed,
) -> None:
    technical, receipt, note_file = await bobs_technical_ticket(world)
    reply_file = await world.upload(TECHNICAL_AGENT)
    await world.desk.reply(
        TECHNICAL_AGENT, technical, "راهنما پیوست شد", attachment_ids=[reply_file]
    )
    await settled(world)
    bobs_rep = representative(["cust-2"], sub="rep-2")
    for who in (BOB, bobs_rep):
        assert (await post(world, who, technical, attachment_ids=[reply_file])).status_code == 201
        assert (await post(world, who, technical, attachment_ids=[receipt])).status_code == 201
        assert (await post(world, who, technical, attachment_ids=[note_file])).status_code == 422
    alices = (await world.desk.open(ALICE, department="technical"))["ticket_id"]
    assert (await post(world, ALICE, alices, attachment_ids=[reply_file])).status_code == 422


async def test_a_note_file_an_agent_then_shows_in_a_visible_reply_reaches_the_customer(
    world: Composed,
) -> None:
    technical, _, note_file = await bobs_technical_ticket(world)
    assert (await world.client.get(f"/v1/attachments/{note_file}", headers=BOB)).status_code == 404
    shown = await post(world, TECHNICAL_AGENT, technical, attachment_ids=[note_file])
    assert shown.status_code == 201, shown.text
    world.desk.position = shown.json()["position"]
    await settled(world)
    assert (await world.client.get(f"/v1/attachments/{note_file}", headers=BOB)).status_code == 200


async def test_a_command_naming_more_attachments_than_allowed_is_refused_before_any_lookup(
    world: Composed, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = (await world.desk.open(ALICE, department="finance"))["ticket_id"]
    asked: list[Any] = []
    real_check = world.attachments.check_usable

    async def counting(**question: Any) -> Any:
        asked.append(question)
        return await real_check(**question)

    monkeypatch.setattr(world.attachments, "check_usable", counting)
    many = [f"{n:032x}" for n in range(11)]
    refused = await post(world, FINANCE_AGENT, ticket, attachment_ids=many)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "attachment_ids", "message": "at most 10 attachments"}
    ]
    assert asked == []
