"""Wires the query service's ports to adapters chosen by settings. Nothing runs at import.

The service holds its own projector, run by a `ticketing_feed.Subscription`: in the embedded
process it follows the tickets service's event store object directly (commits wake it at once);
standalone, it opens the store itself (or joins Kafka). A replica (TICKETING_QUERY_PROJECTOR=false)
projects nothing and follows the read model's checkpoint instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ticketing_contracts.catalog import BrandCatalogs
from ticketing_eventstore.ports import EventReader, EventStore
from ticketing_feed import EventFeed
from ticketing_feed.configured import open_feed
from ticketing_feed.store import StoreFeed
from ticketing_feed.subscription import Subscription
from ticketing_web.internal_client import attachments_client

from .adapters.attachments_http import HttpAttachmentCatalog
from .adapters.readmodel_memory import InMemoryReadModel
from .adapters.readmodel_sqlite import SqliteReadModel
from .application.ports import AttachmentCatalog, ReadModel
from .application.projector import Projector
from .application.queries import TicketQueries
from .domain.search import normalize
from .settings import QuerySettings


@dataclass
class QueryService:
    """Everything the query HTTP app needs, built once per process."""

    settings: QuerySettings
    read_model: ReadModel
    feed: EventFeed
    projector: Projector
    #: Runs the projector (or, on a replica, follows the checkpoint): X-Min-Position waits,
    #: readiness and the projection metrics come from it.
    subscription: Subscription
    queries: TicketQueries
    owned_store: EventStore | None = None  # closed with the service when it opened it
    #: The HTTP client to the attachments service, when this process opened one.
    attachments_client: HttpAttachmentCatalog | None = None
    #: The brands' departments and request types, to label tickets with (TICKETING_BRANDS_FILE).
    catalogs: BrandCatalogs = field(default_factory=BrandCatalogs)

    @property
    def attachments(self) -> AttachmentCatalog | None:
        """Describes attachments in a ticket's detail (set by the composition; None: none
        shown): the queries' catalogue, where the detail is composed."""
        return self.queries.attachments

    @attachments.setter
    def attachments(self, catalog: AttachmentCatalog | None) -> None:
        self.queries.attachments = catalog

    def start(self) -> None:
        """Run the projector in the background (idempotent)."""
        # Build the search normaliser's tables now, not inside the first request that needs them.
        normalize("")
        self.subscription.start()

    async def stop(self) -> None:
        """Stop the projector; what it applied is kept (it resumes from the checkpoint)."""
        await self.subscription.stop()

    async def close(self) -> None:
        await self.stop()
        if self.attachments_client is not None:
            await self.attachments_client.close()
        await self.read_model.close()
        if self.owned_store is not None:
            await self.owned_store.close()

    async def ready(self) -> bool:
        """The projector (or, without one, the checkpoint follower) runs without failing and
        the read model answers."""
        return await self.subscription.ready()


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


def store_feed(store: EventReader) -> EventFeed:
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
    projector = Projector(read_model=read_model)
    subscription = Subscription(
        name="projector",
        feed=source,
        handler=projector,
        batch_size=settings.projector_batch_size,
        # a replica: another process projects into the shared read model
        replica_poll_seconds=None
        if settings.query_projector
        else settings.query_checkpoint_poll_seconds,
    )
    service = QueryService(
        settings,
        read_model,
        source,
        projector,
        subscription,
        TicketQueries(read_model),
        owned,
        catalogs=BrandCatalogs.configured(settings.brands_file),
    )
    if settings.attachments_url:  # distributed: ask the attachments service over HTTP
        service.attachments = service.attachments_client = HttpAttachmentCatalog(
            attachments_client(settings)
        )
    return service
