"""Memory and disk at scale (issue 12 step 5): the embedded server's RSS over a big history, a
rebuild's, and the bytes on disk per event.

    .venv/bin/python -m bench.scale_bench [--tickets 100000] [--keep DIR]

1. Fill: a fresh data directory (`BENCH_TMPDIR` or `var/`, `bench-scale-*`) gets `--tickets`
   tickets of ~10 events each (rebuild_bench's conversations: openings, replies both ways,
   notes, views, reads, transfers, closes; two brands, 3,000 customers) through the event
   store's own append path (`SqliteEventStore.append`, one append per ticket's history, 32 at a
   time): 100k tickets = 1M events. (`--from-store PATH` copies an events.db an earlier run
   filled instead: the same history without the fill's minutes.)
2. Serve: `ticketing run` on it (as the http bench starts it: defaults, WARNING). Its consumers
   (projector, attachments references, notifications) catch up on the whole history at start;
   the bench waits until the process is idle (< 5% of a core over 2 s) and records how long
   that took, then VmRSS and VmHWM (`/proc/<pid>/status`). Then 300 requests (a customer's
   list, counters and a ticket's detail, an admin's list and counters, an agent's list) and the
   RSS again.
3. Rebuild: the server stopped, `ticketing rebuild` on the same directory, its VmRSS sampled
   every 0.2 s (peak and the last sample) and its wall time: the rebuild rate at this size.
4. Disk: the event store's files (events.db and its WAL) and the read model's (query.db) in
   bytes per event, and every other file of the data directory by name.

At 1M events this takes several minutes (mostly the consumers' catch-up), more on a busy
machine; `--tickets` makes it smaller.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ticketing_contracts.stored import envelope_metadata
from ticketing_eventstore.ports import NO_STREAM, NewEvent
from ticketing_eventstore.sqlite import SqliteEventStore

from bench.http_bench import REPO, Server, _cpu_seconds, _server_env
from bench.rebuild_bench import _conversation

SECRET = "bench-scale-secret-with-at-least-32-bytes!"


def status_kib(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, KiB."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    found = {line.split(":")[0]: int(line.split()[1]) for line in lines if line.startswith("Vm")}
    return {"rss_kib": found.get("VmRSS", 0), "hwm_kib": found.get("VmHWM", 0)}


async def fill(path: Path, tickets: int, seed: int = 11) -> int:
    """`tickets` histories appended through the store; the number of events."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    count = 0
    async with SqliteEventStore(path) as store:

        async def one(n: int) -> int:
            stream, steps = _conversation(rng, n)
            brand = stream.split("-")[1]
            at = start + timedelta(minutes=n)
            events = [
                NewEvent(
                    event_id=str(uuid.uuid4()),
                    event_type=event_type,
                    data=data,
                    metadata=envelope_metadata(
                        schema_version=1,
                        occurred_at=at + timedelta(minutes=step),
                        brand_id=brand,
                        actor_id=actor,
                        actor_role="customer" if actor.startswith("cust") else "agent",
                        correlation_id="bench-scale",
                        causation_id=None,
                    ),
                )
                for step, (event_type, data, actor) in enumerate(steps)
            ]
            await store.append(stream, events, expected_version=NO_STREAM)
            return len(events)

        for group in range(0, tickets, 32):
            done = await asyncio.gather(*(one(n) for n in range(group, min(group + 32, tickets))))
            count += sum(done)
    return count


async def _head(path: Path) -> int:
    async with SqliteEventStore(path) as store:
        return await store.head_position()


def _runnable(pid: int) -> bool:
    """Whether any thread of the process is running or waiting for a CPU (state R)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "stat").read_text().rsplit(")", 1)[1].split()[0] == "R":
                return True
        except (FileNotFoundError, ProcessLookupError):
            continue
    return False


def _idle(pid: int, *, below: float = 0.05, every: float = 2.0, limit: float = 7200.0) -> float:
    """Wait until the process uses less than `below` of a core over `every` seconds with no
    thread ever runnable meanwhile (a process starved by a busy machine is not idle)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = _cpu_seconds(pid)
        busy = False
        for _ in range(10):
            time.sleep(every / 10)
            busy = busy or _runnable(pid)
        if not busy and (_cpu_seconds(pid) - before) / every < below:
            return time.monotonic() - started
    raise RuntimeError(f"the server was still busy after {limit}s")


