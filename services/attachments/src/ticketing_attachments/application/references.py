"""The reference consumer: learns from ticket events which tickets reference which attachments,
and each ticket's customer and department, so downloads are authorised locally.

At-least-once and idempotent, like the query projector: the service's
`ticketing_feed.Subscription` runs it, resuming after the catalog's checkpoint, which commits
with each batch; a ticket only moves to a higher stream version and a reference is stored once,
so events delivered again change nothing. Downloads carrying `X-Min-Position` wait on that
subscription's applied position, woken as each batch commits.
"""

from __future__ import annotations

from ticketing_contracts.events import MessagePosted, TicketOpened
from ticketing_feed import FeedBatch
from ticketing_model import TicketFacts, evolve

from ticketing_attachments.application.ports import (
    AttachmentCatalog,
    Reference,
    ReferenceBatch,
    TicketChange,
)


class ReferenceConsumer:
    def __init__(self, *, catalog: AttachmentCatalog):
        self._catalog = catalog

    async def checkpoint(self) -> int:
        """The position the catalog has applied up to (a restart resumes after it)."""
        return await self._catalog.checkpoint()

    async def apply(self, batch: FeedBatch) -> None:
        """Record one feed batch's tickets and references with the new checkpoint.

        Where a ticket is (its customer and department) is folded by `ticketing_model.evolve`,
        the fold every service shares, from what the catalog kept of it."""
        keys = list(dict.fromkeys((e.brand_id, e.ticket_id) for e in batch.events))
        kept = await self._catalog.tickets(keys) if keys else {}
        facts = {key: _facts_of(change) for key, change in kept.items()}
        tickets: dict[tuple[str, str], TicketChange] = {}
        references: dict[tuple[str, str, str], Reference] = {}

        def refer(brand: str, ticket: str, ids: list[str], visible: bool) -> None:
            for attachment_id in ids:
                key = (brand, attachment_id, ticket)
                known = references.get(key)
                if known is None or (visible and not known.visible):
                    references[key] = Reference(brand, attachment_id, ticket, visible)

        for event in batch.events:
            key = (event.brand_id, event.ticket_id)
            before = facts.get(key)
            after = evolve(before, event)
            if after is None:
                continue  # history that does not start with an opening is no ticket's
            facts[key] = after
            if before is None or _place(before) != _place(after):
                tickets[key] = TicketChange(
                    *key, after.version, after.department, after.customer_id
                )
            match event.event:
                case TicketOpened(attachment_ids=ids):
                    refer(*key, ids, True)
                case MessagePosted(attachment_ids=ids, internal=internal):
                    refer(*key, ids, not internal)
        await self._catalog.apply(
            ReferenceBatch(list(tickets.values()), list(references.values()), batch.reached)
        )


def _place(facts: TicketFacts) -> tuple[str, str]:
    return facts.customer_id, facts.department


def _facts_of(kept: TicketChange) -> TicketFacts:
    """The facts to fold on from what the catalog keeps: only where the ticket is (all the
    download rule needs). The rest is not kept here, so it starts empty; nothing reads it."""
    return TicketFacts(
        brand_id=kept.brand_id,
        ticket_id=kept.ticket_id,
        customer_id=kept.customer_id or "",
        department=kept.department,
        tracking_code="",
        title="",
        priority="",
        version=kept.version,
    )
