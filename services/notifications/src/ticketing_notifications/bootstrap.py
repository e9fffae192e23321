"""Wires the notifications service's ports to adapters chosen by settings. Nothing runs at import.

Two background tasks: the consumer (feed → facts, in-app items, outbox jobs), run by a
`ticketing_feed.Subscription`, and the sender (outbox → email/SMS), kept running by
`ticketing_feed.restarts.Restarts`. Neither is on the command path: a command is done once its
events are appended, whatever happens here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ticketing_contracts.catalog import BrandCatalogs
from ticketing_feed import EventFeed
from ticketing_feed.configured import open_feed
from ticketing_feed.restarts import Restarts
from ticketing_feed.subscription import Subscription
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


@dataclass
class NotificationsService:
    """Everything the notifications HTTP app needs, built once per process."""

    settings: NotificationsSettings
    store: NotificationStore
    consumer: Consumer
    #: Runs the consumer over the feed: X-Min-Position waits on it.
    subscription: Subscription
    sender: Sender
    #: Notified whenever in-app items land: open SSE streams wake at once.
    items_added: Signal
    owned: list[Any] = field(default_factory=list)  # closed with the service
    _sending: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        """Run the consumer and the sender in the background (idempotent)."""
        self.subscription.start()
        if self._sending is None or self._sending.done():
            sender = Restarts("sender").forever(self.sender.run)
            self._sending = asyncio.create_task(sender, name="notify-sender")

    @property
    def inbox(self) -> Inbox:
        """The API's use cases over this service's store (its sender's claims are its own)."""
        return Inbox(self.store, sender_owner=self.sender.owner)

    @property
    def running(self) -> bool:
        sending = self._sending is not None and not self._sending.done()
        return sending and self.subscription.running

    async def stop(self) -> None:
        """Stop both tasks; what they recorded is kept (they resume from the store)."""
        sending, self._sending = self._sending, None
        if sending is not None:
            sending.cancel()
        await self.subscription.stop()
        if sending is not None:
            await asyncio.gather(sending, return_exceptions=True)  # our own cancellation goes on

    async def close(self) -> None:
        await self.stop()
        await self.store.close()
        for resource in self.owned:
            await resource.close()

    async def ready(self) -> bool:
        """Both tasks run, the consumer is not failing and the store answers."""
        return self.running and await self.subscription.ready()


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
        store=store,
        on_items=items_added.notify,
        on_jobs=sender.wake,
        catalogs=BrandCatalogs.configured(settings.brands_file),
    )
    subscription = Subscription(
        name="consumer", feed=feed, handler=consumer, batch_size=settings.consumer_batch_size
    )
    return NotificationsService(settings, store, consumer, subscription, sender, items_added, owned)
