"""A model of the KurrentDB behaviours KurrentDBEventStore relies on, standing in for its client.

Not a substitute for the contract suite on a real server: it lets the adapter's own logic (paging,
resume points, batching, resubscribing, error mapping) be exercised where no server can run. Each
behaviour follows kurrentdbclient 1.3.5's documentation or source, and the client's own code is
used where it can be: its filter-regex wrapper, its event classes, and its conversion of the
server's WrongExpectedVersion reply into WrongCurrentVersionError.

- Commit positions are byte offsets in one log: sparse, strictly increasing, one per record; the
  log starts with a record of the server's own.
- Reads and subscriptions accept only a record's own position as start (InvalidCommitPositionError
  otherwise); a forward read includes the record at the start, a backward read and a subscription
  exclude it. Filters are regexes over stream names, wrapped by the client in ^...$.
- Appends check the expected ("current") version; repeating the ids already written where the
  append would go is an idempotent success returning the first commit position.
"""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import kurrentdbclient as kdb
from google.protobuf import any_pb2, empty_pb2
from kurrentdbclient import CaughtUp, StreamState
from kurrentdbclient.common import construct_filter_include_regex
from kurrentdbclient.exceptions import (
    InvalidCommitPositionError,
    NotFoundError,
    ServiceUnavailableError,
)
from kurrentdbclient.protos.v1 import shared_pb2, status_pb2, streams_pb2
from kurrentdbclient.streams import BaseStreamsService


class _Stream:
    """What the client's read responses and subscriptions offer: async iteration and stop()."""

    def __init__(self, events: AsyncGenerator[kdb.RecordedEvent, None]) -> None:
        self._events = events

    def __aiter__(self) -> _Stream:
        return self

    async def __anext__(self) -> kdb.RecordedEvent:
        return await anext(self._events)

    async def stop(self) -> None:
        await self._events.aclose()


