"""The reference consumer, download authorisation, reuse checks and cleanup, over both catalogs.

Events come through the query service's in-memory feed: the embedded process hands the
attachments service the query service's feed, so the shapes must fit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ticketing_attachments.adapters.blobs_memory import InMemoryBlobStore
from ticketing_attachments.adapters.catalog_memory import InMemoryCatalog
from ticketing_attachments.adapters.catalog_sqlite import SqliteCatalog
from ticketing_attachments.application.attachments import Attachments, UploadPolicy
from ticketing_attachments.application.inspection import DEFAULT_ALLOWED
from ticketing_attachments.application.ports import AttachmentCatalog
from ticketing_attachments.application.references import ReferenceConsumer
from ticketing_attachments.domain import Caller
from ticketing_feed import EventIn, FeedBatch
from ticketing_feed.memory import InMemoryFeed
from ticketing_feed.subscription import Subscription

from tests.typed_events import event_in

from . import samples

T0 = datetime(2025, 6, 20, 10, 35, tzinfo=UTC)
TICKET = "a" * 32
OTHER_TICKET = "b" * 32
CUSTOMER = Caller("cust-1", "customer")
OTHER_CUSTOMER = Caller("cust-2", "customer")
REPRESENTATIVE = Caller("rep-1", "representative", customers=frozenset({"cust-1"}))
FINANCE_AGENT = Caller("agent-1", "agent", departments=frozenset({"finance"}))
TECHNICAL_AGENT = Caller("agent-2", "agent", departments=frozenset({"technical"}))
ADMIN = Caller("admin-1", "admin")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["memory", "sqlite"])
async def catalog(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AttachmentCatalog]:
    made: AttachmentCatalog = (
        InMemoryCatalog() if request.param == "memory" else SqliteCatalog(tmp_path / "a.db")
    )
    yield made
    await made.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(catalog: AttachmentCatalog, clock: Clock) -> Attachments:
    ids = iter(f"{n:032x}" for n in range(1, 1000))
    return Attachments(
        blobs=InMemoryBlobStore(),
        catalog=catalog,
        policy=UploadPolicy(max_bytes=10**6, allowed=DEFAULT_ALLOWED),
        clock=clock,
        new_id=lambda: next(ids),
    )


async def upload(
    service: Attachments, uploader: Caller, data: bytes = b"", brand: str = "acme"
) -> str:
    async def chunks() -> AsyncIterator[bytes]:
        yield data or samples.pdf()

    stored = await service.upload(
        brand_id=brand,
        uploader=uploader,
        filename="فیش واریزی.pdf",
        declared_type=None,
        chunks=chunks(),
    )
    return stored.attachment_id


def event(
    position: int, version: int, event_type: str, ticket: str = TICKET, **data: Any
) -> EventIn:
    full = samples.event_data(event_type, **data)
    if event_type == "TicketOpened":
        full.setdefault("ticket_id", ticket)
    return event_in(position, "acme", ticket, version, event_type, T0, "cust-1", "customer", full)


def opened(position: int, attachment_ids: list[str], ticket: str = TICKET, **more: Any) -> EventIn:
    fields = {"customer_id": "cust-1", "department": "finance", "attachment_ids": attachment_ids}
    return event(position, 1, "TicketOpened", ticket, **{**fields, **more})


def posted(position: int, version: int, attachment_ids: list[str], *, internal: bool) -> EventIn:
    return event(
        position, version, "MessagePosted", attachment_ids=attachment_ids, internal=internal
    )


async def deliver(catalog: AttachmentCatalog, *events: EventIn, twice: bool = True) -> None:
    consumer = ReferenceConsumer(catalog=catalog)
    batch = FeedBatch(list(events), max(e.position for e in events))
    await consumer.apply(batch)
    if twice:  # at-least-once: a redelivery must change nothing
        await ReferenceConsumer(catalog=catalog).apply(batch)


async def readers(service: Attachments, attachment_id: str) -> set[str]:
    everyone = [CUSTOMER, OTHER_CUSTOMER, REPRESENTATIVE, FINANCE_AGENT, TECHNICAL_AGENT, ADMIN]
    allowed = set()
    for caller in everyone:
        if await service.download(brand_id="acme", caller=caller, attachment_id=attachment_id):
            allowed.add(caller.user_id)
    return allowed


async def test_an_unreferenced_upload_is_readable_by_its_uploader_only(
    service: Attachments,
) -> None:
    receipt = await upload(service, CUSTOMER)
    assert await readers(service, receipt) == {"cust-1"}


async def test_an_attachment_on_an_opened_ticket_is_readable_by_whoever_sees_the_ticket(
    service: Attachments, catalog: AttachmentCatalog
) -> None:
    receipt = await upload(service, CUSTOMER)
    await deliver(catalog, opened(3, [receipt]))
    assert await readers(service, receipt) == {"cust-1", "rep-1", "agent-1", "admin-1"}
    assert await catalog.checkpoint() == 3


async def test_an_internal_note_attachment_is_never_shown_to_the_customer_side(
    service: Attachments, catalog: AttachmentCatalog
) -> None:
    note = await upload(service, FINANCE_AGENT)
    await deliver(catalog, opened(1, []), posted(2, 2, [note], internal=True))
    assert await readers(service, note) == {"agent-1", "admin-1"}


async def test_an_attachment_also_on_a_visible_reply_is_shown_to_the_customer_side(
    service: Attachments, catalog: AttachmentCatalog
) -> None:
    note = await upload(service, FINANCE_AGENT)
    await deliver(catalog, opened(1, []), posted(2, 2, [note], internal=True))
    await deliver(
        catalog, posted(3, 3, [note], internal=False), posted(4, 4, [note], internal=True)
    )
    assert "cust-1" in await readers(service, note)


async def test_a_transfer_moves_who_on_the_support_side_may_read(
    service: Attachments, catalog: AttachmentCatalog
) -> None:
    receipt = await upload(service, CUSTOMER)
    await deliver(catalog, opened(1, [receipt]))
    transfer = event(
        2, 2, "TicketTransferred", from_department="finance", to_department="technical"
    )
    await deliver(catalog, transfer)
    assert await readers(service, receipt) == {"cust-1", "rep-1", "agent-2", "admin-1"}
    # An old delivery of the opening does not move the ticket back.
    await deliver(catalog, opened(1, [receipt]))
    assert "agent-1" not in await readers(service, receipt)


async def test_other_brands_and_malformed_ids_find_nothing(service: Attachments) -> None:
    receipt = await upload(service, CUSTOMER)
    assert await service.download(brand_id="globex", caller=ADMIN, attachment_id=receipt) is None
    assert await service.download(brand_id="acme", caller=CUSTOMER, attachment_id="../x") is None


async def usable_by(service: Attachments, attachment_id: str) -> set[str]:
    everyone = [CUSTOMER, OTHER_CUSTOMER, REPRESENTATIVE, FINANCE_AGENT, TECHNICAL_AGENT, ADMIN]
    return {
        caller.user_id
        for caller in everyone
        if not await service.check_usable(
            brand_id="acme", caller=caller, attachment_ids=[attachment_id]
        )
    }


async def test_customers_may_name_only_their_own_uploads_and_nothing_of_another_brand(
    service: Attachments,
) -> None:
    mine = await upload(service, CUSTOMER)
    theirs = await upload(service, OTHER_CUSTOMER)
    elsewhere = await upload(service, CUSTOMER, brand="globex")
    assert await service.check_usable(brand_id="acme", caller=CUSTOMER, attachment_ids=[mine]) == []
    errors = await service.check_usable(
        brand_id="acme", caller=CUSTOMER, attachment_ids=[mine, theirs, elsewhere, "x"]
    )
    assert [field for field, _ in errors] == ["attachment_ids"] * 3


async def test_an_unreferenced_upload_may_be_named_by_its_uploader_only_whatever_the_role(
    service: Attachments,
) -> None:
    receipt = await upload(service, CUSTOMER)
    assert await usable_by(service, receipt) == {"cust-1"}
    agents_own = await upload(service, TECHNICAL_AGENT)
    assert await usable_by(service, agents_own) == {"agent-2"}


@pytest.mark.parametrize(
    ("internal", "expected"),
    [
        (False, {"cust-1", "rep-1", "agent-1", "admin-1"}),
        (True, {"agent-1", "admin-1"}),  # and the uploader, the technical agent
    ],
    ids=["visible message", "internal note"],
)
async def test_who_may_name_an_attachment_is_who_may_download_it(
    service: Attachments, catalog: AttachmentCatalog, internal: bool, expected: set[str]
) -> None:
    attachment = await upload(service, TECHNICAL_AGENT)
    await deliver(catalog, opened(1, []), posted(2, 2, [attachment], internal=internal))
    assert await usable_by(service, attachment) == expected | {"agent-2"}
    assert await usable_by(service, attachment) == await readers(service, attachment)


async def test_describe_gives_what_a_message_lists(service: Attachments) -> None:
    receipt = await upload(service, CUSTOMER)
    described = await service.describe("acme", [receipt, "f" * 32])
    assert described == {
        receipt: {
            "attachment_id": receipt,
            "filename": "فیش واریزی.pdf",
            "content_type": "application/pdf",
            "size": len(samples.pdf()),
        }
    }


async def test_cleanup_deletes_only_old_unreferenced_uploads(
    service: Attachments, catalog: AttachmentCatalog, clock: Clock
) -> None:
    old_unused = await upload(service, CUSTOMER)
    old_used = await upload(service, CUSTOMER)
    await deliver(catalog, opened(1, [old_used]))
    clock.now = T0 + timedelta(hours=23)
    recent = await upload(service, CUSTOMER)
    assert await service.cleanup() == 0
    clock.now = T0 + timedelta(hours=24, seconds=1)
    assert await service.cleanup() == 1
    assert await catalog.get("acme", old_unused) is None
    assert not await service.blobs.exists(f"acme/{old_unused}")
    assert await catalog.get("acme", old_used) is not None
    assert await catalog.get("acme", recent) is not None


async def test_an_upload_about_to_expire_may_no_longer_be_put_on_a_message(
    service: Attachments, clock: Clock
) -> None:
    receipt = await upload(service, CUSTOMER)
    clock.now = T0 + timedelta(hours=23, minutes=55)
    errors = await service.check_usable(brand_id="acme", caller=CUSTOMER, attachment_ids=[receipt])
    assert len(errors) == 1
    assert "expired" in errors[0][1]


async def test_the_consumer_resumes_after_its_checkpoint(catalog: AttachmentCatalog) -> None:
    feed = InMemoryFeed([opened(1, []), opened(2, [], OTHER_TICKET)])
    await deliver(catalog, opened(1, []), twice=False)
    consumer = _Recording(ReferenceConsumer(catalog=catalog))
    subscription = Subscription(name="references", feed=feed, handler=consumer)
    subscription.start()
    try:
        assert await subscription.wait_for(2, timeout=2)
    finally:
        await subscription.stop()
    assert consumer.seen == [2]
    assert await subscription.caught_up()


class _Recording:
    """The reference consumer, noting the positions it is given."""

    def __init__(self, consumer: ReferenceConsumer) -> None:
        self.consumer = consumer
        self.seen: list[int] = []

    async def checkpoint(self) -> int:
        return await self.consumer.checkpoint()

    async def apply(self, batch: FeedBatch) -> None:
        self.seen.extend(e.position for e in batch.events)
        await self.consumer.apply(batch)


async def test_a_ticket_transferred_away_and_back_in_later_batches_ends_where_it_went_last(
    service: Attachments, catalog: AttachmentCatalog
) -> None:
    receipt = await upload(service, CUSTOMER)
    await deliver(catalog, opened(1, [receipt]), posted(2, 2, [], internal=False))
    away = event(3, 3, "TicketTransferred", from_department="finance", to_department="technical")
    back = event(4, 4, "TicketTransferred", from_department="technical", to_department="finance")
    await deliver(catalog, away)
    await deliver(catalog, back)
    await deliver(catalog, away)  # an old transfer delivered again moves nothing

    readers_now = await readers(service, receipt)
    assert "agent-1" in readers_now
    assert "agent-2" not in readers_now
