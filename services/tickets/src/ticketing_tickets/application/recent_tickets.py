"""The tickets this process wrote last (`RecentTickets`), kept with their stream's position, so
the next command on one of them need not read its stream again."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from ticketing_tickets.domain import Ticket


@dataclass(frozen=True, slots=True)
class Loaded:
    """A ticket and the global position of its stream's last event."""

    ticket: Ticket
    position: int


class RecentTickets:
    """The tickets this process wrote last, so the next command on one skips reading its stream.

    Safe across processes: every append names the version it decided on, so if another process
    wrote meanwhile the store refuses it and the handler reloads. Entries are taken out while a
    command runs (a failed decision cannot leave a half-changed ticket behind) and put back after.
    """

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._items: OrderedDict[str, Loaded] = OrderedDict()

    def take(self, stream: str) -> Loaded | None:
        return self._items.pop(stream, None)

    def put(self, stream: str, loaded: Loaded) -> None:
        self._items[stream] = loaded
        if len(self._items) > self._size:
            self._items.popitem(last=False)
