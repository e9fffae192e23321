"""The brand's history for its admins (`GET /v1/events`), read from the event store.

A use case of its own, taking only the store's reader: the route turns the query into a call
and the envelopes into NDJSON; who may read what, and which streams are the brand's, is here.
"""

from __future__ import annotations

from typing import Any

from ticketing_contracts.stored import envelope_from_stored
from ticketing_contracts.topics import brand_stream_prefix
from ticketing_eventstore.ports import EventReader

from ticketing_tickets.domain import Forbidden, Role


class BrandHistory:
    """A brand's event envelopes in global order, and how far the store has committed."""

    def __init__(self, reader: EventReader) -> None:
        self._reader = reader

    async def envelopes(
        self, *, brand_id: str, role: str, after: int, limit: int
    ) -> list[dict[str, Any]]:
        """Up to `limit` public envelopes of `brand_id`'s streams with a position after `after`
        (upcast, JSON-ready). Raises Forbidden unless `role` is the brand's admin."""
        if role != Role.ADMIN:
            raise Forbidden("Only the brand's admins may read its history.")
        records = await self._reader.read_all(
            after=after, limit=limit, stream_prefix=brand_stream_prefix(brand_id)
        )
        return [envelope_from_stored(record) for record in records]

    async def head(self) -> int:
        """The position of the last event committed (read-your-writes waits on it)."""
        return await self._reader.head_position()
