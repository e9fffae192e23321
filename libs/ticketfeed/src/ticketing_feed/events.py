"""One ticket event as its consumers need it: where and when it happened, who did it, and the
event itself as the contract's typed model (parsed once, at the feed).

Pure: the standard library and ticketing_contracts, so a service's domain (the query service's
fold) may import it.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from ticketing_contracts.events import TicketEvent


class EventIn(NamedTuple):
    """One ticket event: where it stands in the global order and in its ticket's stream, who
    did it and when, and the event (upcast to its type's current model): consumers `match` on
    its class (`case MessagePosted(internal=False): ...`).

    A named tuple rather than a frozen dataclass: as immutable, and a rebuild builds one per
    event, which a frozen dataclass's `__init__` (a setattr per field) makes four times dearer.
    """

    position: int
    brand_id: str
    ticket_id: str
    stream_version: int
    occurred_at: datetime
    actor_id: str
    actor_role: str
    event: TicketEvent

    @property
    def event_type(self) -> str:
        """The event's type name (`TicketOpened`), for logs and keys."""
        return self.event.event_type
