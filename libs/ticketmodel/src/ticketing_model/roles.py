"""Who acts: the four roles of a token, and the two sides of a conversation."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The `role` claim of a token (API.md, Authentication)."""

    CUSTOMER = "customer"
    REPRESENTATIVE = "representative"
    AGENT = "agent"
    ADMIN = "admin"


class Side(StrEnum):
    """Which side of the conversation: a representative acts on the customer side, an admin on
    the agent side."""

    CUSTOMER = "customer"
    AGENT = "agent"


def side_of(role: Role | str) -> Side:
    """The side a role acts from; ValueError for a role that is not one of the four."""
    match Role(role):
        case Role.CUSTOMER | Role.REPRESENTATIVE:
            return Side.CUSTOMER
        case _:
            return Side.AGENT
