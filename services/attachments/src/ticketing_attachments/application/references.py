"""The reference consumer: learns from ticket events which tickets reference which attachments,
and each ticket's customer and department, so downloads are authorised locally.

At-least-once and idempotent, like the query projector: it resumes after the catalog's
checkpoint, which commits with each batch; a ticket only moves to a higher stream version and a
reference is stored once, so events delivered again change nothing. Downloads carrying
`X-Min-Position` wait on its applied position (`wait_for`), woken as each batch commits.
"""

from __future__ import annotations

from ticketing_feed import EventFeed, FeedBatch
from ticketing_feed.applied import AppliedPosition

from ticketing_attachments.application.ports import (
    AttachmentCatalog,
    Reference,
    ReferenceBatch,
    TicketChange,
)


class ReferenceConsumer:
    def __init__(self, *, feed: EventFeed, catalog: AttachmentCatalog, batch_size: int = 1000):
        self._feed = feed
        self._catalog = catalog
        self._batch_size = batch_size
        self._applied = AppliedPosition()

    @property
    def applied(self) -> int:
        """The position applied so far, as this process knows it."""
        return self._applied.value

    async def wait_for(self, position: int, timeout: float) -> bool:  # noqa: ASYNC109 - a bound, not a cancel scope
        """Wait until `position` is applied; False if `timeout` seconds pass first."""
        return await self._applied.wait_for(position, timeout)

    async def run(self) -> None:
        """Catch up from the checkpoint, then follow live events until cancelled."""
        # Readers already waiting may be satisfied by what an earlier run applied.
        self._applied.advance(await self._catalog.checkpoint())
        async for batch in self._feed.batches(after=self.applied, max_events=self._batch_size):
            await self.apply(batch)

    async def caught_up(self) -> bool:
        """Whether every event the feed holds has been applied (cleanup waits for this)."""
        return self.applied >= await self._feed.head()

    async def apply(self, batch: FeedBatch) -> None:
        """Record one feed batch's tickets and references with the new checkpoint."""
        tickets: dict[tuple[str, str], TicketChange] = {}
        references: dict[tuple[str, str, str], Reference] = {}

        def refer(brand: str, ticket: str, ids: object, visible: bool) -> None:
            for attachment_id in ids if isinstance(ids, list) else ():
                key = (brand, str(attachment_id), ticket)
                known = references.get(key)
                if known is None or (visible and not known.visible):
                    references[key] = Reference(brand, str(attachment_id), ticket, visible)

        for event in batch.events:
            key = (event.brand_id, event.ticket_id)
            data = event.data
            match event.event_type:
                case "TicketOpened":
                    tickets[key] = TicketChange(
                        event.brand_id,
                        event.ticket_id,
                        event.stream_version,
                        str(data["department"]),
                        str(data["customer_id"]),
                    )
                    refer(*key, data.get("attachment_ids"), True)
                case "MessagePosted":
                    refer(*key, data.get("attachment_ids"), not data.get("internal", False))
                case "TicketTransferred":
                    known = tickets.get(key)
                    tickets[key] = TicketChange(
                        event.brand_id,
                        event.ticket_id,
                        event.stream_version,
                        str(data["to_department"]),
                        known.customer_id if known is not None else None,
                    )
        position = max(batch.reached, self.applied)
        if tickets or references or position > self.applied:
            await self._catalog.apply(
                ReferenceBatch(list(tickets.values()), list(references.values()), position)
            )
        self._applied.advance(position)  # durable now: readers of this position may go on
