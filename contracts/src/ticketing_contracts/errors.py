"""Errors raised when a message does not fit the contracts this code knows."""

from __future__ import annotations


class ContractError(Exception):
    """Base of every error raised by ticketing_contracts."""


class UnknownEventType(ContractError, LookupError):
    """No event of this type is known to this version of the contracts."""

    def __init__(self, event_type: str) -> None:
        super().__init__(f"unknown event type {event_type!r}")
        self.event_type = event_type


class UnknownSchemaVersion(ContractError, LookupError):
    """The event's schema version is not one this code knows (often: newer than it)."""

    def __init__(self, event_type: str, schema_version: int, current: int) -> None:
        super().__init__(
            f"{event_type} has schema version {schema_version}, but this code knows versions "
            f"1..{current}; upgrade ticketing-contracts to read it"
        )
        self.event_type = event_type
        self.schema_version = schema_version
        self.current = current


class MissingUpcaster(ContractError, LookupError):
    """An old event version cannot be lifted: no upcaster is registered for one step."""

    def __init__(self, event_type: str, from_version: int, current: int) -> None:
        super().__init__(
            f"no upcaster registered for {event_type} v{from_version} -> v{from_version + 1} "
            f"(needed to reach the current v{current})"
        )
        self.event_type = event_type
        self.from_version = from_version
        self.current = current
