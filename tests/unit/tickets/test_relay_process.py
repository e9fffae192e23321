"""The relay process's pieces: its settings, its wiring, and its ops app (/healthz, /readyz,
/metrics) around a relay on the in-memory store and a fake publisher."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from ticketing_eventstore.memory import InMemoryEventStore
from ticketing_tickets.adapters.relay_checkpoint_file import FileRelayCheckpoint
from ticketing_tickets.adapters.relay_checkpoint_memory import InMemoryRelayCheckpoint
from ticketing_tickets.application.relay import Relay, RelayOptions
from ticketing_tickets.relay import (
    RelayProcess,
    RelaySettings,
    build_relay_process,
    create_ops_app,
)

from tests.relay_samples import new_ticket_id, stream_of, ticket_story

from .test_relay import FakePublisher, wait_until


def test_settings_come_from_ticketing_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TICKETING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TICKETING_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    monkeypatch.setenv("TICKETING_KAFKA_PARTITIONS", "12")
    monkeypatch.setenv("TICKETING_RELAY_MARKER_INTERVAL_MS", "250")
    monkeypatch.setenv("TICKETING_JWT_SECRET", "not needed by the relay, and not refused")
    settings = RelaySettings()
    assert settings.kafka_topic == "tickets.events.v1"
    assert settings.kafka_dead_letter_topic == "tickets.events.v1.dlq"
    assert (settings.kafka_partitions, settings.relay_marker_interval_ms) == (12, 250)
    assert settings.port == 8005
    assert settings.resolved_event_store_url() == f"sqlite:///{tmp_path / 'events.db'}"
    assert settings.checkpoint_path() == tmp_path / "relay.checkpoint"


def test_settings_refuse_a_compression_kafka_does_not_know(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TICKETING_RELAY_COMPRESSION", "brotli")
    with pytest.raises(ValidationError):
        RelaySettings()


async def test_the_relay_needs_a_kafka_address(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="TICKETING_KAFKA_BOOTSTRAP"):
        build_relay_process(RelaySettings(data_dir=tmp_path, kafka_bootstrap=""))


async def test_the_process_keeps_its_checkpoint_in_the_data_dir(tmp_path: Path) -> None:
    settings = RelaySettings(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:9", port=8005)
    process = build_relay_process(settings, store=InMemoryEventStore())
    checkpoint = process.relay._checkpoint
    assert isinstance(checkpoint, FileRelayCheckpoint)
    assert checkpoint.path == tmp_path / "relay.checkpoint"
    await process.store.close()


class Ops:
    def __init__(self) -> None:
        self.store = InMemoryEventStore()
        self.publisher = FakePublisher()
        self.checkpoint = InMemoryRelayCheckpoint()
        relay = Relay(
            store=self.store,
            publisher=self.publisher,
            checkpoint=self.checkpoint,
            options=RelayOptions(marker_interval=0.05, retry_initial=0.01, retry_max=0.02),
        )
        self.process = RelayProcess(relay, self.store)
        self.ended: list[bool] = []
        self.app: FastAPI = create_ops_app(self.process, on_end=self.ended.append)


@pytest.fixture
async def ops() -> AsyncIterator[tuple[Ops, httpx.AsyncClient]]:
    ops = Ops()
    async with ops.app.router.lifespan_context(ops.app):
        transport = httpx.ASGITransport(app=ops.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://relay") as client:
            yield ops, client


async def test_ready_once_the_relay_publishes(ops: tuple[Ops, httpx.AsyncClient]) -> None:
    state, client = ops
    assert (await client.get("/healthz")).status_code == 200
    await wait_until(lambda: state.publisher.started)
    ticket = new_ticket_id()
    await state.store.append(stream_of(ticket), ticket_story(ticket, 2), expected_version=0)
    await wait_until(lambda: state.checkpoint.saves[-1:] == [3])

    assert (await client.get("/readyz")).json() == {"status": "ready"}
    metrics = (await client.get("/metrics")).text
    assert "relay_position 3.0" in metrics
    assert "relay_events_total 3.0" in metrics


async def test_not_ready_while_kafka_cannot_be_reached() -> None:
    state = Ops()
    state.publisher.start_failures = 10_000
    async with state.app.router.lifespan_context(state.app):
        transport = httpx.ASGITransport(app=state.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://relay") as client:
            await wait_until(lambda: state.publisher.starts >= 3)
            response = await client.get("/readyz")
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            assert (await client.get("/healthz")).status_code == 200


async def test_a_relay_that_ends_on_its_own_is_reported_so_the_process_exits() -> None:
    state = Ops()
    async with state.app.router.lifespan_context(state.app):
        await wait_until(lambda: state.publisher.started)
        await state.store.close()  # the store goes away under the relay
        await wait_until(lambda: state.ended == [False])
    assert state.ended == [False]


async def test_a_stop_is_not_reported_as_an_end() -> None:
    state = Ops()
    async with state.app.router.lifespan_context(state.app):
        await wait_until(lambda: state.publisher.started)
    await asyncio.sleep(0.05)
    assert state.ended == []
    assert state.publisher.closes >= 1
