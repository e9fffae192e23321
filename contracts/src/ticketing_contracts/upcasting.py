"""Lifting old event versions to the current one, on read.

History is never rewritten: when an event's data changes shape, the new shape gets a new
`schema_version`, and an upcaster registered for `(event_type, old_version)` turns the old data
into the next version's. Readers call `upcast` and only ever see current data; each upcaster is
one step, and `upcast` chains them (v1 -> v2 -> v3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .errors import MissingUpcaster, UnknownEventType, UnknownSchemaVersion
from .events import CURRENT_VERSIONS

Data = dict[str, Any]
Upcaster = Callable[[Data], Data]
"""One step: the data of version n in, the data of version n + 1 out."""


class Upcasters:
    """A registry of one-step upcasters, keyed by `(event_type, from_version)`.

    `current_versions` gives the version each event type is lifted to; the module's default
    registry uses the current contract models. Tests build their own instance.
    """

    def __init__(self, current_versions: Mapping[str, int]) -> None:
        self._current = dict(current_versions)
        self._steps: dict[tuple[str, int], Upcaster] = {}

    def register(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: register `fn` to lift `event_type` from `from_version` to the next."""

        def decorate(fn: Upcaster) -> Upcaster:
            self.add(event_type, from_version, fn)
            return fn

        return decorate

    def add(self, event_type: str, from_version: int, fn: Upcaster) -> None:
        """Register `fn` to lift `event_type` data from `from_version` to `from_version + 1`."""
        current = self._current_of(event_type)
        if not 1 <= from_version < current:
            raise ValueError(
                f"{event_type} is at v{current}: an upcaster must start from v1..v{current - 1}, "
                f"not v{from_version}"
            )
        key = (event_type, from_version)
        if key in self._steps:
            raise ValueError(f"an upcaster for {event_type} v{from_version} is already registered")
        self._steps[key] = fn

    def current_version(self, event_type: str) -> int:
        """The version `upcast` lifts `event_type` to."""
        return self._current_of(event_type)

    def upcast(self, event_type: str, schema_version: int, data: Data) -> tuple[int, Data]:
        """Lift `data` of `event_type` at `schema_version` to the current version.

        Returns `(current_version, data)`. Data already current comes back as is; otherwise
        each upcaster gets a shallow copy, so the caller's dict is never changed. Raises
        UnknownEventType, UnknownSchemaVersion (below 1, or newer than known) or
        MissingUpcaster (a step in between is not registered).
        """
        current = self._current_of(event_type)
        if schema_version == current:  # nearly always: a replay runs through here per event
            return current, data
        if not 1 <= schema_version <= current:
            raise UnknownSchemaVersion(event_type, schema_version, current)
        version = schema_version
        while version < current:
            step = self._steps.get((event_type, version))
            if step is None:
                raise MissingUpcaster(event_type, version, current)
            data = step(dict(data))
            version += 1
        return version, data

    def _current_of(self, event_type: str) -> int:
        try:
            return self._current[event_type]
        except KeyError:
            raise UnknownEventType(event_type) from None


UPCASTERS = Upcasters(CURRENT_VERSIONS)
"""The registry used by `upcast`: every upcaster of the published contracts lives here."""


# v1 -> v2 of the three events a person's name was added to: history written before names were
# recorded did not know them, so the name is null (clients then show the role).


@UPCASTERS.register("TicketOpened", 1)
def _ticket_opened_v1_to_v2(data: Data) -> Data:
    return {**data, "opened_by_name": None}


@UPCASTERS.register("MessagePosted", 1)
def _message_posted_v1_to_v2(data: Data) -> Data:
    return {**data, "author_name": None}


@UPCASTERS.register("TicketClosed", 1)
def _ticket_closed_v1_to_v2(data: Data) -> Data:
    return {**data, "closed_by_name": None}


def upcast(event_type: str, schema_version: int, data: Data) -> tuple[int, Data]:
    """Lift `data` to the current version of `event_type` with the default registry."""
    return UPCASTERS.upcast(event_type, schema_version, data)
