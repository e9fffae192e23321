"""The notifications and attachments services run their consumers on the shared subscription:
while a consumer's store refuses its batches the service is not ready, and it is ready again
by itself once the store takes them (the batch comes again after the restart, applied once)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from structlog.testing import capture_logs
from ticketing_attachments.adapters.blobs_memory import InMemoryBlobStore
from ticketing_attachments.adapters.catalog_memory import InMemoryCatalog
from ticketing_attachments.application.ports import ReferenceBatch
from ticketing_attachments.bootstrap import build_attachments_service
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_feed.memory import InMemoryFeed
from ticketing_notifications.adapters.store_memory import InMemoryNotificationStore
from ticketing_notifications.application.ports import Consumed
from ticketing_notifications.bootstrap import build_notifications_service
from ticketing_notifications.settings import NotificationsSettings
from unit.notifications.events import Story

DISK_FULL = OSError(28, "No space left on device")


class FullNotificationStore(InMemoryNotificationStore):
    full = True

    async def record(self, consumed: Consumed) -> list[str]:
        if self.full:
            raise DISK_FULL
        return await super().record(consumed)


class FullCatalog(InMemoryCatalog):
    full = True

    async def apply(self, batch: ReferenceBatch) -> None:
        if self.full:
            raise DISK_FULL
        await super().apply(batch)


async def _becomes(ready: Callable[[], Awaitable[bool]], wanted: bool) -> None:
    async with asyncio.timeout(5):  # the first restart comes after 1 s
        while await ready() is not wanted:  # noqa: ASYNC110 - polling the probe
            await asyncio.sleep(0.01)


def _history() -> InMemoryFeed:
    story = Story()
    return InMemoryFeed([story.opened(), story.message(by="agent")])


async def test_the_notifications_service_is_unready_while_its_consumer_fails(
    tmp_path: Path,
) -> None:
    store = FullNotificationStore()
    settings = NotificationsSettings(data_dir=tmp_path, notifications_store_url="memory://")
    service = build_notifications_service(settings, feed=_history(), store=store)
    with capture_logs() as logs:
        service.start()
        try:
            await _becomes(service.ready, False)
            store.full = False
            await _becomes(service.ready, True)
            assert await service.subscription.wait_for(2, timeout=1)
        finally:
            await service.close()
    assert [e["event"] for e in logs if e["log_level"] == "error"][:1] == ["consumer_failed"]
    assert await store.checkpoint() == 2


async def test_the_attachments_service_is_unready_while_its_reference_consumer_fails(
    tmp_path: Path,
) -> None:
    catalog = FullCatalog()
    settings = AttachmentsSettings(data_dir=tmp_path)
    service = build_attachments_service(
        settings, feed=_history(), catalog=catalog, blobs=InMemoryBlobStore()
    )
    with capture_logs() as logs:
        service.start()
        try:
            await _becomes(service.ready, False)
            catalog.full = False
            await _becomes(service.ready, True)
            assert await service.subscription.wait_for(2, timeout=1)
        finally:
            await service.close()
    assert [e["event"] for e in logs if e["log_level"] == "error"][:1] == [
        "attachments_loop_failed"
    ]
    assert await catalog.checkpoint() == 2
