"""The four roles a token names and an event's actor carries: the one definition (issue 11);
ticketing_model re-exports it for the services."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The `role` claim of a token and `actor.role` of an event envelope (API.md)."""

    CUSTOMER = "customer"
    REPRESENTATIVE = "representative"
    AGENT = "agent"
    ADMIN = "admin"
