"""In-process Idempotency-Key records: the unit-test fake of the idempotency port."""

from __future__ import annotations

from datetime import datetime, timedelta

from ticketing_tickets.application.ports import (
    Claimed,
    IdempotencyOutcome,
    InFlight,
    StoredResponse,
)


class InMemoryIdempotencyStore:
    def __init__(
        self, *, ttl: timedelta = timedelta(hours=24), lease: timedelta = timedelta(seconds=30)
    ) -> None:
        self._ttl = ttl
        self._lease = lease
        # key -> (request_hash, claimed_at, response or None)
        self._records: dict[str, tuple[str, datetime, StoredResponse | None]] = {}

    async def claim(self, key: str, request_hash: str, *, now: datetime) -> IdempotencyOutcome:
        record = self._records.get(key)
        if record is not None:
            _, at, response = record
            if response is not None and now - at < self._ttl:
                return response
            if response is None and now - at < self._lease:
                return InFlight()
        self._records[key] = (request_hash, now, None)
        return Claimed()

    async def complete(self, key: str, response: StoredResponse, *, now: datetime) -> None:
        self._records[key] = (response.request_hash, now, response)

    async def release(self, key: str) -> None:
        if (record := self._records.get(key)) is not None and record[2] is None:  # claims only
            del self._records[key]

    async def close(self) -> None:
        self._records.clear()
