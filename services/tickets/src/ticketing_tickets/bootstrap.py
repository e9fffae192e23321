"""Wires the tickets service's ports to adapters chosen by settings. Nothing runs at import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ticketing_eventstore import InMemoryEventStore, SqliteEventStore
from ticketing_eventstore.ports import EventStore
from ticketing_web.ids import new_hex_id, random_digits

from .adapters.attachments_unavailable import NoAttachments
from .adapters.catalog_config import ConfiguredCatalogs
from .adapters.idempotency_memory import InMemoryIdempotencyStore
from .adapters.idempotency_sqlite import SqliteIdempotencyStore
from .application.handlers import TicketHandlers
from .application.ports import AttachmentLookup, Catalogs, IdempotencyStore
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

    async def close(self) -> None:
        await self.idempotency.close()
        await self.store.close()


def event_store_from_url(url: str, *, synchronous: str = "FULL") -> EventStore:
    """`sqlite:///path` (durable, embedded) or `memory://` (tests, throwaway demos)."""
    if url.startswith("sqlite:///"):
        return SqliteEventStore(Path(url.removeprefix("sqlite:///")), synchronous=synchronous)
    if url.startswith("memory://"):
        return InMemoryEventStore()
    raise ValueError(f"unsupported event store URL {url!r}")


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
    catalogs = (
        ConfiguredCatalogs.from_file(settings.brands_file)
        if settings.brands_file
        else ConfiguredCatalogs()
    )
    handlers = TicketHandlers(
        store=store,
        catalogs=catalogs,
        attachments=attachments or NoAttachments(),
        clock=utc_now,
        new_id=new_hex_id,
        random_digits=random_digits,
    )
    return TicketsService(settings, store, idempotency, handlers, catalogs)
