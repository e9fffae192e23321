"""Wires the attachments service's ports to adapters chosen by settings. Nothing runs at import.

The service holds its reference consumer, run by a `ticketing_feed.Subscription`, and its
cleanup loop: in the embedded process it reads the feed the process passes in
(`ticketing_feed.store.StoreFeed` over the shared event store); standalone, it opens the event store
itself (or joins Kafka).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ticketing_eventstore.ports import EventStore
from ticketing_feed import EventFeed
from ticketing_feed.configured import open_feed
from ticketing_feed.restarts import Restarts
from ticketing_feed.subscription import Subscription

from .adapters.blobs_local import LocalBlobStore
from .adapters.blobs_memory import InMemoryBlobStore
from .adapters.blobs_s3 import S3BlobStore, connect_s3
from .adapters.catalog_memory import InMemoryCatalog
from .adapters.catalog_sqlite import SqliteCatalog
from .application.attachments import Attachments, UploadPolicy
from .application.ports import AttachmentCatalog, BlobStore
from .application.references import ReferenceConsumer
from .domain import Attachment, Caller, content_disposition
from .settings import AttachmentsSettings


@dataclass
class AttachmentsService:
    """Everything the attachments HTTP app needs, built once per process."""

    settings: AttachmentsSettings
    attachments: Attachments
    consumer: ReferenceConsumer
    #: Runs the reference consumer over the feed: X-Min-Position waits on it.
    subscription: Subscription
    owned_store: EventStore | None = None  # closed with the service when it opened it
    #: Where a download redirects (a signed URL), when downloads redirect instead of streaming.
    download_link: Callable[[Attachment], Coroutine[Any, Any, str]] | None = None
    _cleaning: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        """Run the reference consumer and the cleanup loop in the background (idempotent)."""
        self.subscription.start()
        if self._cleaning is None or self._cleaning.done():
            cleanup = Restarts("attachments_loop", loop="cleanup").forever(self._cleanup_loop)
            self._cleaning = asyncio.create_task(cleanup, name="attachments-cleanup")

    @property
    def running(self) -> bool:
        cleaning = self._cleaning is not None and not self._cleaning.done()
        return cleaning and self.subscription.running

    async def stop(self) -> None:
        """Stop both loops; what was applied is kept (the consumer resumes from its checkpoint)."""
        cleaning, self._cleaning = self._cleaning, None
        if cleaning is not None:
            cleaning.cancel()
        await self.subscription.stop()
        if cleaning is not None:
            await asyncio.gather(cleaning, return_exceptions=True)  # our own cancellation goes on

    async def close(self) -> None:
        await self.stop()
        await self.attachments.catalog.close()
        await self.attachments.blobs.close()
        if self.owned_store is not None:
            await self.owned_store.close()

    async def ready(self) -> bool:
        """The loops run, the consumer is not failing and the catalog answers."""
        return (
            self.running
            and await self.subscription.ready()
            and await self.attachments.catalog.ready()
        )

    # -- the public helpers the composition wires into the other services ---------------------

    async def check_usable(
        self, *, brand_id: str, caller: Caller, attachment_ids: list[str]
    ) -> list[tuple[str, str]]:
        """For the tickets service's AttachmentLookup: (field, message) per id the caller may
        not name (one it may not read, or about to expire)."""
        return await self.attachments.check_usable(
            brand_id=brand_id, caller=caller, attachment_ids=attachment_ids
        )

    async def describe(
        self, brand_id: str, attachment_ids: list[str]
    ) -> dict[str, dict[str, str | int]]:
        """For the query service's detail view: {id: {attachment_id, filename, content_type,
        size}} of the known ids."""
        return await self.attachments.describe(brand_id, attachment_ids)

    async def cleanup_once(self) -> int:
        """Delete expired unreferenced uploads now, if the consumer has seen every event (an
        upload it has not yet seen referenced must not go)."""
        if not await self.subscription.caught_up():
            return 0
        return await self.attachments.cleanup()

    async def _cleanup_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.attachments_cleanup_interval_seconds)
            await self.cleanup_once()


def catalog_from_url(url: str, *, synchronous: str = "FULL") -> AttachmentCatalog:
    """`sqlite:///path` (the embedded default) or `memory://` (tests)."""
    if url.startswith("sqlite:///"):
        return SqliteCatalog(Path(url.removeprefix("sqlite:///")), synchronous=synchronous)
    if url.startswith("memory://"):
        return InMemoryCatalog()
    raise ValueError(f"unsupported attachment catalog URL {url!r}")


def blobs_from_setting(value: str) -> BlobStore:
    """A directory (the embedded default) or `memory://` (tests)."""
    if value.startswith("memory://"):
        return InMemoryBlobStore()
    store = LocalBlobStore(Path(value))
    store.sweep_temp_files()
    return store


def blobs_from_settings(settings: AttachmentsSettings) -> BlobStore:
    """TICKETING_ATTACHMENTS_BLOB_URL: `s3://bucket` (made if missing; blocking, and an error
    saying why if S3 does not answer or refuses the keys), `memory://`, empty = the directory."""
    url = settings.attachments_blob_url
    if not url:
        return blobs_from_setting(settings.resolved_blob_dir())
    if url == "memory://":
        return InMemoryBlobStore()
    bucket = url.removeprefix("s3://")
    if bucket == url or not bucket or "/" in bucket:
        raise ValueError(f"unsupported attachments blob URL {url!r} (s3://bucket or memory://)")
    secret = settings.s3_secret_key.get_secret_value()
    if not (settings.s3_endpoint and settings.s3_access_key and secret):
        raise ValueError(
            "an s3:// blob URL needs TICKETING_S3_ENDPOINT, TICKETING_S3_ACCESS_KEY and "
            "TICKETING_S3_SECRET_KEY"
        )
    return connect_s3(
        settings.s3_endpoint,
        bucket=bucket,
        access_key=settings.s3_access_key,
        secret_key=secret,
        region=settings.s3_region,
    )


def download_link(
    settings: AttachmentsSettings, blobs: BlobStore
) -> Callable[[Attachment], Coroutine[Any, Any, str]] | None:
    """With TICKETING_ATTACHMENTS_DOWNLOAD_REDIRECT, a signed URL of the attachment's object
    that S3 answers with its type and filename; None (downloads stream) otherwise."""
    if not settings.attachments_download_redirect:
        return None
    if not isinstance(blobs, S3BlobStore):
        raise ValueError("TICKETING_ATTACHMENTS_DOWNLOAD_REDIRECT needs an s3:// blob URL")
    store, seconds = blobs, settings.s3_signed_url_seconds

    async def link(attachment: Attachment) -> str:
        return await store.signed_url(
            attachment.blob_key,
            seconds=seconds,
            content_type=attachment.content_type,
            content_disposition=content_disposition(attachment.filename),
        )

    return link


def build_attachments_service(
    settings: AttachmentsSettings,
    *,
    feed: EventFeed | None = None,
    blobs: BlobStore | None = None,
    catalog: AttachmentCatalog | None = None,
    clock: Callable[[], datetime] | None = None,
) -> AttachmentsService:
    """The attachments service reading ticket events from `feed` (the embedded process's), else
    from the configured event store."""
    owned: EventStore | None = None
    if feed is None:  # standalone: Kafka (the distributed mode), else the event store it names
        opened = open_feed(settings, event_store_url=settings.resolved_event_store_url())
        feed, owned = opened.feed, opened.store
    catalog = catalog or catalog_from_url(
        settings.resolved_catalog_url(), synchronous=settings.sqlite_synchronous
    )
    blobs = blobs or blobs_from_settings(settings)
    attachments = Attachments(
        blobs=blobs,
        catalog=catalog,
        policy=UploadPolicy(
            max_bytes=settings.attachments_max_bytes,
            allowed=settings.attachments_allowed_types,
            keep_unreferenced=timedelta(hours=settings.attachments_keep_unreferenced_hours),
        ),
        clock=clock or (lambda: datetime.now(UTC)),
        new_id=lambda: uuid.uuid4().hex,
    )
    consumer = ReferenceConsumer(catalog=catalog)
    # The references' restarts log as the loop did before it ran on a subscription.
    subscription = Subscription(name="attachments_loop", feed=feed, handler=consumer)
    return AttachmentsService(
        settings,
        attachments,
        consumer,
        subscription,
        owned,
        download_link=download_link(settings, blobs),
    )