def _requests(port: int, count: int) -> dict[str, Any]:
    from ticketing_web.auth import mint_token

    now = int(time.time())

    def token(role: str, sub: str, brand: str = "acme") -> str:
        return mint_token(secret=SECRET, sub=sub, role=role, brand=brand, ttl_seconds=3600, now=now)

    customer, admin = token("customer", "cust-4"), token("admin", "admin-1")
    agent = token("agent", "agent-1")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    statuses: dict[int, int] = {}

    def get(path: str, bearer: str) -> Any:
        connection.request("GET", path, headers={"Authorization": f"Bearer {bearer}"})
        response = connection.getresponse()
        body = response.read()
        statuses[response.status] = statuses.get(response.status, 0) + 1
        return json.loads(body) if response.status == 200 else None

    listed = get("/v1/tickets?limit=20", customer) or {}
    ids = [item["ticket_id"] for item in listed.get("items", [])] or ["0" * 32]
    started = time.perf_counter()
    for n in range(count // 6):
        get("/v1/tickets?limit=20", customer)
        get("/v1/counters", customer)
        get(f"/v1/tickets/{ids[n % len(ids)]}", customer)
        get("/v1/tickets?limit=20", admin)
        get("/v1/counters", admin)
        get("/v1/tickets?limit=20&department=finance", agent)
    connection.close()
    return {"requests": sum(statuses.values()), "statuses": statuses,
            "seconds": round(time.perf_counter() - started, 2)}  # fmt: skip


def _rebuild(data_dir: Path, log: Path) -> dict[str, Any]:
    env = _server_env(TICKETING_DATA_DIR=str(data_dir), TICKETING_LOG_LEVEL="WARNING")
    peak, last, samples = 0, 0, 0
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ticketing.cli", "rebuild"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        while proc.poll() is None:
            try:
                found = status_kib(proc.pid)
            except (FileNotFoundError, ProcessLookupError):
                break
            if found["rss_kib"]:  # 0 once it has exited (a zombie has no memory)
                peak, last = max(peak, found["hwm_kib"]), found["rss_kib"]
            samples += 1
            time.sleep(0.2)
        proc.wait()
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"ticketing rebuild exited {proc.returncode}: {log.read_text()[-2000:]}")
    return {"seconds": round(elapsed, 1), "peak_rss_kib": peak, "last_rss_kib": last,
            "samples": samples}  # fmt: skip


def _disk(data_dir: Path, events: int) -> dict[str, Any]:
    files = {
        str(p.relative_to(data_dir)): p.stat().st_size for p in data_dir.rglob("*") if p.is_file()
    }
    store = sum(size for name, size in files.items() if name.startswith("events.db"))
    read_model = sum(size for name, size in files.items() if name.startswith("query.db"))
    return {
        "files": files,
        "store_bytes": store,
        "read_model_bytes": read_model,
        "store_bytes_per_event": round(store / events, 1),
        "read_model_bytes_per_event": round(read_model / events, 1),
        "store_and_read_model_bytes_per_event": round((store + read_model) / events, 1),
    }


def run(
    tickets: int = 100_000,
    keep: str | None = None,
    from_store: str | None = None,
    rebuild: bool = True,
) -> dict[str, Any]:
    """`bench.run`'s entry. `from_store`: copy that events.db (one an earlier run filled)
    instead of filling, to measure the server again without the fill's minutes."""
    base = Path(os.environ.get("BENCH_TMPDIR") or REPO / "var")
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="bench-scale-", dir=base))
    data_dir = scratch / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        if from_store:
            shutil.copyfile(from_store, data_dir / "events.db")
            events = asyncio.run(_head(data_dir / "events.db"))
        else:
            events = asyncio.run(fill(data_dir / "events.db", tickets))
        filled = time.perf_counter() - started
        server = Server(
            "embedded app (ticketing run)",
            [sys.executable, "-m", "ticketing.cli", "run", "--host", "127.0.0.1", "--port", "0"],
            _server_env(
                TICKETING_DATA_DIR=str(data_dir),
                TICKETING_LOG_LEVEL="WARNING",
                TICKETING_JWT_SECRET=SECRET,
            ),
            scratch / "server.log",
        )
        try:
            server.start(timeout=600)
            assert server.proc is not None
            pid = server.proc.pid
            at_start = status_kib(pid)
            caught_up = _idle(pid)
            after_catch_up = status_kib(pid)
            served = _requests(server.port, 300)
            after_requests = status_kib(pid)
        finally:
            server.stop()
        rebuilt: dict[str, Any] = {"skipped": True}
        if rebuild:
            rebuilt = _rebuild(data_dir, scratch / "rebuild.log")
            rebuilt["events_per_s"] = round(events / rebuilt["seconds"])
            rebuilt["peak_rss_mib"] = round(rebuilt["peak_rss_kib"] / 1024, 1)
        return {
            "tickets": tickets,
            "events": events,
            "fill_seconds": round(filled, 1),
            "fill_events_per_s": round(events / filled),
            "server": {
                "at_start": at_start,
                "catch_up_seconds": round(caught_up, 1),
                "after_catch_up": after_catch_up,
                "requests": served,
                "after_requests": after_requests,
                "rss_mib": round(after_requests["rss_kib"] / 1024, 1),
                "hwm_mib": round(after_requests["hwm_kib"] / 1024, 1),
            },
            "rebuild": rebuilt,
            "disk": _disk(data_dir, events),
        }
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--keep", help="a directory to fill and keep (not deleted)")
    parser.add_argument("--from-store", help="copy this events.db instead of filling")
    parser.add_argument("--no-rebuild", action="store_true", help="the server part alone")
    args = parser.parse_args()
    figures = run(args.tickets, args.keep, args.from_store, rebuild=not args.no_rebuild)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
