"""An acknowledged append survives `kill -9` of the process that made it.

A child process appends from many concurrent tasks and prints every acknowledgement; the parent
kills it mid-flight and checks the file holds each acknowledged event at the position it was
acknowledged with, and no stream has a hole. (This covers process death, not power loss: the
fsync half of the promise needs a machine to be unplugged.)
"""

from __future__ import annotations

import asyncio
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ticketing_eventstore.sqlite import SqliteEventStore

pytestmark = pytest.mark.slow

CHILD = """
import asyncio, sys, uuid
from ticketing_eventstore import NewEvent, WrongExpectedVersion
from ticketing_eventstore.sqlite import SqliteEventStore

async def agent(store, stream):
    version = 0
    while True:
        events = [
            NewEvent(str(uuid.uuid4()), "MessagePosted", {"body": "پیام شماره " + str(version + i)})
            for i in range(1 + version % 3)
        ]
        try:
            result = await store.append(stream, events, expected_version=version)
        except WrongExpectedVersion as conflict:  # shared streams: someone else got there first
            version = conflict.actual
            continue
        version = result.version
        for event_version in range(result.version - len(events) + 1, result.version + 1):
            position = result.position - (result.version - event_version)
            sys.stdout.write(f"{stream} {event_version} {position}\\n")
        sys.stdout.flush()

async def main(path):
    store = await SqliteEventStore(path).open()
    streams = [f"ticket-acme-{n}" for n in range(32)] + ["ticket-acme-shared"] * 16
    await asyncio.gather(*(agent(store, stream) for stream in streams))

asyncio.run(main(sys.argv[1]))
"""


def test_every_acknowledged_append_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdout is not None
    acknowledged: list[tuple[str, int, int]] = []
    buffer = b""
    reader = selectors.DefaultSelector()
    reader.register(child.stdout, selectors.EVENT_READ)
    started = time.monotonic()
    # Read until enough has been acknowledged and a second and a half has passed, then kill.
    while time.monotonic() - started < 1.5 or len(acknowledged) < 200:
        assert time.monotonic() - started < 8, "the child acknowledged too little in 8 s"
        if not reader.select(timeout=0.1):
            assert child.poll() is None, child.communicate()[1].decode()
            continue
        chunk = os.read(child.stdout.fileno(), 65536)
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            stream, version, position = line.decode().split()
            acknowledged.append((stream, int(version), int(position)))
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL

    stored = asyncio.run(_read_everything(path))
    by_key = {(e[0], e[1]): e[2] for e in stored}
    missing = [ack for ack in acknowledged if by_key.get(ack[:2]) != ack[2]]
    assert missing == [], f"{len(missing)} acknowledged events lost or moved"
    versions: dict[str, list[int]] = {}
    for stream, version, _ in stored:
        versions.setdefault(stream, []).append(version)
    for stream, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), f"hole in {stream}"
    positions = [position for _, _, position in stored]
    assert positions == sorted(set(positions))


async def _read_everything(path: Path) -> list[tuple[str, int, int]]:
    async with SqliteEventStore(path) as store:
        rows: list[tuple[str, int, int]] = []
        while batch := await store.read_all(after=rows[-1][2] if rows else 0, limit=5000):
            rows += [(e.stream_id, e.stream_version, e.position) for e in batch]
        return rows
