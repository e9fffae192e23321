"""The query service's ports: the read model it keeps (the feed of events it keeps it from is
`ticketing_feed.EventFeed`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ticketing_model import Scope

from ticketing_query.domain.counters import Counters
from ticketing_query.domain.view import MessageView, TicketView


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """The list filters of `GET /v1/tickets`; empty/None means no restriction."""

    statuses: frozenset[int] = frozenset()
    unread: bool | None = None
    department: str | None = None
    priority: str | None = None
    closed: bool | None = None
    assignee: str | None = None
    terms: tuple[str, ...] = ()  # normalised words of `q`, each a word or a word's start


@dataclass(frozen=True, slots=True)
class Cursor:
    """Keyset position in the list order: last activity newest first, then ticket id descending."""

    last_activity_at: datetime
    ticket_id: str


@dataclass(frozen=True, slots=True)
class ProjectionBatch:
    """What one projector step writes at once: the changed views (each with the version of the
    last event folded in), the messages added, and the position the feed has reached."""

    views: Sequence[TicketView]
    messages: Sequence[MessageView]
    position: int
    #: The versions the read model held for some of the batch's tickets when the batch was folded
    #: (`load`, by the projector that is their one writer): an adapter may take them instead of
    #: reading those tickets again. A ticket not here may or may not be stored.
    stored_versions: Mapping[tuple[str, str], int] = field(default_factory=dict)


class ReadModel(Protocol):
    """The tickets, their messages, their counters, and how far the history has been applied."""

    async def apply(self, batch: ProjectionBatch) -> None:
        """Save the batch and the checkpoint. A view is written only if its version is above the
        stored one; a message only once (by id). Counters follow the views exactly. Atomic where
        the engine has transactions; elsewhere the checkpoint is written last."""
        ...

    async def checkpoint(self) -> int:
        """The position applied so far (0 for an empty read model)."""
        ...

    async def load(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], TicketView]:
        """The stored views of these (brand_id, ticket_id) keys; absent ones are left out."""
        ...

    async def get(self, brand_id: str, ticket_id: str) -> TicketView | None: ...

    async def by_tracking_code(self, brand_id: str, tracking_code: str) -> TicketView | None: ...

    async def messages(self, brand_id: str, ticket_id: str) -> list[MessageView]:
        """Every message of the ticket, oldest first (callers drop what their side may not see)."""
        ...

    async def ticket_with_messages(
        self, brand_id: str, ticket_id: str
    ) -> tuple[TicketView, list[MessageView]] | None:
        """`get` and `messages` together, in one trip where the engine allows (a detail page
        is the read every read-your-writes GET makes); None when there is no such ticket."""
        ...

    async def list(
        self, scope: Scope, where: TicketFilter, *, limit: int, after: Cursor | None
    ) -> list[TicketView]:
        """Up to `limit` tickets of the scope matching the filter, in list order, after `after`."""
        ...

    async def counters(self, scope: Scope) -> Counters:
        """The scope's counters from its side, without reading every ticket."""
        ...

    async def reset(self) -> None:
        """Forget everything (before a rebuild from history)."""
        ...

    async def rebuilding(self) -> ReadModelRebuild:
        """Begin making the read model again from history (`application.rebuild`): what it
        serves stays as it is until `finish`, or may be emptied at once where the engine cannot
        keep two copies (then this is `reset`)."""
        ...

    async def close(self) -> None: ...


class ReadModelRebuild(Protocol):
    """A read model being made again from history, written by one rebuild, batch by batch, in
    history order. Until `finish` it may be a separate copy: one that the rebuild alone reads."""

    async def load(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], TicketView]:
        """The views already rebuilt of these keys; absent ones are left out."""
        ...

    async def apply(self, batch: ProjectionBatch) -> None:
        """As `ReadModel.apply`, into the copy being made."""
        ...

    async def finish(self) -> None:
        """Make what was rebuilt the read model (atomically where the engine can: a crash
        before this leaves the previous read model as it was)."""
        ...

    async def abandon(self) -> None:
        """Give the rebuild up (after an error): throw away what was made, where it was apart."""
        ...


class InPlaceRebuild:
    """`ReadModel.rebuilding` for an engine that keeps one copy: reset, then write straight
    into the read model (the in-memory fake, MongoDB)."""

    def __init__(self, read_model: ReadModel) -> None:
        self._read_model = read_model

    @classmethod
    async def begin(cls, read_model: ReadModel) -> InPlaceRebuild:
        await read_model.reset()
        return cls(read_model)

    async def load(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], TicketView]:
        return await self._read_model.load(keys)

    async def apply(self, batch: ProjectionBatch) -> None:
        await self._read_model.apply(batch)

    async def finish(self) -> None:
        return None

    async def abandon(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """What a ticket's detail shows of an attachment (the attachments service keeps it)."""

    attachment_id: str
    filename: str
    content_type: str
    size: int


class AttachmentCatalog(Protocol):
    """Describes attachments by id; ids it does not know are left out. Raises
    AttachmentsUnavailable when it cannot tell now."""

    async def describe(
        self, brand_id: str, attachment_ids: Sequence[str]
    ) -> dict[str, AttachmentInfo]: ...


class AttachmentsUnavailable(Exception):
    """The attachments service cannot answer now (HTTP 503)."""