class ModelKurrentDB:
    def __init__(self) -> None:
        self.records: list[kdb.RecordedEvent] = []
        self.appends = 0
        self.subscriptions = 0
        #: Drop every subscription (ServiceUnavailableError) after it has sent this many events.
        self.drop_subscriptions_after: int | None = None
        #: Seconds between two events a subscription sends (the network, the server's pace).
        self.delivery_delay = 0.0
        #: How a start inside a record is refused (the client's error differs by server version).
        self.invalid_position: Exception = InvalidCommitPositionError(
            "Unexpected FilteredReadAllResult: InvalidPosition"
        )
        self._end = 0
        self._appended = asyncio.Event()
        self.write("$settings", "$settings", b"{}")

    def write(
        self,
        stream: str,
        event_type: str,
        data: bytes,
        metadata: bytes = b"",
        event_id: uuid.UUID | None = None,
    ) -> kdb.RecordedEvent:
        """Put a record in the log as the server would, with no checks (foreign writers)."""
        position = self._end
        self._end += 100 + len(data) + len(metadata)  # records take room: positions are sparse
        record = kdb.RecordedEvent(
            type=event_type,
            data=data,
            metadata=metadata,
            content_type="application/json",
            id=event_id or uuid.uuid4(),
            stream_name=stream,
            stream_position=len(self._stream(stream)),
            commit_position=position,
            prepare_position=position,
            recorded_at=datetime.now(UTC),
        )
        self.records.append(record)
        self._appended.set()
        self._appended = asyncio.Event()
        return record

    # -- the client's methods the adapter calls --------------------------------------------------

    async def append_to_stream(
        self, stream_name: str, *, events: Iterable[kdb.NewEvent], current_version: Any
    ) -> int:
        self.appends += 1
        new = list(events)
        stream = self._stream(stream_name)
        if current_version is StreamState.ANY:
            start = max(len(stream) - len(new), 0)
        else:
            start = 0 if current_version is StreamState.NO_STREAM else current_version + 1
        written = stream[start : start + len(new)]
        if [e.id for e in written] == [e.id for e in new]:
            return written[-1].commit_position  # idempotent: already there
        if current_version is not StreamState.ANY and start != len(stream):
            _raise_wrong_version(stream_name, current_version, stream)
        return [self.write(stream_name, e.type, e.data, e.metadata, e.id) for e in new][
            -1
        ].commit_position

    async def get_stream(
        self,
        stream_name: str,
        *,
        stream_position: int | None = None,
        backwards: bool = False,
        limit: int = sys.maxsize,
    ) -> tuple[kdb.RecordedEvent, ...]:
        stream = self._stream(stream_name)
        if not stream:
            raise NotFoundError(f"Stream {stream_name!r} not found")
        ordered = stream[::-1] if backwards else stream[stream_position or 0 :]
        return tuple(ordered[:limit])

    async def read_all(
        self,
        *,
        commit_position: int | None = None,
        backwards: bool = False,
        filter_include: Sequence[str] = (),
        filter_by_stream_name: bool = False,
        limit: int = sys.maxsize,
    ) -> _Stream:
        assert filter_by_stream_name, "the adapter filters every read by stream name"
        assert filter_include
        return _Stream(self._read(commit_position, backwards, filter_include, limit))

    async def get_commit_position(
        self, *, filter_include: Sequence[str] = (), filter_by_stream_name: bool = False
    ) -> int:
        events = [
            e
            async for e in await self.read_all(
                backwards=True, filter_include=filter_include, filter_by_stream_name=True, limit=1
            )
        ]
        return events[0].commit_position if events else 0

    async def subscribe_to_all(
        self,
        *,
        commit_position: int | None = None,
        filter_include: Sequence[str] = (),
        filter_by_stream_name: bool = False,
        include_caught_up: bool = False,
        include_fell_behind: bool = False,
    ) -> _Stream:
        assert filter_by_stream_name
        assert filter_include
        assert include_caught_up
        self._check_position(commit_position)
        self.subscriptions += 1
        return _Stream(self._subscription(commit_position, filter_include))

    async def close(self) -> None:
        pass

    # -- the model -------------------------------------------------------------------------------

    def _stream(self, name: str) -> list[kdb.RecordedEvent]:
        return [e for e in self.records if e.stream_name == name]

    def _check_position(self, position: int | None) -> None:
        if position is not None and position not in {e.commit_position for e in self.records}:
            raise self.invalid_position

    async def _read(
        self, start: int | None, backwards: bool, filter_include: Sequence[str], limit: int
    ) -> AsyncGenerator[kdb.RecordedEvent, None]:
        self._check_position(start)
        regex = construct_filter_include_regex(filter_include)
        if backwards:
            candidates = [
                e for e in reversed(self.records) if start is None or e.commit_position < start
            ]
        else:
            candidates = [e for e in self.records if start is None or e.commit_position >= start]
        for event in [e for e in candidates if re.search(regex, e.stream_name)][:limit]:
            yield event

    async def _subscription(
        self, after: int | None, filter_include: Sequence[str]
    ) -> AsyncGenerator[kdb.RecordedEvent, None]:
        regex = construct_filter_include_regex(filter_include)
        index = 0 if after is None else 1 + [e.commit_position for e in self.records].index(after)
        sent = 0
        caught_up = False
        while True:
            appended = self._appended
            while index < len(self.records):
                event = self.records[index]
                index += 1
                if re.search(regex, event.stream_name):
                    if sent == self.drop_subscriptions_after:
                        raise ServiceUnavailableError("model: connection lost")
                    sent += 1
                    await asyncio.sleep(self.delivery_delay)
                    yield event
            if not caught_up:
                caught_up = True
                yield CaughtUp(
                    stream_position=0,
                    commit_position=self.records[-1].commit_position,
                    prepare_position=self.records[-1].commit_position,
                    recorded_at=None,
                )
            await appended.wait()


def _raise_wrong_version(
    stream_name: str, current_version: int | StreamState, stream: list[kdb.RecordedEvent]
) -> None:
    """The server's WrongExpectedVersion reply, through the client's own conversion."""
    detail = any_pb2.Any()
    if stream:
        detail.Pack(shared_pb2.WrongExpectedVersion(current_stream_revision=len(stream) - 1))
    else:
        detail.Pack(shared_pb2.WrongExpectedVersion(current_no_stream=empty_pb2.Empty()))
    reply = streams_pb2.BatchAppendResp(error=status_pb2.Status(code=9, details=detail))
    BaseStreamsService._convert_batch_append_resp(reply, stream_name, current_version)


async def collect(events: AsyncIterator[Any], count: int) -> list[Any]:
    async with asyncio.timeout(2):
        return [await anext(events) for _ in range(count)]
