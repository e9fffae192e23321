"""open_event_store chooses the adapter by URL (TICKETING_EVENT_STORE_URL) and does no IO."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from ticketing_eventstore import NewEvent, open_event_store
from ticketing_eventstore.kurrentdb import KurrentDBEventStore
from ticketing_eventstore.memory import InMemoryEventStore
from ticketing_eventstore.sqlite import SqliteEventStore


async def test_an_sqlite_url_opens_that_file(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    store = open_event_store(f"sqlite:///{path}", synchronous="NORMAL")
    assert isinstance(store, SqliteEventStore)
    event = NewEvent(str(uuid.uuid4()), "TicketOpened", {"title": "درگاه پرداخت خطا می‌دهد"})
    await store.append("ticket-acme-1", [event], expected_version=0)
    await store.close()
    assert path.is_file()


def test_a_memory_url_makes_an_in_memory_store() -> None:
    assert isinstance(open_event_store("memory://"), InMemoryEventStore)


@pytest.mark.parametrize(
    "url",
    [
        "kurrentdb://127.0.0.1:2113?tls=false",
        "esdb://127.0.0.1:2113?tls=false",
        "kurrentdb+discover://cluster.example.internal:2113?tls=false",
        "kurrentdb://admin:changeit@node1:2113,node2:2113,node3:2113",
    ],
)
def test_kurrentdb_urls_go_to_the_client_as_they_are_without_connecting(url: str) -> None:
    store = open_event_store(url)
    assert isinstance(store, KurrentDBEventStore)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("events.db", "no scheme"),
        ("sqlite://events.db", "three slashes"),
        ("sqlite:///", "three slashes and a path"),
        ("memory://elsewhere", "just memory://"),
        ("postgres://db/events", "unsupported"),
        ("kurrentdb://127.0.0.1:2113?tls=maybe", "not one of"),
        ("kurrentdb://127.0.0.1:2113", "Username and password are required"),  # TLS by default
    ],
)
def test_other_urls_are_refused(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        open_event_store(url)


def test_a_refused_url_never_shows_its_password() -> None:
    with pytest.raises(ValueError, match="No targets") as raised:
        open_event_store("kurrentdb://admin:s3cr3t-pass@")
    assert "s3cr3t-pass" not in str(raised.value)
    assert "admin:***@" in str(raised.value)
    assert (raised.value.__cause__, raised.value.__context__) == (None, None)
