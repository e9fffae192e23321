"""KurrentDBEventStore: the event store port on KurrentDB / EventStoreDB, over kurrentdbclient's
asyncio client (gRPC).

Verified only where a KurrentDB server runs (a container engine, or KURRENTDB_URL): the contract
suite runs against it there. The pure parts (versions, ids, filters, errors) have unit tests.

What differs from the memory and SQLite adapters, on purpose:
- Positions are KurrentDB commit positions: one per event, strictly increasing in commit order
  across all streams, but sparse (offsets in the server's log, such as 4_198_231 then 4_198_512),
  never 1, 2, 3. Consumers only compare and resume from them, which is all the port promises.
  Only records' own positions are valid start points on the server; an `after` that is none
  (an arbitrary number from a client) is moved back to the nearest event at or before it, with a
  backward scan whose cost grows with the events after it. Every position this adapter hands
  out (events, `reached`, heads, append results) is an event's, so consumers never pay it.
- Duplicate event ids: KurrentDB has no index of event ids. Appending events whose ids were just
  appended to the same stream, at the same expected version (or with None), is an idempotent
  success that writes nothing and returns the first append's result, which is what makes the
  client's retries safe; an id stored elsewhere (another stream, an older part of the stream)
  is not detected and the event is written. Ids repeated inside one append are refused here
  (DuplicateEventId), as by the other adapters.
- Only events of non-system streams whose data and metadata are JSON objects are returned, by
  reads and subscriptions alike ($-prefixed streams and event types are KurrentDB's own). Stream
  ids and event types starting with '$' cannot be appended.

Durability: `append` returns once the server has committed the events: written and flushed to
its disk (unless the server runs with flushing turned off), in a cluster on a majority of nodes.

Connections and retries (kurrentdbclient 1.3.5, read from its source): the client connects on
first use and has no deadline unless the URL sets DefaultDeadline. Appends, stream reads and the
head position reconnect once when the server is unavailable (or, with several nodes or
discovery, when the node is not the leader) and are then tried once more after 0.5 s on any gRPC
error; an append retried after a lost reply is idempotent (above). Reads of $all and running
subscriptions get no retry from the client (their errors come while iterating): a failed
read_all raises to its caller, and a subscription that drops is started again here, after the
last event it passed on, with a back-off from 0.1 s to 5 s, for as long as it is iterated. One
store belongs to one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Sequence
from typing import Self
from urllib.parse import urlsplit

from kurrentdbclient import AsyncKurrentDBClient
from kurrentdbclient.common import AbstractAsyncCatchupSubscription
from kurrentdbclient.exceptions import (
    KurrentDBClientError,
    NotFoundError,
    ProgrammingError,
    WrongCurrentVersionError,
)

from ._kurrentdb_feed import Batcher, Item, Signal, pump
from ._kurrentdb_mapping import (
    current_version,
    first_repeated_id,
    our_version,
    stream_filter,
    to_new_event,
    to_recorded,
)
from ._kurrentdb_reads import (
    head,
    invalid_position,
    read_after,
    resume_point,
    stream_head,
    version_at,
)
from .ports import (
    AppendResult,
    DuplicateEventId,
    EventBatch,
    EventStoreClosed,
    NewEvent,
    RecordedEvent,
    WrongExpectedVersion,
)

_SUBSCRIBE_BATCH = 1000


class KurrentDBEventStore:
    """Event store on a KurrentDB server or cluster; see the module docstring for the contract.

    `uri` is a kurrentdb:// (or esdb://, kdb://, and their +discover) connection string, passed
    to the client as it is. Construction checks it and does no IO.
    """

    def __init__(self, uri: str, *, batch_linger: float = 0.005, catch_up_wait: float = 0.25):
        self._client = _client(uri)
        self._linger = batch_linger
        self._catch_up_wait = catch_up_wait
        self._closed = False
        self._appending = 0
        self._no_appends = asyncio.Event()
        self._no_appends.set()
        self._feeds: dict[asyncio.Task[None], asyncio.Queue[Item]] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        *,
        expected_version: int | None,
    ) -> AppendResult:
        """Append atomically with KurrentDB's optimistic concurrency (see the module docstring)."""
        self._ensure_open()
        state = current_version(expected_version)
        if stream_id.startswith("$"):
            raise ValueError(f"stream ids starting with '$' are KurrentDB's own: {stream_id!r}")
        new_events = [to_new_event(event) for event in events]
        repeated = first_repeated_id(events)
        if repeated is not None:
            raise DuplicateEventId(stream_id, repeated)
        if not new_events:
            return await self._check_version(stream_id, expected_version)
        self._appending += 1
        self._no_appends.clear()
        try:
            try:
                position = await self._client.append_to_stream(
                    stream_id, events=new_events, current_version=state
                )
            except WrongCurrentVersionError as error:
                actual = our_version(error.actual_version)
                if actual is None:
                    actual, _ = await stream_head(self._client, stream_id)
                raise WrongExpectedVersion(stream_id, expected_version, actual) from error
            if expected_version is not None:
                return AppendResult(version=expected_version + len(new_events), position=position)
            return AppendResult(await version_at(self._client, stream_id, position), position)
        finally:
            self._appending -= 1
            if not self._appending:
                self._no_appends.set()

    async def read_stream(self, stream_id: str, *, from_version: int = 1) -> list[RecordedEvent]:
        """The stream's events from `from_version` on; [] for no stream."""
        self._ensure_open()
        try:
            events = await self._client.get_stream(
                stream_id, stream_position=max(from_version, 1) - 1
            )
        except NotFoundError:
            return []
        return [recorded for event in events if (recorded := to_recorded(event)) is not None]

    async def read_all(
        self, *, after: int = 0, limit: int = 1000, stream_prefix: str | None = None
    ) -> list[RecordedEvent]:
        """Up to `limit` events after commit position `after`, filtered on the server."""
        self._ensure_open()
        if limit < 1:
            return []
        try:
            return await read_after(
                self._client, after, after if after > 0 else None, limit, stream_prefix
            )
        except KurrentDBClientError as error:
            if not invalid_position(error):
                raise
        start = await resume_point(self._client, after)
        return await read_after(self._client, after, start, limit, stream_prefix)

    async def head_position(self) -> int:
        """The commit position of the last event of a non-system stream (0 when none)."""
        self._ensure_open()
        return await head(self._client)

    async def subscribe(
        self, *, after: int = 0, stream_prefix: str | None = None
    ) -> AsyncGenerator[RecordedEvent, None]:
        """Catch-up subscription, filtered on the server by the prefix."""
        batches = self._batches(after, stream_prefix, _SUBSCRIBE_BATCH, server_prefix=stream_prefix)
        async with contextlib.aclosing(batches):
            async for batch in batches:
                for event in batch.events:
                    yield event

    def subscribe_batches(
        self, *, after: int = 0, stream_prefix: str | None = None, limit: int = 1000
    ) -> AsyncGenerator[EventBatch, None]:
        """`subscribe` a batch at a time. The server filters out only system streams, and the
        prefix is applied here, so that `reached` passes exactly over other streams' events."""
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        return self._batches(after, stream_prefix, limit, server_prefix=None)

    async def close(self) -> None:
        """End the subscriptions, let pending appends finish, and close the connection."""
        if self._closed:
            return
        self._closed = True
        feeds = list(self._feeds.items())
        for task, queue in feeds:
            task.cancel()
            with contextlib.suppress(asyncio.QueueFull):  # a full queue wakes its reader anyway
                queue.put_nowait(Signal.CLOSED)
        await asyncio.gather(*(task for task, _ in feeds), return_exceptions=True)
        await self._no_appends.wait()
        with contextlib.suppress(ProgrammingError):  # raised when it never connected
            await self._client.close()

    async def _check_version(self, stream_id: str, expected_version: int | None) -> AppendResult:
        """An append of nothing: the version check alone (KurrentDB would write no record)."""
        actual, position = await stream_head(self._client, stream_id)
        if expected_version is not None and expected_version != actual:
            raise WrongExpectedVersion(stream_id, expected_version, actual)
        return AppendResult(version=actual, position=position)

    # -- subscriptions -------------------------------------------------------------------------

    async def _batches(
        self, after: int, stream_prefix: str | None, limit: int, *, server_prefix: str | None
    ) -> AsyncGenerator[EventBatch, None]:
        self._ensure_open()
        queue: asyncio.Queue[Item] = asyncio.Queue(maxsize=max(limit, 64))
        pattern = stream_filter(server_prefix)

        async def open_subscription(cursor: int) -> AbstractAsyncCatchupSubscription:
            return await self._client.subscribe_to_all(
                commit_position=await resume_point(self._client, cursor),
                filter_include=(pattern,),
                filter_by_stream_name=True,
                include_caught_up=True,
                include_fell_behind=True,
            )

        feed = asyncio.create_task(
            pump(
                after=after,
                queue=queue,
                open_subscription=open_subscription,
                closed=self._is_closed,
            )
        )
        self._feeds[feed] = queue
        batcher = Batcher(
            queue,
            after=after,
            stream_prefix=stream_prefix,
            limit=limit,
            closed=self._is_closed,
            linger=self._linger,
            catch_up_wait=self._catch_up_wait,
        )
        try:
            while (batch := await batcher.next()) is not None:
                yield batch
        finally:
            self._feeds.pop(feed, None)
            feed.cancel()
            await asyncio.gather(feed, return_exceptions=True)

    def _is_closed(self) -> bool:
        return self._closed

    def _ensure_open(self) -> None:
        if self._closed:
            raise EventStoreClosed("the event store is closed")


def _client(uri: str) -> AsyncKurrentDBClient:
    try:
        return AsyncKurrentDBClient(uri)
    except ValueError as error:  # its messages quote the URI: keep the password out of them
        message = _without_password(str(error), uri)
    raise ValueError(message)  # outside the handler: no __context__ holding the original


def _without_password(text: str, uri: str) -> str:
    try:
        password = urlsplit(uri).password
    except ValueError:  # not even a URL: the message cannot hold a password we could find
        return text.replace(uri, "<connection string>")
    return text.replace(f":{password}@", ":***@") if password else text
