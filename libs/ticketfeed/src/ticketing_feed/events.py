"""One ticket event as its consumers need it (parsed from the public envelope).

Pure standard library, so a service's domain (the query service's fold) may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class EventIn:
    """One ticket event: where it stands in the global order and in its ticket's stream, who
    did it and when, and its (upcast) data."""

    position: int
    brand_id: str
    ticket_id: str
    stream_version: int
    event_type: str
    occurred_at: datetime
    actor_id: str
    actor_role: str
    data: dict[str, Any]
