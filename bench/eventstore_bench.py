"""Event store append throughput: our SqliteEventStore vs raw SQLite vs the eventsourcing library.

Same machine, same durability (WAL, synchronous=FULL), same disk (a temp dir, or BENCH_TMPDIR),
same row shape (~250 bytes of JSON data + ~110 of metadata), same SQLite settings (the raw
connection also checkpoints every 4000 WAL pages, as the store's writer does).

Fair between a and b: both get the same inputs, built before the clock starts (an event id, a
metadata dict with its own correlation id, per event). The clock then charges a with everything
the store does to turn a `NewEvent` into a row (JSON encoding included) and b with nothing but
SQLite: b's rows are pre-encoded, which favours b, not us.

a. `SqliteEventStore`: 64 asyncio tasks, each appending one event per command to its own stream
   with the expected version; events/s and per-append latency.
b. raw SQLite: the same rows inserted by executemany in transactions of 100, same table and
   indexes: the ceiling for a Python writer (a should reach at least half of it).
c. `eventsourcing` 9.x with `eventsourcing.sqlite`: 64 threads, one aggregate each, one event per
   `Application.save` (it is synchronous, one transaction per save).

Run alone: `.venv/bin/python -m bench.eventstore_bench`. `run()` returns the figures as a dict.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from ticketing_eventstore import NewEvent
from ticketing_eventstore.sqlite import SqliteEventStore

WRITERS = 64
EVENTS_PER_WRITER = 300
RAW_BATCH = 100
ROUNDS = 3
#: eventsourcing is ~5x slower: fewer events keep the whole run under a minute.
LIBRARY_EVENTS_PER_WRITER = 100

BODY = "سلام، پنل پیامکی من از دیروز پیامک ارسال نمی‌کند و مشتریان کد تایید دریافت نمی‌کنند."
DATA = {"body": BODY, "channel": "web", "attachment_ids": [], "priority": "high"}
METADATA = {"brand_id": "acme", "actor": {"id": "customer-17", "role": "customer"}}
INSERT = (
    "INSERT INTO events (stream_id, stream_version, event_id, event_type, data, metadata,"
    " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _metadata() -> dict[str, Any]:
    return {**METADATA, "correlation_id": str(uuid.uuid4())}


def _percentiles(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100)
    return {"p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000}


def _new_events(writers: int, per_writer: int) -> list[list[NewEvent]]:
    """Each writer's events, built before the clock starts: a and b get the same inputs."""
    return [
        [NewEvent(str(uuid.uuid4()), "MessagePosted", DATA, _metadata()) for _ in range(per_writer)]
        for _ in range(writers)
    ]


async def _ours(path: Path, writers: int, per_writer: int) -> dict[str, Any]:
    latencies: list[float] = []
    events = _new_events(writers, per_writer)
    async with SqliteEventStore(path, synchronous="FULL") as store:

        async def writer(n: int) -> None:
            stream, version = f"ticket-acme-{n:04d}", 0
            for event in events[n]:
                started = time.perf_counter()
                result = await store.append(stream, [event], expected_version=version)
                latencies.append(time.perf_counter() - started)
                version = result.version

        started = time.perf_counter()
        await asyncio.gather(*(writer(n) for n in range(writers)))
        elapsed = time.perf_counter() - started
        assert await store.head_position() == writers * per_writer
    return {"events": len(latencies), "events_per_s": len(latencies) / elapsed} | _percentiles(
        latencies
    )


def _raw(path: Path, writers: int, per_writer: int) -> dict[str, Any]:
    asyncio.run(_create(path))
    recorded_at = "2025-03-21T08:30:00+00:00"
    events = _new_events(writers, per_writer)
    # Interleaved as a's rows arrive: one event of each stream, then the next of each.
    rows = [
        (
            f"ticket-acme-{n:04d}",
            version + 1,
            event.event_id,
            event.event_type,
            _compact(event.data),
            _compact(event.metadata),
            recorded_at,
        )
        for version in range(per_writer)
        for n, event in ((n, events[n][version]) for n in range(writers))
    ]
    total = len(rows)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA wal_autocheckpoint=4000")  # as the store's writer: the same for both
    started = time.perf_counter()
    for offset in range(0, total, RAW_BATCH):
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(INSERT, rows[offset : offset + RAW_BATCH])
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return {
        "rows": total,
        "rows_per_s": total / elapsed,
        "row_bytes": len((rows[0][4] + rows[0][5]).encode()),
    }


