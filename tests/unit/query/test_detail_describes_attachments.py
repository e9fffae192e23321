"""A ticket's detail is composed in the application (TicketQueries): its messages as the
caller's side may see them, and what the attachment catalogue says of exactly those messages'
files — an internal note's file is never even asked about for the customer side."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import aclosing
from datetime import UTC, datetime

from ticketing_contracts.catalog import BrandCatalogs
from ticketing_eventstore.memory import InMemoryEventStore
from ticketing_feed.store import StoreFeed
from ticketing_model import Scope
from ticketing_query.adapters.readmodel_memory import InMemoryReadModel
from ticketing_query.application.ports import AttachmentInfo
from ticketing_query.application.projector import Projector
from ticketing_query.application.queries import TicketQueries
from ticketing_tickets.application.commands import Caller, OpenTicket, PostMessage
from ticketing_tickets.application.handlers import TicketHandlers
from ticketing_tickets.bootstrap import random_digits
from ticketing_tickets.domain import Actor, FieldError, Role

NOW = datetime(2025, 6, 20, 10, 35, tzinfo=UTC)
CUSTOMER = Caller("acme", Actor("cust-1", Role.CUSTOMER), correlation_id="req-1")
AGENT = Caller("acme", Actor("agent-1", Role.AGENT), correlation_id="req-2")
RECEIPT, NOTE_FILE = "a" * 32, "b" * 32


class AnyAttachment:
    async def check(
        self, *, brand_id: str, actor: Actor, attachment_ids: Sequence[str]
    ) -> list[FieldError]:
        return []


class Catalogue:
    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    async def describe(
        self, brand_id: str, attachment_ids: Sequence[str]
    ) -> dict[str, AttachmentInfo]:
        self.asked.append(list(attachment_ids))
        names = {RECEIPT: "رسید.pdf", NOTE_FILE: "یادداشت.png"}
        return {a: AttachmentInfo(a, names[a], "application/pdf", 1024) for a in attachment_ids}


async def test_each_side_gets_descriptions_of_the_files_it_may_see_and_no_others() -> None:
    store = InMemoryEventStore()
    handlers = TicketHandlers(
        store=store,
        catalogs=BrandCatalogs(),
        attachments=AnyAttachment(),
        clock=lambda: NOW,
        new_id=lambda: uuid.uuid4().hex,
        random_digits=random_digits,
    )
    opened = await handlers.open_ticket(
        CUSTOMER,
        OpenTicket(
            title="درخواست پیش فاکتور",
            department="finance",
            priority="normal",
            body="پیش فاکتور را بفرستید.",
            attachment_ids=(RECEIPT,),
        ),
    )
    note = PostMessage(opened.ticket_id, "پرونده مالی", attachment_ids=(NOTE_FILE,), internal=True)
    await handlers.post_message(AGENT, note)
    read_model = InMemoryReadModel()
    projector = Projector(read_model=read_model)
    async with aclosing(StoreFeed(store).batches(after=0)) as batches:  # type: ignore[type-var]
        await projector.apply(await anext(batches))
    catalogue = Catalogue()
    queries = TicketQueries(read_model, attachments=catalogue)

    customer = Scope.for_identity(role="customer", sub="cust-1", brand="acme")
    agent = Scope.for_identity(role="agent", sub="agent-1", brand="acme")
    seen_by_customer = await queries.detail(customer, opened.ticket_id)
    seen_by_agent = await queries.detail(agent, opened.ticket_id)

    assert seen_by_customer is not None
    assert seen_by_agent is not None
    assert catalogue.asked == [[RECEIPT], [RECEIPT, NOTE_FILE]]
    assert list(seen_by_customer.attachments) == [RECEIPT]
    assert seen_by_agent.attachments[NOTE_FILE].filename == "یادداشت.png"
