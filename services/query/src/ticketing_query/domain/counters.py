"""Counters (the seeds' sidebar): what one ticket contributes to its scope's totals.

Kept as sums of per-ticket contributions, so they can be maintained incrementally (subtract the
old contribution, add the new) and checked against a from-scratch rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ticketing_model import CODES

from .view import TicketView


@dataclass(frozen=True, slots=True)
class Counters:
    total: int = 0
    open: int = 0
    unread_tickets: int = 0
    unread_messages: int = 0
    by_status: dict[int, int] = field(default_factory=lambda: dict.fromkeys(CODES, 0))

    def __add__(self, other: Counters) -> Counters:
        return Counters(
            self.total + other.total,
            self.open + other.open,
            self.unread_tickets + other.unread_tickets,
            self.unread_messages + other.unread_messages,
            {c: self.by_status[c] + other.by_status[c] for c in CODES},
        )

    def as_json(self) -> dict[str, object]:
        return {
            "total": self.total,
            "open": self.open,
            "unread_tickets": self.unread_tickets,
            "unread_messages": self.unread_messages,
            "by_status": {str(c): n for c, n in self.by_status.items()},
        }


def contribution(view: TicketView, side: str) -> Counters:
    """What one ticket adds to the counters of a scope on `side`."""
    unread, messages = view.unread_for(side)
    by_status = dict.fromkeys(CODES, 0)
    by_status[view.code] = 1
    return Counters(1, 0 if view.closed else 1, 1 if unread else 0, messages, by_status)


def total(views: Iterable[TicketView], side: str) -> Counters:
    """The counters of a set of tickets, from scratch (the reference the increments must equal)."""
    result = Counters()
    for view in views:
        result = result + contribution(view, side)
    return result
