"""The feed port: ticket events after a position, in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from .events import EventIn


@dataclass(frozen=True, slots=True)
class FeedBatch:
    """Ticket events in global order, and the position the feed has looked at up to (which may
    be past the last event, when other streams' events were skipped)."""

    events: Sequence[EventIn]
    reached: int


class EventFeed(Protocol):
    """Ticket events after a position, history first and then live, in batches."""

    def batches(self, *, after: int, max_events: int = 1000) -> AsyncIterator[FeedBatch]: ...

    async def head(self) -> int:
        """The newest position in the source (for lag and rebuild progress)."""
        ...
