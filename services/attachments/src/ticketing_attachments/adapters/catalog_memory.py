"""InMemoryCatalog: the unit-test fake of the attachment catalog (same contract as SQLite)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ticketing_attachments.application.ports import ReferenceBatch, TicketChange
from ticketing_attachments.domain import Attachment, TicketAccess


@dataclass
class _Ticket:
    customer_id: str
    department: str
    version: int


class InMemoryCatalog:
    def __init__(self) -> None:
        self._attachments: dict[tuple[str, str], Attachment] = {}
        self._tickets: dict[tuple[str, str], _Ticket] = {}
        # (brand, attachment) -> {ticket_id: visible}
        self._refs: dict[tuple[str, str], dict[str, bool]] = {}
        self._position = 0

    async def add(self, attachment: Attachment) -> None:
        self._attachments[(attachment.brand_id, attachment.attachment_id)] = attachment

    async def get(self, brand_id: str, attachment_id: str) -> Attachment | None:
        return self._attachments.get((brand_id, attachment_id))

    async def get_many(self, brand_id: str, attachment_ids: Sequence[str]) -> dict[str, Attachment]:
        found = (self._attachments.get((brand_id, a)) for a in attachment_ids)
        return {a.attachment_id: a for a in found if a is not None}

    async def access(self, brand_id: str, attachment_id: str) -> list[TicketAccess]:
        out = []
        for ticket_id, visible in self._refs.get((brand_id, attachment_id), {}).items():
            ticket = self._tickets.get((brand_id, ticket_id))
            if ticket is not None:
                out.append(TicketAccess(ticket_id, ticket.customer_id, ticket.department, visible))
        return out

    async def referenced(self, brand_id: str, attachment_ids: Sequence[str]) -> set[str]:
        return {a for a in attachment_ids if self._refs.get((brand_id, a))}

    async def tickets(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], TicketChange]:
        return {
            k: TicketChange(*k, t.version, t.department, t.customer_id)
            for k in keys
            if (t := self._tickets.get(k)) is not None
        }

    async def apply(self, batch: ReferenceBatch) -> None:
        for change in batch.tickets:
            key = (change.brand_id, change.ticket_id)
            known = self._tickets.get(key)
            if known is None:
                if change.customer_id is not None:
                    self._tickets[key] = _Ticket(
                        change.customer_id, change.department, change.version
                    )
            elif change.version > known.version:
                known.department, known.version = change.department, change.version
        for ref in batch.references:
            tickets = self._refs.setdefault((ref.brand_id, ref.attachment_id), {})
            tickets[ref.ticket_id] = tickets.get(ref.ticket_id, False) or ref.visible
        self._position = max(self._position, batch.position)

    async def checkpoint(self) -> int:
        return self._position

    async def unreferenced(self, *, created_before: datetime, limit: int) -> list[Attachment]:
        old = [
            a
            for key, a in self._attachments.items()
            if a.created_at < created_before and not self._refs.get(key)
        ]
        return sorted(old, key=lambda a: a.created_at)[:limit]

    async def remove_unreferenced(self, brand_id: str, attachment_id: str) -> bool:
        key = (brand_id, attachment_id)
        if key not in self._attachments or self._refs.get(key):
            return False
        del self._attachments[key]
        return True

    async def ready(self) -> bool:
        return True

    async def close(self) -> None:
        return None
