"""`python -m ticketing_tickets.relay`: the relay process (event store → Kafka) with its ops
endpoints (/healthz, /readyz, /metrics) on TICKETING_PORT (default 8005).

Exactly one relay runs per deployment. SIGTERM/SIGINT: the batch in hand is finished and
acknowledged, the checkpoint saved, the producer flushed and closed. Kafka down at start or
mid-run is waited out with backoff; the process exits (non-zero) only if the relay cannot run
at all (an unreadable checkpoint) or its store closes under it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import structlog
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import Field
from ticketing_eventstore import open_event_store
from ticketing_eventstore.ports import EventStore
from ticketing_feed.kafka_settings import KafkaSettings
from ticketing_web.observability import configure_logging
from ticketing_web.problems import problem
from ticketing_web.serve import STARTUP_FAILURE, ListenSettings, inherited_sockets

from .adapters.relay_checkpoint_file import FileRelayCheckpoint
from .adapters.relay_kafka import KafkaEventPublisher, ProducerOptions, TopicSpec
from .application.relay import Relay, RelayOptions

_log = structlog.get_logger("ticketing.relay")

#: How long a stop waits for the batch in hand and the final checkpoint before cancelling.
STOP_GRACE_SECONDS = 10.0


class RelaySettings(KafkaSettings):
    """TICKETING_* settings of the relay process (Kafka ones from KafkaSettings)."""

    data_dir: Path = Path("var")
    #: `sqlite:///path.db`, `kurrentdb://host:2113?tls=false`, `memory://`; empty =
    #: `<data_dir>/events.db`.
    event_store_url: str = ""
    #: Markers move consumers' positions: X-Min-Position waits for one (6 records per period).
    relay_marker_interval_ms: int = Field(default=50, ge=10, le=600_000)
    #: How often the relay looks for events the tickets service appended to an SQLite store (a
    #: read of the newest rows: next to nothing; KurrentDB pushes them instead).
    relay_store_poll_ms: int = Field(default=20, ge=1, le=60_000)
    relay_batch_size: int = Field(default=1000, ge=1, le=100_000)
    relay_compression: Literal["", "gzip", "snappy", "lz4", "zstd"] = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8005, ge=1, le=65535)
    log_level: str = "INFO"

    def resolved_event_store_url(self) -> str:
        return self.event_store_url or f"sqlite:///{self.data_dir / 'events.db'}"

    def checkpoint_path(self) -> Path:
        return self.data_dir / "relay.checkpoint"


@dataclass
class RelayProcess:
    """The relay and its store, run in the background of the ops app."""

    relay: Relay
    store: EventStore
    task: asyncio.Task[None] | None = field(default=None, init=False)
    closing: bool = field(default=False, init=False)

    def start(self, on_end: Callable[[bool], None] = lambda failed: None) -> None:
        """Run the relay; `on_end(failed)` is told if it ends without being asked to."""
        task = asyncio.create_task(self.relay.run(), name="relay")
        self.task = task

        def ended(done: asyncio.Task[None]) -> None:
            if self.closing or done.cancelled():
                return
            error = done.exception()
            if error is not None:
                _log.error("relay_failed", error=f"{type(error).__name__}: {error}")
            on_end(error is not None)

        task.add_done_callback(ended)

    async def close(self) -> None:
        """Stop the relay (finishing the batch in hand), then close the store."""
        self.closing = True
        self.relay.stop()
        if self.task is not None:
            done, _ = await asyncio.wait({self.task}, timeout=STOP_GRACE_SECONDS)
            if not done:  # stuck on an unreachable broker: what was acknowledged is saved
                self.task.cancel()
                await asyncio.wait({self.task}, timeout=STOP_GRACE_SECONDS)
        await self.store.close()

    async def ready(self) -> bool:
        return self.task is not None and not self.task.done() and await self.relay.ready()


def build_relay_process(
    settings: RelaySettings, *, store: EventStore | None = None
) -> RelayProcess:
    """The relay wired to Kafka, a checkpoint file in the data dir and the configured store."""
    if not settings.kafka_bootstrap:
        raise ValueError("the relay needs TICKETING_KAFKA_BOOTSTRAP (host:port of Kafka)")
    store = store or open_event_store(
        settings.resolved_event_store_url(), poll_interval=settings.relay_store_poll_ms / 1000
    )
    publisher = KafkaEventPublisher(
        bootstrap=settings.kafka_bootstrap,
        topic=TopicSpec(
            settings.kafka_topic, settings.kafka_partitions, settings.kafka_replication_factor
        ),
        also_create=[
            TopicSpec(
                settings.kafka_dead_letter_topic,
                settings.kafka_partitions,
                settings.kafka_replication_factor,
            )
        ],
        options=ProducerOptions(compression=settings.relay_compression or None),
    )
    relay = Relay(
        store=store,
        publisher=publisher,
        checkpoint=FileRelayCheckpoint(settings.checkpoint_path()),
        options=RelayOptions(
            marker_interval=settings.relay_marker_interval_ms / 1000,
            batch_size=settings.relay_batch_size,
        ),
    )
    return RelayProcess(relay, store)


def create_ops_app(process: RelayProcess, *, on_end: Callable[[bool], None]) -> FastAPI:
    """Health, readiness and metrics; the relay runs for the app's lifetime."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        process.start(on_end)
        try:
            yield
        finally:
            await process.close()

    # redirect_slashes: never a redirect built from the client's Host header.
    app = FastAPI(title="Ticket relay", version="1", lifespan=lifespan, redirect_slashes=False)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], response_model=None)
    async def readyz() -> dict[str, str] | Response:
        """Readiness: the relay runs, its store answers and Kafka does."""
        if await process.ready():
            return {"status": "ready"}
        return problem(503, "The event store or Kafka is not ready.", headers={"Retry-After": "1"})

    @app.get("/metrics", tags=["ops"], response_class=Response)
    async def metrics() -> Response:
        """Prometheus text exposition."""
        registry = process.relay.metrics.registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


def main() -> None:
    import uvicorn  # only the process that serves needs it

    settings = RelaySettings()
    configure_logging(settings.log_level)
    process = build_relay_process(settings)
    failed = False

    def on_end(relay_failed: bool) -> None:
        # The relay ended without being asked to: stop serving, so the process exits and its
        # supervisor restarts it.
        nonlocal failed
        failed = True
        server.should_exit = True
        _log.error("relay_ended", failed=relay_failed)

    app = create_ops_app(process, on_end=on_end)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    # A supervisor may hand over its listening socket (TICKETING_LISTEN_FD): serve on that.
    server.run(sockets=inherited_sockets(ListenSettings()))
    if not server.started and not failed:
        sys.exit(STARTUP_FAILURE)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
