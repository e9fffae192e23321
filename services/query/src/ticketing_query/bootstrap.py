"""Wires the query service's ports to adapters chosen by settings. Nothing runs at import.

The service holds its own projector: in the embedded process it follows the tickets service's
event store object directly (commits wake it at once); standalone, it opens the store itself.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from ticketing_contracts.catalog import BrandCatalogs
from ticketing_eventstore.ports import EventStore
from ticketing_feed import EventFeed, StoreFeed
from ticketing_feed.configured import open_feed
from ticketing_web.internal_client import attachments_client

from .adapters.attachments_http import HttpAttachmentCatalog
from .adapters.readmodel_memory import InMemoryReadModel
from .adapters.readmodel_sqlite import SqliteReadModel
from .application.monitor import MonitoredFeed, ProjectionMonitor
from .application.ports import AttachmentCatalog, ReadModel
from .application.projector import Projector
from .application.queries import TicketQueries
from .domain.search import normalize
from .settings import QuerySettings

_log = structlog.get_logger("ticketing.query")
_RESTART_DELAY = 1.0


@dataclass
class QueryService:
    """Everything the query HTTP app needs, built once per process."""

    settings: QuerySettings
    read_model: ReadModel
    feed: EventFeed
    projector: Projector
    monitor: ProjectionMonitor
    queries: TicketQueries
    owned_store: EventStore | None = None  # closed with the service when it opened it
    #: Describes attachments in a ticket's detail (set by the composition; None: none shown).
    attachments: AttachmentCatalog | None = None
    #: The HTTP client to the attachments service, when this process opened one.
    attachments_client: HttpAttachmentCatalog | None = None
    #: The brands' departments and request types, to label tickets with (TICKETING_BRANDS_FILE).
    catalogs: BrandCatalogs = field(default_factory=BrandCatalogs)
    _task: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        """Run the projector in the background (idempotent)."""
        # Build the search normaliser's tables now, not inside the first request that needs them.
        normalize("")
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._project(), name="query-projector")

    @property
    def projecting(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Stop the projector; what it applied is kept (it resumes from the checkpoint)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)  # our own cancellation goes on

    async def close(self) -> None:
        await self.stop()
        if self.attachments_client is not None:
            await self.attachments_client.close()
        await self.read_model.close()
        if self.owned_store is not None:
            await self.owned_store.close()

    async def ready(self) -> bool:
        """The projector (or, without one, the checkpoint follower) runs and the read model
        answers."""
        try:
            await self.read_model.checkpoint()
        except Exception:  # any failure means not ready
            return False
        return self.projecting

    async def _project(self) -> None:
        # A failing batch (the read model's disk, say) must not end projection for the life of
        # the process: log, wait, resume from the checkpoint, which applies nothing twice.
        while True:
            try:
                if self.settings.query_projector:
                    await self.projector.run()
                else:  # a replica: another process projects into the shared read model
                    await self.projector.follow(self.settings.query_checkpoint_poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("projector_failed", restart_in_seconds=_RESTART_DELAY)
            await asyncio.sleep(_RESTART_DELAY)


def read_model_from_url(url: str) -> ReadModel:
    """`sqlite:///path` (the embedded default), `mongodb://host:port/dbname` (the distributed
    mode; `mongodb+srv://` too) or `memory://` (tests, throwaway demos)."""
    if url.startswith("sqlite:///"):
        return SqliteReadModel(Path(url.removeprefix("sqlite:///")))
    if url.startswith(("mongodb://", "mongodb+srv://")):
        # Imported here: only a process that reads MongoDB pays for loading PyMongo.
        from .adapters.readmodel_mongo import MongoReadModel

        return MongoReadModel(url)
    if url.startswith("memory://"):
        return InMemoryReadModel()
    raise ValueError(f"unsupported read model URL {url!r}")


def store_feed(store: EventStore) -> EventFeed:
    """The feed of the ticket events in `store` (the embedded mode's, or the rebuild's)."""
    return StoreFeed(store)


def build_query_service(
    settings: QuerySettings,
    *,
    store: EventStore | None = None,
    read_model: ReadModel | None = None,
    feed: EventFeed | None = None,
) -> QueryService:
    """The query service over `store` (the embedded process's own; `feed` when the process
    shares one read of it among its consumers), else the configured one."""
    owned: EventStore | None = None
    source: EventFeed
    if store is not None:
        source = feed or store_feed(store)
    else:  # standalone: Kafka (the distributed mode), else the event store it names
        opened = open_feed(settings, event_store_url=settings.resolved_event_store_url())
        source, owned = opened.feed, opened.store
    read_model = read_model or read_model_from_url(settings.resolved_read_model_url())
    monitor = ProjectionMonitor(source)
    projector = Projector(
        feed=MonitoredFeed(source, monitor),
        read_model=read_model,
        batch_size=settings.projector_batch_size,
        on_applied=monitor.applied,
    )
    monitor.follow(lambda: projector.applied)
    service = QueryService(
        settings,
        read_model,
        source,
        projector,
        monitor,
        TicketQueries(read_model),
        owned,
        catalogs=BrandCatalogs.configured(settings.brands_file),
    )
    if settings.attachments_url:  # distributed: ask the attachments service over HTTP
        service.attachments = service.attachments_client = HttpAttachmentCatalog(
            attachments_client(settings)
        )
    return service
