"""Adapters of the event store port, each run through the one contract suite.

A new adapter is one entry in ADAPTERS: how to make a store in a scratch directory, whether it
is durable, how to hold its writes back for a moment (for the group-commit test), and where it
differs on purpose. A real engine's entry carries `marks=pytest.mark.integration`.

KurrentDB: the server at KURRENTDB_URL (tests/engines.py); else, where a container engine
answers, one started with testcontainers for the session (image: KURRENTDB_IMAGE, default the
one deploy/compose.yaml runs); else the tests are skipped, or fail when CI requires the engine.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from ticketing_eventstore import EventStore
from ticketing_eventstore.kurrentdb import KurrentDBEventStore
from ticketing_eventstore.memory import InMemoryEventStore
from ticketing_eventstore.sqlite import SqliteEventStore

from tests import engines

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

HoldWrites = Callable[[Path], contextlib.AbstractAsyncContextManager[None]]


@contextlib.asynccontextmanager
async def _nothing_to_hold(_: Path) -> AsyncIterator[None]:
    yield


@contextlib.asynccontextmanager
async def _hold_sqlite_write_lock(directory: Path) -> AsyncIterator[None]:
    """Take the file's write lock from another connection: appends queue up behind it and
    reach the writer together, as one batch, when it is released."""
    blocker = sqlite3.connect(directory / "events.db", isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        yield
        blocker.execute("ROLLBACK")
    finally:
        blocker.close()


NO_KURRENTDB = "no KurrentDB reachable: set KURRENTDB_URL or run where a container engine exists"
KURRENTDB_IMAGE = os.environ.get("KURRENTDB_IMAGE", "kurrentplatform/kurrentdb:26.1.2")
KURRENTDB_START_SECONDS = 120


class KurrentDBServer:
    """The KurrentDB the suite runs against, found or started once per session."""

    def __init__(self) -> None:
        self._container: DockerContainer | None = None
        self._url: str | None = None
        self._looked = False
        self._broken: str | None = None

    def url(self) -> str:
        if engines.setting("KURRENTDB_URL"):
            return engines.kurrentdb_url()
        if not self._looked:
            self._looked = True
            self._start()
        if self._url is not None:
            return self._url
        if self._broken is not None:
            pytest.fail(self._broken)
        if "kurrentdb" in engines.required():
            pytest.fail(f"kurrentdb is required (TICKETING_REQUIRE_ENGINES): {NO_KURRENTDB}")
        pytest.skip(NO_KURRENTDB)

    def _start(self) -> None:
        if not _container_engine_answers():
            return
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.wait_strategies import HttpWaitStrategy

        self._container = (
            DockerContainer(KURRENTDB_IMAGE)
            .with_envs(
                KURRENTDB_CLUSTER_SIZE="1",
                KURRENTDB_INSECURE="true",  # no TLS, no users: the URL says tls=false
                KURRENTDB_MEM_DB="true",
                KURRENTDB_RUN_PROJECTIONS="None",
                KURRENTDB_TELEMETRY_OPTOUT="true",
            )
            .with_exposed_ports(2113)
            .waiting_for(
                HttpWaitStrategy(2113, "/health/live")
                .for_status_code(204)
                .with_startup_timeout(KURRENTDB_START_SECONDS)
            )
        )
        try:
            self._container.start()
            host = self._container.get_container_host_ip()
            url = f"kurrentdb://{host}:{self._container.get_exposed_port(2113)}?tls=false"
            _wait_until_it_answers(url)
        except Exception as error:  # then every KurrentDB test fails with this reason
            self._broken = f"the KurrentDB container did not start: {error!r}"
            self.stop()
            return
        self._url = url

    def stop(self) -> None:
        container, self._container = self._container, None
        if container is not None:
            container.stop()


def _container_engine_answers() -> bool:
    import docker
    from docker.errors import DockerException

    try:
        docker.from_env().ping()
    except DockerException:  # a client with no daemon (as here), or no engine at all
        return False
    return True


def _wait_until_it_answers(url: str) -> None:
    """Until a read of $all works: "live" over HTTP comes before the node leads over gRPC."""
    from kurrentdbclient import KurrentDBClient

    deadline = time.monotonic() + KURRENTDB_START_SECONDS
    client = KurrentDBClient(url)
    try:
        while True:
            try:
                client.get_commit_position()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        client.close()


KURRENTDB = KurrentDBServer()


@pytest.fixture(scope="session", autouse=True)
def _stop_kurrentdb_container() -> Iterator[None]:
    yield
    KURRENTDB.stop()


@dataclass(frozen=True)
class Adapter:
    """How the contract suite makes and handles one adapter's stores, and where it differs."""

    make: Callable[[Path], EventStore]
    durable: bool = False
    hold_writes: HoldWrites = _nothing_to_hold
    #: Positions go 1, 2, 3 in commit order. False: sparse but strictly increasing (KurrentDB's
    #: commit positions), so the suite checks order, not arithmetic.
    contiguous_positions: bool = True
    #: An event id stored anywhere is refused with DuplicateEventId. False: only repeating an
    #: append (same ids, same expected version) is recognised, as an idempotent success that
    #: writes nothing (KurrentDB: see ticketing_eventstore.kurrentdb).
    rejects_stored_event_ids: bool = True
    marks: tuple[pytest.MarkDecorator, ...] = ()


ADAPTERS = {
    "memory": Adapter(make=lambda _: InMemoryEventStore()),
    "sqlite": Adapter(
        make=lambda directory: SqliteEventStore(directory / "events.db"),
        durable=True,
        hold_writes=_hold_sqlite_write_lock,
    ),
    # One server for the whole session: every test writes to streams of its own.
    "kurrentdb": Adapter(
        make=lambda _: KurrentDBEventStore(KURRENTDB.url()),
        durable=True,
        contiguous_positions=False,
        rejects_stored_event_ids=False,
        marks=(pytest.mark.integration,),
    ),
}


@pytest.fixture(params=[pytest.param(name, id=name, marks=a.marks) for name, a in ADAPTERS.items()])
def adapter(request: pytest.FixtureRequest) -> Adapter:
    return ADAPTERS[request.param]


@pytest.fixture
async def store(adapter: Adapter, tmp_path: Path) -> AsyncIterator[EventStore]:
    event_store = adapter.make(tmp_path)
    yield event_store
    await event_store.close()
