"""The attachments service's ports: where bytes live, where metadata and references live, and
the feed of ticket events that says which tickets reference which attachments."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ticketing_attachments.domain import Attachment, TicketAccess

#: `{brand}/{attachment_id}`: two safe segments, so a key can never name a path outside the store.
BLOB_KEY = re.compile(r"^[A-Za-z0-9_]{1,64}/[A-Za-z0-9_-]{1,128}$")


def check_blob_key(key: str) -> str:
    """`key` if it is a well-formed blob key; ValueError otherwise."""
    if not BLOB_KEY.fullmatch(key):
        raise ValueError(f"malformed blob key {key!r}")
    return key


class BlobNotFound(KeyError):
    """No blob is stored under the key."""


class BlobStore(Protocol):
    """Bytes by key (`{brand}/{attachment_id}`), streamed both ways, never whole in memory."""

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> int:
        """Store the chunks under `key` (replacing any blob there) and return the size. All or
        nothing: if `chunks` raises, the exception propagates and nothing is stored. Durable
        when it returns."""
        ...

    async def open(self, key: str, *, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        """The blob's bytes in chunks; BlobNotFound (raised here, before any chunk) if absent."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove the blob; False if there was none."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class TicketChange:
    """What a batch of events says about one ticket: its department (and customer, when the
    batch holds its TicketOpened) as of stream version `version`."""

    brand_id: str
    ticket_id: str
    version: int
    department: str
    customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    """A ticket's message carries the attachment; `visible` unless only internal notes do."""

    brand_id: str
    attachment_id: str
    ticket_id: str
    visible: bool


@dataclass(frozen=True, slots=True)
class ReferenceBatch:
    """What one consumer step writes at once, with the feed position it has reached."""

    tickets: Sequence[TicketChange]
    references: Sequence[Reference]
    position: int


class AttachmentCatalog(Protocol):
    """Attachment metadata, the tickets that reference each one, and the consumer checkpoint."""

    async def add(self, attachment: Attachment) -> None:
        """Record a new upload (its id is new; durable when it returns)."""
        ...

    async def get(self, brand_id: str, attachment_id: str) -> Attachment | None: ...

    async def get_many(self, brand_id: str, attachment_ids: Sequence[str]) -> dict[str, Attachment]:
        """The brand's attachments among these ids; absent ones are left out."""
        ...

    async def access(self, brand_id: str, attachment_id: str) -> list[TicketAccess]:
        """The known tickets that reference the attachment."""
        ...

    async def referenced(self, brand_id: str, attachment_ids: Sequence[str]) -> set[str]:
        """Which of these ids some ticket references."""
        ...

    async def tickets(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], TicketChange]:
        """What is kept of these (brand_id, ticket_id) tickets (their customer and department as
        of `version`); unknown ones left out."""
        ...

    async def apply(self, batch: ReferenceBatch) -> None:
        """Save the batch and the checkpoint in one transaction. Idempotent: a ticket moves only
        to a higher version, a reference is stored once (visible if any delivery said so)."""
        ...

    async def checkpoint(self) -> int:
        """The feed position applied so far (0 when new)."""
        ...

    async def unreferenced(self, *, created_before: datetime, limit: int) -> list[Attachment]:
        """Uploads older than `created_before` that no ticket references, oldest first."""
        ...

    async def remove_unreferenced(self, brand_id: str, attachment_id: str) -> bool:
        """Delete the record if no ticket references it (checked in the same transaction)."""
        ...

    async def ready(self) -> bool: ...

    async def close(self) -> None: ...
