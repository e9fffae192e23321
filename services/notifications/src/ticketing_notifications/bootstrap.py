"""Wires the notifications service's ports to adapters chosen by settings. Nothing runs at import.

Two background tasks: the consumer (feed → facts, in-app items, outbox jobs) and the sender
(outbox → email/SMS). Neither is on the command path: a command is done once its events are
appended, whatever happens here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from ticketing_contracts.catalog import BrandCatalogs
from ticketing_feed import EventFeed
from ticketing_feed.configured import open_feed
from ticketing_web.ids import new_hex_id

from .adapters.email_files import EmlDirectory
from .adapters.email_smtp import SmtpEmail
from .adapters.sms_http import HttpSms, SmsLogFile
from .adapters.store_memory import InMemoryNotificationStore
from .adapters.store_sqlite import SqliteNotificationStore
from .application.consumer import Consumer
from .application.inbox import Inbox
from .application.ports import Channel, NotificationStore
from .application.render import Renderer
from .application.sender import Sender, utc_now
from .application.signal import Signal
from .settings import NotificationsSettings

_log = structlog.get_logger("ticketing.notifications")
_RESTART_DELAY = 1.0


@dataclass
class NotificationsService:
    """Everything the notifications HTTP app needs, built once per process."""

    settings: NotificationsSettings
    store: NotificationStore
    consumer: Consumer
    sender: Sender
    #: Notified whenever in-app items land: open SSE streams wake at once.
    items_added: Signal
    owned: list[Any] = field(default_factory=list)  # closed with the service
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False, repr=False)

    def start(self) -> None:
        """Run the consumer and the sender in the background (idempotent)."""
        if self.running:
            return
        self._tasks = [
            asyncio.create_task(_forever(self.consumer.run, "consumer"), name="notify-consumer"),
            asyncio.create_task(_forever(self.sender.run, "sender"), name="notify-sender"),
        ]

    @property
    def inbox(self) -> Inbox:
        """The API's use cases over this service's store (its sender's claims are its own)."""
        return Inbox(self.store, sender_owner=self.sender.owner)

    @property
    def running(self) -> bool:
        return bool(self._tasks) and all(not t.done() for t in self._tasks)

    async def stop(self) -> None:
        """Stop both tasks; what they recorded is kept (they resume from the store)."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # our own cancellation goes on

    async def close(self) -> None:
        await self.stop()
        await self.store.close()
        for resource in self.owned:
            await resource.close()

    async def ready(self) -> bool:
        """Both tasks run and the store answers."""
        try:
            await self.store.checkpoint()
        except Exception:  # any failure means not ready
            return False
        return self.running


async def _forever(run: Callable[[], Awaitable[None]], what: str) -> None:
    # A failing step (the store's disk, say) must not end the task for the life of the process.
    while True:
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception(f"{what}_failed", restart_in_seconds=_RESTART_DELAY)
        await asyncio.sleep(_RESTART_DELAY)


def store_from_url(url: str) -> NotificationStore:
    """`sqlite:///path` (the embedded default) or `memory://` (tests)."""
    if url.startswith("sqlite:///"):
        return SqliteNotificationStore(Path(url.removeprefix("sqlite:///")))
    if url.startswith("memory://"):
        return InMemoryNotificationStore()
    raise ValueError(f"unsupported notifications store URL {url!r}")


def channels_from(settings: NotificationsSettings) -> tuple[dict[str, Channel], list[Any]]:
    """Email and SMS as configured (SMTP / an HTTP gateway), else files under the data dir."""
    owned: list[Any] = []
    email: Channel
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        email = SmtpEmail(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.email_from,
            username=settings.smtp_username,
            password=password,
            start_tls=settings.smtp_start_tls,
        )
    else:
        email = EmlDirectory(settings.data_dir / "outbox", sender=settings.email_from)
    sms: Channel
    if settings.sms_gateway_url:
        gateway = HttpSms(url=settings.sms_gateway_url, body_template=settings.sms_body_template)
        owned.append(gateway)
        sms = gateway
    else:
        sms = SmsLogFile(settings.data_dir / "sms.log")
    return {"email": email, "sms": sms}, owned


def build_notifications_service(
    settings: NotificationsSettings,
    *,
    feed: EventFeed | None = None,
    store: NotificationStore | None = None,
    channels: Mapping[str, Channel] | None = None,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> NotificationsService:
    """The service over `feed` (the embedded process passes its own), else the configured
    event store; `store` and `channels` override the configured ones (tests)."""
    owned: list[Any] = []
    if feed is None:  # standalone: Kafka (the distributed mode), else the event store it names
        opened = open_feed(settings, event_store_url=settings.resolved_event_store_url())
        feed = opened.feed
        owned += [opened.store] if opened.store is not None else []
    store = store or store_from_url(settings.resolved_store_url())
    if channels is None:
        channels, more = channels_from(settings)
        owned += more
    items_added = Signal()
    sender = Sender(
        store=store,
        channels=channels,
        render=Renderer(settings.panel_base_url),
        owner=new_hex_id(),
        max_attempts=settings.send_max_attempts,
        base_delay=settings.send_backoff_seconds,
        max_delay=settings.send_backoff_max_seconds,
        clock=clock,
        sleep=sleep,
    )
    consumer = Consumer(
        feed=feed,
        store=store,
        batch_size=settings.consumer_batch_size,
        on_items=items_added.notify,
        on_jobs=sender.wake,
        catalogs=BrandCatalogs.configured(settings.brands_file),
    )
    return NotificationsService(settings, store, consumer, sender, items_added, owned)
