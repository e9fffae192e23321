"""Reads of KurrentDB for `KurrentDBEventStore`: pages of $all, stream and log heads, and where
a read or a subscription may start (only records' own positions are valid start points on the
server; see `ticketing_eventstore.kurrentdb`'s docstring).

Functions of the client rather than methods of the store, so the store stays about the port.
"""

from __future__ import annotations

import kurrentdbclient as kdb
from kurrentdbclient import AsyncKurrentDBClient
from kurrentdbclient.exceptions import (
    InvalidCommitPositionError,
    KurrentDBClientError,
    NotFoundError,
    UnknownError,
)

from ._kurrentdb_mapping import ANY_STREAM, matches, stream_filter, to_recorded
from .ports import RecordedEvent

NOT_SYSTEM = stream_filter(None)
_SCAN_PAGE = 256


async def read_page(
    client: AsyncKurrentDBClient,
    *,
    start: int | None,
    limit: int,
    pattern: str,
    backwards: bool = False,
) -> list[kdb.RecordedEvent]:
    """A page of $all from `start` (None: the beginning, or the end backwards)."""
    response = await client.read_all(
        commit_position=start,
        backwards=backwards,
        filter_include=(pattern,),
        filter_by_stream_name=True,
        limit=limit,
    )
    return [event async for event in response]


async def read_after(
    client: AsyncKurrentDBClient,
    after: int,
    start: int | None,
    limit: int,
    stream_prefix: str | None,
) -> list[RecordedEvent]:
    """Pages from `start` until `limit` events after `after` (the server's filter counts the
    events it sends, some of which may not be ours to return)."""
    pattern = stream_filter(stream_prefix)
    found: list[RecordedEvent] = []
    cursor = after
    while True:
        want = limit - len(found) + 1  # a forward read includes the event at `start`
        page = await read_page(client, start=start, limit=want, pattern=pattern)
        for event in page:
            if event.commit_position <= cursor:
                continue
            cursor = event.commit_position
            recorded = to_recorded(event)
            if recorded is not None and matches(recorded, stream_prefix):
                found.append(recorded)
                if len(found) == limit:
                    return found
        if len(page) < want:
            return found
        start = page[-1].commit_position


async def head(client: AsyncKurrentDBClient) -> int:
    """The commit position of the last event of a non-system stream (0 when none)."""
    return await client.get_commit_position(
        filter_include=(NOT_SYSTEM,), filter_by_stream_name=True
    )


async def stream_head(client: AsyncKurrentDBClient, stream_id: str) -> tuple[int, int]:
    """(version, commit position of the last event) of a stream; (0, 0) for none."""
    try:
        last = await client.get_stream(stream_id, backwards=True, limit=1)
    except NotFoundError:
        return 0, 0
    return (last[0].stream_position + 1, last[0].commit_position) if last else (0, 0)


async def version_at(client: AsyncKurrentDBClient, stream_id: str, position: int) -> int:
    """The version of the event at `position`, the last one an append wrote to `stream_id`."""
    page = await read_page(client, start=position, limit=1, pattern=NOT_SYSTEM)
    if page and page[0].commit_position == position and page[0].stream_name == stream_id:
        return page[0].stream_position + 1
    version, _ = await stream_head(client, stream_id)
    return version


async def resume_point(client: AsyncKurrentDBClient, after: int) -> int | None:
    """A record's position at or before `after` with no event of ours in between, where a
    read or a subscription may start (None: the beginning)."""
    if after <= 0:
        return None
    if await _is_record_position(client, after):
        return after
    first = await read_page(client, start=None, limit=1, pattern=NOT_SYSTEM)
    if not first or after < first[0].commit_position:
        return None
    last = await head(client)
    if after >= last:
        return last
    start: int | None = None
    while True:  # backwards from the end, to the first event at or before `after`
        page = await read_page(
            client, start=start, limit=_SCAN_PAGE, pattern=NOT_SYSTEM, backwards=True
        )
        for event in page:
            if event.commit_position <= after:
                return event.commit_position
        if len(page) < _SCAN_PAGE:
            return None
        start = page[-1].commit_position


async def _is_record_position(client: AsyncKurrentDBClient, position: int) -> bool:
    try:
        page = await read_page(client, start=position, limit=1, pattern=ANY_STREAM)
    except KurrentDBClientError as error:
        if not invalid_position(error):
            raise
        return False
    return bool(page) and page[0].commit_position == position


def invalid_position(error: KurrentDBClientError) -> bool:
    """How the server refuses a start inside a record: 25.1 on, InvalidCommitPositionError; before,
    an unknown error; with a rich status, a plain client error naming InvalidPosition."""
    return isinstance(error, InvalidCommitPositionError | UnknownError) or (
        "InvalidPosition" in str(error)
    )
