"""The ports the command handlers need: the part of the event store they use (`TicketStreams`),
the clock, ids, the brands' catalogues and the attachment check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ticketing_eventstore.ports import EventWriter, StreamReader

from ticketing_tickets.domain import Actor, BrandCatalog, FieldError


class TicketStreams(EventWriter, StreamReader, Protocol):
    """What the handlers need of the event store: a ticket's (or a tracking code's) stream to
    decide on, and appends with an expected version. They never read the global order."""


class Clock(Protocol):
    def __call__(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class IdGenerator(Protocol):
    def __call__(self) -> str:
        """A fresh unique id (32 lowercase hex characters)."""
        ...


class RandomDigits(Protocol):
    def __call__(self, length: int) -> str:
        """`length` random decimal digits, the first not 0 (codes read well on a phone)."""
        ...


class Catalogs(Protocol):
    def catalog_for(self, brand_id: str) -> BrandCatalog:
        """The departments and request types a brand offers (the seeds' defaults if unset)."""
        ...


class AttachmentLookup(Protocol):
    async def check(
        self, *, brand_id: str, actor: Actor, attachment_ids: Sequence[str]
    ) -> list[FieldError]:
        """Why any of these attachments may not go on a message by this actor ([] if all may):
        only those the actor may read (download) may be named, in its whole scope (brand,
        departments, customers). Raises AttachmentsUnavailable when it cannot tell now."""
        ...


class AttachmentsUnavailable(Exception):
    """The attachments service cannot answer now (HTTP 503): nothing was decided or written."""


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """A finished command's HTTP response, kept for replay under its Idempotency-Key."""

    request_hash: str
    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class Claimed:
    """The key was free (or its earlier claim went stale): the caller runs the command."""


@dataclass(frozen=True, slots=True)
class InFlight:
    """Another request with this key is running now."""


IdempotencyOutcome = Claimed | InFlight | StoredResponse


class IdempotencyStore(Protocol):
    """Idempotency-Key records: claimed while running, then the response, kept `ttl` long."""

    async def claim(self, key: str, request_hash: str, *, now: datetime) -> IdempotencyOutcome:
        """Claim `key` atomically, or say what holds it. A claim older than the store's lease
        is stale (its process died) and is taken over."""
        ...

    async def complete(self, key: str, response: StoredResponse, *, now: datetime) -> None:
        """Record the response of a claimed key."""
        ...

    async def release(self, key: str) -> None:
        """Drop a claim whose command failed unexpectedly, so a retry may run it."""
        ...

    async def close(self) -> None: ...
