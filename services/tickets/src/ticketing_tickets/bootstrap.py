"""Wires the tickets service's ports to adapters chosen by settings. Nothing runs at import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ticketing_contracts.catalog import BrandCatalogs
from ticketing_eventstore import open_event_store
from ticketing_eventstore.ports import EventStore
from ticketing_web.ids import new_hex_id, random_digits
from ticketing_web.internal_client import attachments_client

from .adapters.attachments_http import HttpAttachmentLookup
from .adapters.attachments_unavailable import NoAttachments
from .adapters.idempotency_memory import InMemoryIdempotencyStore
from .adapters.idempotency_sqlite import SqliteIdempotencyStore
from .application.handlers import TicketHandlers
from .application.history import BrandHistory
from .application.ports import AttachmentLookup, Catalogs, Clock, IdempotencyStore
from .settings import TicketsSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TicketsService:
    """Everything the tickets HTTP app needs, built once per process."""

    settings: TicketsSettings
    store: EventStore
    idempotency: IdempotencyStore
    handlers: TicketHandlers
    catalogs: Catalogs
    history: BrandHistory
    #: The HTTP client to the attachments service, when this process opened one.
    attachments_client: HttpAttachmentLookup | None = None
    #: Idempotency records are stamped with this clock (the handlers get the same one).
    clock: Clock = utc_now

    async def close(self) -> None:
        if self.attachments_client is not None:
            await self.attachments_client.close()
        await self.idempotency.close()
        await self.store.close()


def event_store_from_url(url: str, *, synchronous: str = "FULL") -> EventStore:
    """`sqlite:///path` (durable, embedded), `memory://` (tests, throwaway demos) or
    `kurrentdb://…` (distributed): `ticketing_eventstore.open_event_store`."""
    return open_event_store(url, synchronous=synchronous)


def build_tickets_service(
    settings: TicketsSettings,
    *,
    store: EventStore | None = None,
    attachments: AttachmentLookup | None = None,
) -> TicketsService:
    store = store or event_store_from_url(
        settings.resolved_event_store_url(), synchronous=settings.sqlite_synchronous
    )
    ttl = timedelta(hours=settings.idempotency_ttl_hours)
    idempotency: IdempotencyStore
    if settings.resolved_event_store_url().startswith("memory://"):
        idempotency = InMemoryIdempotencyStore(ttl=ttl)
    else:
        idempotency = SqliteIdempotencyStore(settings.data_dir / "idempotency.db", ttl=ttl)
    catalogs = BrandCatalogs.configured(settings.brands_file)
    over_http = None
    if attachments is None and settings.attachments_url:  # distributed: ask it over HTTP
        over_http = attachments = HttpAttachmentLookup(attachments_client(settings))
    handlers = TicketHandlers(
        store=store,
        catalogs=catalogs,
        attachments=attachments or NoAttachments(),
        clock=utc_now,
        new_id=new_hex_id,
        random_digits=random_digits,
    )
    return TicketsService(
        settings, store, idempotency, handlers, catalogs, BrandHistory(store), over_http
    )
