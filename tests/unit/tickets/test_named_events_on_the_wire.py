"""The events a person names go out at their new schema version on every path (the store's
metadata, KurrentDB's records, Kafka's headers) and every consumer reads old ones, upcast."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import kurrentdbclient as kdb
from ticketing_contracts import MessagePosted, TicketClosed
from ticketing_contracts.catalog import BrandCatalogs
from ticketing_contracts.kafka_wire import decode_envelope, encode_event, header
from ticketing_contracts.stored import envelope_from_stored
from ticketing_eventstore import NewEvent
from ticketing_eventstore._kurrentdb_mapping import to_new_event, to_recorded
from ticketing_eventstore.memory import InMemoryEventStore
from ticketing_eventstore.ports import RecordedEvent
from ticketing_feed.envelopes import event_from_envelope
from ticketing_tickets.adapters.attachments_unavailable import NoAttachments
from ticketing_tickets.application.commands import Caller, CloseTicket, OpenTicket, PostMessage
from ticketing_tickets.application.handlers import TicketHandlers
from ticketing_tickets.bootstrap import random_digits
from ticketing_tickets.domain import Actor, Role

NOW = datetime(2025, 6, 20, 10, 35, tzinfo=UTC)
MARYAM = Caller("acme", Actor("cust-1", Role.CUSTOMER, name="مریم رضایی"), correlation_id="r1")
NAMELESS_AGENT = Caller("acme", Actor("agent-1", Role.AGENT), correlation_id="r2")


async def _story() -> InMemoryEventStore:
    store = InMemoryEventStore()
    handlers = TicketHandlers(
        store=store,
        catalogs=BrandCatalogs(),
        attachments=NoAttachments(),
        clock=lambda: NOW,
        new_id=lambda: uuid.uuid4().hex,
        random_digits=random_digits,
    )
    opened = await handlers.open_ticket(
        MARYAM,
        OpenTicket(
            title="خطا در ارسال پیامک انبوه",
            department="technical",
            priority="high",
            body="از صبح پیامک‌ها ارسال نمی‌شوند.",
        ),
    )
    await handlers.post_message(
        NAMELESS_AGENT, PostMessage(opened.ticket_id, body="در حال بررسی هستیم.")
    )
    await handlers.close_ticket(MARYAM, CloseTicket(opened.ticket_id, reason="حل شد"))
    return store


async def _ticket_records(store: InMemoryEventStore) -> list[RecordedEvent]:
    return await store.read_all(after=0, limit=100, stream_prefix="ticket-")


async def test_the_tickets_service_writes_names_at_schema_version_two() -> None:
    store = await _story()
    records = await _ticket_records(store)
    written = {r.event_type: (r.metadata["schema_version"], dict(r.data)) for r in records}
    assert written["TicketOpened"][0] == 2
    assert written["TicketOpened"][1]["opened_by_name"] == "مریم رضایی"
    assert written["MessagePosted"][0] == 2
    assert written["MessagePosted"][1]["author_name"] is None  # no `name` claim
    assert written["TicketClosed"] == (2, {"reason": "حل شد", "closed_by_name": "مریم رضایی"})


async def test_kafka_records_name_the_new_version_and_a_consumer_reads_the_name_back() -> None:
    store = await _story()
    records = await _ticket_records(store)
    closed = next(r for r in records if r.event_type == "TicketClosed")
    record = encode_event(envelope_from_stored(closed))
    assert header(record.headers, "ce_type") == b"ir.ticketing.tickets.TicketClosed.v2"
    assert header(record.headers, "ce_schemaversion") == b"2"
    event = event_from_envelope(decode_envelope(record.value))
    assert event.event == TicketClosed(reason="حل شد", closed_by_name="مریم رضایی")


def test_a_v1_record_still_on_the_topic_is_read_with_a_null_name() -> None:
    old: dict[str, Any] = {
        "event_id": "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
        "event_type": "MessagePosted",
        "schema_version": 1,
        "stream_id": "ticket-acme-3f2b9c0e8d4a4f1b9e6c7a5d2b1e0f47",
        "stream_version": 2,
        "position": 7,
        "occurred_at": "2025-06-20T10:40:00Z",
        "brand_id": "acme",
        "actor": {"id": "agent-1", "role": "agent"},
        "correlation_id": "r3",
        "causation_id": None,
        "data": {
            "message_id": "m2",
            "body": "مشکل برطرف شد.",
            "attachment_ids": [],
            "internal": False,
            "follow_up": False,
            "author_side": "agent",
        },
    }
    event = event_from_envelope(decode_envelope(encode_event(old).value))
    assert isinstance(event.event, MessagePosted)
    assert event.event.author_name is None
    assert event.event.body == "مشکل برطرف شد."


async def test_kurrentdb_keeps_the_schema_version_in_the_events_metadata() -> None:
    store = await _story()
    records = await _ticket_records(store)
    opened = next(r for r in records if r.event_type == "TicketOpened")
    sent = to_new_event(NewEvent(opened.event_id, opened.event_type, opened.data, opened.metadata))
    stored = kdb.RecordedEvent(
        type=sent.type,
        data=sent.data,
        metadata=sent.metadata,
        content_type=sent.content_type,
        stream_name=opened.stream_id,
        stream_position=0,
        commit_position=100,
        prepare_position=100,
        id=sent.id,
        recorded_at=NOW,
    )
    back = to_recorded(stored)
    assert back is not None
    envelope = envelope_from_stored(back)
    assert envelope["schema_version"] == 2
    assert envelope["data"]["opened_by_name"] == "مریم رضایی"