async def _create(path: Path) -> None:
    """The same table and indexes as the store's, made by the store itself."""
    async with SqliteEventStore(path):
        pass


class Ticket(Aggregate):
    """The eventsourcing library's version of our ticket stream, for workload c."""

    @event("Opened")
    def __init__(self, title: str) -> None:
        self.title = title

    @event("MessagePosted")
    def post_message(self, body: str, channel: str, priority: str, meta: dict[str, Any]) -> None:
        pass


def _eventsourcing(path: Path, writers: int, per_writer: int) -> dict[str, Any]:
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": "30",
    }
    app: Application[Any] = Application(env=env)
    datastore = app.factory.datastore  # type: ignore[attr-defined]
    probe = datastore.pool.get_connection()
    pragmas = {
        name: probe._sqlite_conn.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "synchronous")
    }
    datastore.pool.put_connection(probe)
    tickets = [Ticket(title=BODY) for _ in range(writers)]
    app.save(*tickets)
    latencies: list[float] = []

    def writer(ticket: Ticket) -> None:
        for _ in range(per_writer):
            ticket.post_message(body=BODY, channel="web", priority="high", meta=_metadata())
            started = time.perf_counter()
            app.save(ticket)  # appends at the aggregate's next version, or fails
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=writers) as pool:
        list(pool.map(writer, tickets))
    elapsed = time.perf_counter() - started
    state = app.recorder.select_notifications(start=writers + 1, limit=1)[0].state  # type: ignore[attr-defined]
    app.close()
    return {
        "events": len(latencies),
        "events_per_s": len(latencies) / elapsed,
        "stored_event_bytes": len(state),
        "journal_mode": pragmas["journal_mode"],
        "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[pragmas["synchronous"]],
    } | _percentiles(latencies)


def run(
    writers: int = WRITERS, per_writer: int = EVENTS_PER_WRITER, rounds: int = ROUNDS
) -> dict[str, Any]:
    """Run a, b and c `rounds` times, interleaved, each in a fresh file; return the medians.

    Interleaved rounds and medians because fsync time on a shared disk drifts from one second
    to the next: a ratio of two runs minutes apart can be off by half.
    """
    samples: dict[str, list[dict[str, Any]]] = {"ours": [], "raw": [], "library": []}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMPDIR")) as scratch:
        for n in range(rounds):
            directory = Path(scratch) / str(n)
            directory.mkdir()
            samples["ours"].append(asyncio.run(_ours(directory / "ours.db", writers, per_writer)))
            samples["raw"].append(_raw(directory / "raw.db", writers, per_writer))
            samples["library"].append(
                _eventsourcing(directory / "library.db", writers, LIBRARY_EVENTS_PER_WRITER)
            )
    ours, raw, library = (_median(samples[name]) for name in ("ours", "raw", "library"))
    return {
        "ours": ours,
        "raw_sqlite_batch100": raw,
        "eventsourcing": library,
        "ours_vs_raw": ours["events_per_s"] / raw["rows_per_s"],
        "ours_vs_eventsourcing": ours["events_per_s"] / library["events_per_s"],
        "rounds": rounds,
        "writers": writers,
        "scratch_dir": str(Path(scratch).parent),
    }


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of every number across rounds (other values from the first round)."""
    first = runs[0]
    return {
        key: statistics.median(run[key] for run in runs) if isinstance(value, float) else value
        for key, value in first.items()
    } | {"per_round": [round(run.get("events_per_s", run.get("rows_per_s", 0))) for run in runs]}


def main() -> None:
    figures = run()
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
